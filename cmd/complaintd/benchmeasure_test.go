package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/workflow"
)

// countingDB is the workflow's Database with every statement and commit
// counted: what a message costs in round trips, measured where the workflow
// talks to the store. A statement is one round trip (lib/pq sends parse,
// bind and execute in one flight); a transaction adds two (BEGIN, COMMIT)
// and one commit; a writing statement outside a transaction commits on its
// own.
type countingDB struct {
	workflow.Database
	statements, commits atomic.Int64
	mu                  sync.Mutex
	byQuery             map[string]int // statements per query text, first line
}

// tally counts one statement of query, by its first line.
func (c *countingDB) tally(query string) {
	if i := strings.IndexByte(query, '\n'); i >= 0 {
		query = query[:i]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byQuery == nil {
		c.byQuery = map[string]int{}
	}
	c.byQuery[strings.TrimSpace(query)]++
}

// top is the n query texts run most, with how often per message.
func (c *countingDB) top(n int, messages float64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	type qc struct {
		q string
		n int
	}
	var all []qc
	for q, k := range c.byQuery {
		all = append(all, qc{q, k})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n })
	var b strings.Builder
	for i, x := range all {
		if i == n {
			break
		}
		q := x.q
		if len(q) > 90 {
			q = q[:90] + "…"
		}
		fmt.Fprintf(&b, "\n  %6.2f/msg  %s", float64(x.n)/messages, q)
	}
	return b.String()
}

type inTxKey struct{}

func (c *countingDB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(inTxKey{}) != nil {
		return c.Database.InTx(ctx, fn) // joins the outer transaction
	}
	c.statements.Add(2)
	c.tally("BEGIN … COMMIT")
	err := c.Database.InTx(ctx, func(ctx context.Context) error {
		return fn(context.WithValue(ctx, inTxKey{}, true))
	})
	if err == nil {
		c.commits.Add(1)
	}
	return err
}

func (c *countingDB) count(ctx context.Context, query string) {
	c.statements.Add(1)
	c.tally(query)
	if ctx.Value(inTxKey{}) == nil && writes(query) {
		c.commits.Add(1)
	}
}

// writes tells a statement that changes rows (and so commits on its own
// outside a transaction) from a read.
func writes(query string) bool {
	q := strings.ToUpper(query)
	return strings.Contains(q, "INSERT ") || strings.Contains(q, "UPDATE ") || strings.Contains(q, "DELETE ")
}

func (c *countingDB) Get(ctx context.Context, dest any, query string, args ...any) error {
	c.count(ctx, query)
	return c.Database.Get(ctx, dest, query, args...)
}

func (c *countingDB) Select(ctx context.Context, dest any, query string, args ...any) error {
	c.count(ctx, query)
	return c.Database.Select(ctx, dest, query, args...)
}

func (c *countingDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c.count(ctx, query)
	return c.Database.Exec(ctx, query, args...)
}

// processCPU is this process's CPU time, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time of another local process from /proc/<pid>/stat
// (utime + stime, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces: fields count from after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// backendWatch follows the CPU time of the PostgreSQL backends serving
// connections with one application_name, sampling pg_stat_activity so that
// backends opened and closed during the run count too (a backend that lives
// shorter than a sample is missed: the figure is a lower bound).
type backendWatch struct {
	admin *sql.DB
	app   string
	mu    sync.Mutex
	first map[int]time.Duration // CPU when first seen (0 for backends born during the run)
	last  map[int]time.Duration
	stop  chan struct{}
	done  sync.WaitGroup
}

func watchBackends(admin *sql.DB, app string) *backendWatch {
	w := &backendWatch{admin: admin, app: app, first: map[int]time.Duration{}, last: map[int]time.Duration{}, stop: make(chan struct{})}
	w.sample(true)
	w.done.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample(false)
			}
		}
	})
	return w
}

func (w *backendWatch) sample(initial bool) {
	rows, err := w.admin.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, w.app)
	if err != nil {
		return
	}
	defer rows.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			continue
		}
		cpu, ok := procCPU(pid)
		if !ok {
			continue
		}
		if _, seen := w.first[pid]; !seen {
			w.first[pid] = 0
			if initial {
				w.first[pid] = cpu
			}
		}
		w.last[pid] = cpu
	}
}

// cpu stops the watch and returns the backends' CPU time during it.
func (w *backendWatch) cpu() (total time.Duration, backends int) {
	close(w.stop)
	w.done.Wait()
	w.sample(false)
	w.mu.Lock()
	defer w.mu.Unlock()
	for pid, l := range w.last {
		total += l - w.first[pid]
	}
	return total, len(w.last)
}

// walCounters reads pg_stat_wal: WAL writes and fsyncs of the whole cluster
// (other sessions on the same server count too).
func walCounters(admin *sql.DB) (writes, syncs int64) {
	_ = admin.QueryRow(`SELECT wal_write, wal_sync FROM pg_stat_wal`).Scan(&writes, &syncs)
	return writes, syncs
}

// commitRate is how many single-row INSERTs, each its own transaction, one
// connection commits per second on the database at url: the ceiling for
// work that commits once per message, measured in the same run.
func commitRate(b *testing.B, url string) float64 {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url, store.Options{MaxOpenConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE commit_probe (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	n := 0
	for time.Since(start) < 2*time.Second {
		n++
		if _, err := db.Exec(ctx, `INSERT INTO commit_probe (id, v) VALUES (?, ?)`, n, n); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// withApplicationName tags PostgreSQL connections, so their backends can be
// found in pg_stat_activity.
func withApplicationName(url, name string) string {
	if !strings.HasPrefix(url, "postgres") {
		return url
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "application_name=" + name
}

// runCost is what one benchmark run cost, read before and after it.
type runCost struct {
	db       *countingDB
	cpu0     time.Duration
	mem0     runtime.MemStats
	admin    *sql.DB // PostgreSQL only
	backends *backendWatch
	wal0     [2]int64
	peer     int           // the peer child's process id (IMAP server, SMTP capture)
	peerCPU0 time.Duration // its CPU time at the start
}

func startCost(db *countingDB, admin *sql.DB, app string, peer int) *runCost {
	c := &runCost{db: db, admin: admin, peer: peer}
	c.peerCPU0, _ = procCPU(peer)
	if admin != nil {
		c.wal0[0], c.wal0[1] = walCounters(admin)
		c.backends = watchBackends(admin, app)
	}
	runtime.ReadMemStats(&c.mem0)
	c.cpu0 = processCPU()
	return c
}

// report adds the per-message figures to the benchmark's output.
func (c *runCost) report(b *testing.B, dialect string, messages int, elapsed time.Duration, rate float64) {
	cpu := processCPU() - c.cpu0
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	n := float64(messages)
	perMsg := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	msgs := n / elapsed.Seconds()
	peerCPU, _ := procCPU(c.peer)
	peerCPU -= c.peerCPU0
	b.ReportMetric(perMsg(cpu), "daemon-cpu-ms/msg")
	b.ReportMetric(perMsg(peerCPU), "peer-cpu-ms/msg")
	b.ReportMetric(float64(c.db.statements.Load())/n, "roundtrips/msg")
	b.ReportMetric(float64(c.db.commits.Load())/n, "commits/msg")
	b.ReportMetric(float64(mem.Mallocs-c.mem0.Mallocs)/n, "allocs/msg")
	b.ReportMetric(float64(mem.TotalAlloc-c.mem0.TotalAlloc)/1024/n, "alloc-KB/msg")
	b.ReportMetric(rate, "commit-rate/s")
	b.ReportMetric(msgs/rate, "msgs/commit-rate")
	line := fmt.Sprintf("%s: %.0f msgs/s; daemon CPU %.2f ms/msg; %.2f round trips, %.2f commits, %.0f allocations (%.0f KB) per message; single-client commit rate %.0f/s, ratio %.3f",
		dialect, msgs, perMsg(cpu), float64(c.db.statements.Load())/n, float64(c.db.commits.Load())/n,
		float64(mem.Mallocs-c.mem0.Mallocs)/n, float64(mem.TotalAlloc-c.mem0.TotalAlloc)/1024/n, rate, msgs/rate)
	line += fmt.Sprintf("; peer (IMAP server, SMTP capture) CPU %.2f ms/msg", perMsg(peerCPU))
	// The machine's CPU per message: everything the run made busy that it
	// can attribute (PostgreSQL's background processes and other users of
	// the server are not counted).
	machine := cpu + peerCPU
	if c.admin != nil {
		bcpu, nb := c.backends.cpu()
		machine += bcpu
		w, s := walCounters(c.admin)
		b.ReportMetric(perMsg(bcpu), "backend-cpu-ms/msg")
		b.ReportMetric(perMsg(cpu+bcpu), "total-cpu-ms/msg")
		b.ReportMetric(float64(s-c.wal0[1])/n, "wal-fsyncs/msg")
		line += fmt.Sprintf("; %d backends CPU %.2f ms/msg (total %.2f); cluster-wide WAL writes %.2f, fsyncs %.2f per message",
			nb, perMsg(bcpu), perMsg(cpu+bcpu), float64(w-c.wal0[0])/n, float64(s-c.wal0[1])/n)
	}
	b.ReportMetric(perMsg(machine), "machine-cpu-ms/msg")
	parts := "daemon + peer"
	if c.admin != nil {
		parts = "daemon + backends + peer"
	}
	line += fmt.Sprintf("; machine (%s) CPU %.2f ms/msg, %.2f of %d cores busy", parts, perMsg(machine),
		machine.Seconds()/elapsed.Seconds(), runtime.NumCPU())
	b.Log(line)
	// On stderr: the benchmark's log keeps only its first lines.
	fmt.Fprintf(os.Stderr, "%s: statements the workflow ran most (BEGIN … COMMIT counts two):%s\n", dialect, c.db.top(20, n))
}
