package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The benchmarks run the IMAP server in a child process (this test binary,
// started again with COMPLAINTD_BENCH_PEER set), so the heap measured is the
// daemon's own and not the server's copy of every message.
func TestMain(m *testing.M) {
	if os.Getenv("COMPLAINTD_BENCH_PEER") != "" {
		runBenchPeer()
		return
	}
	os.Exit(m.Run())
}

// runBenchPeer starts an IMAP server, fills its inbox, prints its address
// and serves until stdin closes.
func runBenchPeer() {
	srv, err := mailtest.StartIMAP(mailtest.IMAPOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("ERR", err)
		return
	}
	defer srv.Close()
	n, _ := strconv.Atoi(os.Getenv("COMPLAINTD_BENCH_COUNT"))
	size, _ := strconv.Atoi(os.Getenv("COMPLAINTD_BENCH_SIZE"))
	now := time.Now()
	for i := range n {
		raw := benchComplaint(i)
		if size > 0 {
			raw = bigComplaint(size)
		}
		if _, err := srv.Deliver("INBOX", raw, now); err != nil {
			fmt.Println("ERR", err)
			return
		}
	}
	// The SMTP capture too, when asked: its CPU is then not the daemon's.
	// It says DONE once it holds that many mails.
	if want, _ := strconv.Atoi(os.Getenv("COMPLAINTD_BENCH_SMTP_WAIT")); want > 0 {
		sink, err := startSMTPSink(want)
		if err != nil {
			fmt.Println("ERR", err)
			return
		}
		defer sink.Close()
		fmt.Println("SMTP", sink.Addr())
		go func() {
			<-sink.Done()
			fmt.Println("DONE")
		}()
	}
	fmt.Println("ADDR", srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startBenchChild starts this test binary as the benchmark's peer process
// (COMPLAINTD_BENCH_PEER) with env added, and returns what it prints and
// its process id (whose CPU time the benchmark reports).
func startBenchChild(b *testing.B, env ...string) (*bufio.Reader, int) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "COMPLAINTD_BENCH_PEER=1"), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	return bufio.NewReader(stdout), cmd.Process.Pid
}

// startBenchPeers starts the child with count ordinary complaints in its
// IMAP inbox and an SMTP capture that closes done once it holds want mails;
// pid is the child's process id.
func startBenchPeers(b *testing.B, count, want int) (imapAddr, smtpAddr string, done <-chan struct{}, pid int) {
	b.Helper()
	r, pid := startBenchChild(b, "COMPLAINTD_BENCH_COUNT="+strconv.Itoa(count), "COMPLAINTD_BENCH_SMTP_WAIT="+strconv.Itoa(want))
	for imapAddr == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			b.Fatalf("bench peer: %q %v", line, err)
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "SMTP":
			smtpAddr = f[1]
		case len(f) == 2 && f[0] == "ADDR":
			imapAddr = f[1]
		default:
			b.Fatalf("bench peer: %q", line)
		}
	}
	ch := make(chan struct{})
	go func() {
		for {
			line, err := r.ReadString('\n')
			if strings.TrimSpace(line) == "DONE" {
				close(ch)
			}
			if err != nil {
				return
			}
		}
	}()
	return imapAddr, smtpAddr, ch, pid
}

// startBenchPeer starts the child IMAP server with count messages of size
// bytes each (size 0: ordinary complaints) and returns its address.
func startBenchPeer(b *testing.B, count, size int) string {
	b.Helper()
	r, _ := startBenchChild(b, "COMPLAINTD_BENCH_COUNT="+strconv.Itoa(count), "COMPLAINTD_BENCH_SIZE="+strconv.Itoa(size))
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		b.Fatalf("bench peer: %q %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

var benchSubjects = []string{"Ophalen van mijn zoon", "Medicatie niet gegeven", "Factuur na opzegging",
	"Valpartij op de groep", "Communicatie met de mentor", "Wenperiode", "Voeding en allergie"}

// benchComplaint is an ordinary complaint of about 1.5 kB.
func benchComplaint(i int) []byte {
	body := strings.Repeat(fmt.Sprintf("Dit is regel %d van mijn klacht over wat er op de groep is gebeurd. ", i), 18)
	return rawMail(mailOpts{
		from: fmt.Sprintf("Ouder %d <ouder%d@example.nl>", i, i), subject: benchSubjects[i%len(benchSubjects)],
		id: fmt.Sprintf("bench-%d@example.nl", i), body: body + "\n\nMet vriendelijke groet,\nOuder " + strconv.Itoa(i) + "\n",
	})
}

// bigComplaint is a complaint carrying an attachment, size bytes in all.
func bigComplaint(size int) []byte {
	head := "From: Ouder <ouder@example.nl>\r\nTo: klachten@vlinder.example\r\nSubject: Klacht met video\r\n" +
		"Message-ID: <big@example.nl>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de video in de bijlage.\r\n" +
		"--b\r\nContent-Type: video/mp4\r\nContent-Disposition: attachment; filename=\"opname.mp4\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n"
	tail := "\r\n--b--\r\n"
	var sb strings.Builder
	sb.Grow(size)
	sb.WriteString(head)
	chunk := make([]byte, 57) // one 76-character base64 line
	for sb.Len()+78+len(tail) < size {
		_, _ = rand.Read(chunk)
		sb.WriteString(base64.StdEncoding.EncodeToString(chunk))
		sb.WriteString("\r\n")
	}
	sb.WriteString(tail)
	return []byte(sb.String())
}

// heapPeak samples the live heap until stop is called and reports the
// highest value seen. Sampling every millisecond can miss a shorter spike;
// runtime/metrics makes a sample cheap enough not to slow the run.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var peak atomic.Uint64
	peak.Store(read())
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		if v := read(); v > peak.Load() {
			peak.Store(v)
		}
		return peak.Load()
	}
}

func liveHeap() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// benchDaemon builds the daemon against the peer at imapAddr and an SMTP
// capture that only counts, with one handler: two mails per complaint.
func benchDaemon(b *testing.B, url, imapAddr string) (*components, *mailtest.SMTPServer) {
	c, srv, _ := benchDaemonCounted(b, url, imapAddr)
	return c, srv
}

// benchDaemonCounted is benchDaemon with the workflow's database calls
// counted.
func benchDaemonCounted(b *testing.B, url, imapAddr string) (*components, *mailtest.SMTPServer, *countingDB) {
	b.Helper()
	smtpSrv, err := mailtest.StartSMTP(mailtest.SMTPOptions{TLS: "none", CountOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { smtpSrv.Close() })
	c, counted := benchDaemonAt(b, url, imapAddr, smtpSrv.Addr())
	return c, smtpSrv, counted
}

// benchDaemonAt builds the daemon, its database calls counted, against the
// IMAP and SMTP servers at those addresses.
func benchDaemonAt(b *testing.B, url, imapAddr, smtpAddr string) (*components, *countingDB) {
	b.Helper()
	cfg := demoConfig(b.TempDir(), imapAddr, smtpAddr)
	cfg.Database.URL = url
	cfg.Handlers = cfg.Handlers[:1]
	cfg.IMAP.PollInterval = time.Second
	counted := &countingDB{}
	c, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler), options{
		wrapDB: func(db workflow.Database) workflow.Database { counted.Database = db; return counted },
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.close)
	return c, counted
}

// benchMessages is how many complaints BenchmarkEndToEnd feeds through:
// 5,000, or COMPLAINTD_BENCH_MESSAGES (50000 for the backlog's peak heap).
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("COMPLAINTD_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 5000
}

// BenchmarkEndToEnd feeds 5,000 complaints through IMAP, the workflow and
// the outbox to SMTP (10,000 mails out) with the daemon's own loops.
func BenchmarkEndToEnd(b *testing.B) {
	messages := benchMessages()
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			for range b.N {
				rate := commitRate(b, storetest.URL(b, dialect))
				// Both servers in the child: the CPU measured is the daemon's.
				imapAddr, smtpAddr, sent, peer := startBenchPeers(b, messages, 2*messages)
				// The process id in the name: the backends of another run
				// of this benchmark on the same server are not counted.
				app := fmt.Sprintf("complaintd-bench-%d", os.Getpid())
				url := withApplicationName(storetest.URL(b, dialect), app)
				if dialect == store.Postgres {
					// Registered before the daemon's close: runs after it.
					b.Cleanup(func() { printTableStats(url, app, messages) })
				}
				c, counted := benchDaemonAt(b, url, imapAddr, smtpAddr)
				var admin *sql.DB
				if dialect == store.Postgres {
					var err error
					if admin, err = sql.Open("postgres", os.Getenv("TEST_DATABASE_URL")); err != nil {
						b.Fatal(err)
					}
					admin.SetMaxOpenConns(1)
					defer admin.Close()
				}
				base := liveHeap()
				stopPeak := heapPeak()
				cost := startCost(counted, admin, app, peer)
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				// The clock runs from the first poll: on PostgreSQL a daemon
				// that takes the mailbox lock first waits takeoverSettle
				// (4 s), once, whatever the backlog; it is reported apart.
				polling := make(chan time.Time, 1)
				c.polling = func() {
					select {
					case polling <- time.Now():
					default:
					}
				}
				start := time.Now()
				wg.Go(func() { c.run(ctx) })
				var err error
				select {
				case <-sent:
				case <-time.After(60 * time.Minute):
					err = fmt.Errorf("not all %d mails sent within an hour", 2*messages)
				}
				end := time.Now()
				firstPoll := start
				select {
				case firstPoll = <-polling:
				default:
				}
				elapsed, startup := end.Sub(firstPoll), firstPoll.Sub(start)
				cancel()
				wg.Wait()
				peak := stopPeak()
				if err != nil {
					b.Fatal(err)
				}
				cost.report(b, dialect, messages, elapsed, rate)
				b.ReportMetric(float64(messages)/elapsed.Seconds(), "msgs/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "heap-growth-MB")
				b.ReportMetric(startup.Seconds(), "startup-wait-s")
				b.Logf("%s: %d messages in %s from the first poll: %.0f msgs/s end-to-end (%.0f counting the %s startup wait before it), peak heap %.1f MB",
					dialect, messages, elapsed.Round(time.Millisecond), float64(messages)/elapsed.Seconds(),
					float64(messages)/end.Sub(start).Seconds(), startup.Round(time.Millisecond), float64(peak)/(1<<20))
			}
		})
	}
}

// BenchmarkLargeMessage processes one 25 MB complaint and reports how far the
// heap grew, as a multiple of the message's size.
func BenchmarkLargeMessage(b *testing.B) {
	const size = 25 << 20
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			for range b.N {
				addr := startBenchPeer(b, 1, size)
				c, smtpSrv := benchDaemon(b, storetest.URL(b, dialect), addr)
				base := liveHeap()
				stopPeak := heapPeak()
				ctx := context.Background()
				if err := c.poller.PollOnce(ctx); err != nil {
					b.Fatal(err)
				}
				for {
					n, err := c.wf.DeliverDue(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						break
					}
				}
				peak := stopPeak()
				if got := len(smtpSrv.Messages()); got != 2 {
					b.Fatalf("%d mails sent for the large complaint, want 2", got)
				}
				growth := float64(peak-min(base, peak)) / size
				b.ReportMetric(growth, "x-size-heap-growth")
				b.Logf("%s: one %d MB message: heap grew %.1f MB (%.2f× its size)", dialect, size>>20,
					float64(peak-min(base, peak))/(1<<20), growth)
			}
		})
	}
}
