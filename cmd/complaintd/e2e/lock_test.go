package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// logLine is one line of a daemon's JSON log ([log] format = "json").
type logLine struct {
	Time        time.Time `json:"time"`
	Msg         string    `json:"msg"`
	Daemon      string    `json:"daemon"`
	Why         string    `json:"why"`
	LockBackend int       `json:"lock_backend"`
	who         string    // the daemon's name in the test: "A", "B"
}

// lines is the daemon's log so far, each line decoded.
func (d *daemon) lines(who string) []logLine {
	d.t.Helper()
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader([]byte(d.logText())))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg != "" {
			l.who = who
			out = append(out, l)
		}
	}
	return out
}

// logged returns the lines of the daemon's log whose message starts with prefix.
func (d *daemon) logged(who, prefix string) []logLine {
	var out []logLine
	for _, l := range d.lines(who) {
		if strings.HasPrefix(l.Msg, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// Issue 16: two daemons (the built binary) on one PostgreSQL database, real
// Dovecot and Mailpit. During a burst of complaints the polling daemon's
// lock session is terminated (pg_terminate_backend, as a failover, a pooler
// or an administrator does). The poller says it stopped polling and why,
// the other daemon takes over, at no moment do both poll, and Dovecot's
// Processed folder holds every complaint exactly once.
func TestTwoDaemonsLoseThePollingLockDuringABurst(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	t.Parallel()
	url := storetest.URL(t, store.Postgres)
	dove := peers.StartDovecot(t, peers.DovecotOptions{TLS: true})
	mailpit := realSMTP{srv: peers.StartMailpit(t), tls: "none"}
	names := []string{"A", "B"}
	ds := map[string]*daemon{}
	for _, who := range names {
		d := newDaemon(t, setup{dbURL: url, imap: dove, smtp: mailpit, workDir: t.TempDir()})
		// A standby tries the lock once a second (the default is a minute).
		d.env = append(d.env, "COMPLAINTD_LOG_FORMAT=json", "COMPLAINTD_IMAP_POLL_INTERVAL=1s")
		ds[who] = d
	}
	db, err := store.Open(t.Context(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string, args ...any) int {
		var n int
		if err := db.Get(t.Context(), &n, q, args...); err != nil {
			return -1
		}
		return n
	}

	ds["A"].start()
	waitFor(t, "A polls", func() bool { return len(ds["A"].logged("A", "polling this mailbox")) == 1 })
	ds["B"].start()
	waitFor(t, "B stands by", func() bool { return len(ds["B"].logged("B", "another daemon polls this mailbox")) == 1 })

	const burst = 30
	deliver := func(from, to int) {
		for i := from; i < to; i++ {
			at := time.Now()
			dove.Append(t, "INBOX", rawComplaint(t, fmt.Sprintf("Ouder %d", i), fmt.Sprintf("ouder%d@example.nl", i),
				fmt.Sprintf("Klacht %d over de opvang", i), fmt.Sprintf("Dit is klacht nummer %d. De groep was te vol.", i), at), at)
		}
	}
	deliver(0, burst/2)
	waitFor(t, "A starts on the burst", func() bool { return count(`SELECT COUNT(*) FROM cases`) > 0 })
	backend := ds["A"].logged("A", "polling this mailbox")[0].LockBackend
	if n := count(`SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ?`, backend); n != 1 {
		t.Fatalf("A's lock backend %d holds %d advisory locks, want 1", backend, n)
	}
	var killed bool
	if err := db.Get(t.Context(), &killed, `SELECT pg_terminate_backend(?)`, backend); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d): %v %v", backend, killed, err)
	}
	terminated := time.Now()
	deliver(burst/2, burst)

	waitFor(t, "A says it stopped polling", func() bool {
		return len(ds["A"].logged("A", "stopped polling: lost the mailbox lock")) == 1
	})
	waitFor(t, "B polls", func() bool { return len(ds["B"].logged("B", "polling this mailbox")) == 1 })
	waitFor(t, "every complaint filed", func() bool {
		return len(dove.Messages(t, "INBOX")) == 0 && len(dove.Messages(t, "Processed")) >= burst
	})
	// A has tried the lock again since, and stands by.
	waitFor(t, "A stands by", func() bool { return len(ds["A"].logged("A", "another daemon polls this mailbox")) == 1 })
	waitFor(t, "every confirmation sent", func() bool {
		return count(`SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND kind = 'confirmation'`) == burst
	})

	stopped := ds["A"].logged("A", "stopped polling: lost the mailbox lock")[0]
	if stopped.Daemon == "" || !strings.Contains(stopped.Why, fmt.Sprintf("backend %d", backend)) {
		t.Errorf("A's log does not say which daemon stopped polling and why: daemon=%q why=%q", stopped.Daemon, stopped.Why)
	}
	took := ds["B"].logged("B", "polling this mailbox")[0]
	if took.Daemon == "" || took.Daemon == stopped.Daemon {
		t.Errorf("the log does not tell the daemons apart: A is %q, B is %q", stopped.Daemon, took.Daemon)
	}
	t.Logf("A noticed the loss %v after the termination; B polled %v after it",
		stopped.Time.Sub(terminated).Round(10*time.Millisecond), took.Time.Sub(terminated).Round(10*time.Millisecond))

	// Polling intervals of both daemons, from "polling this mailbox" to
	// "stopped polling", in the order of their timestamps: never two at once,
	// and exactly one polling at the end.
	var all []logLine
	for _, who := range names {
		all = append(all, ds[who].lines(who)...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	open := map[string]time.Time{}
	for _, l := range all {
		switch {
		case l.Msg == "polling this mailbox":
			for other, since := range open {
				t.Errorf("%s began polling at %s while %s polled (since %s)", l.who, l.Time.Format(time.StampMilli), other, since.Format(time.StampMilli))
			}
			open[l.who] = l.Time
		case strings.HasPrefix(l.Msg, "stopped polling"):
			delete(open, l.who)
		}
		if strings.Contains(l.Msg, "EXPUNGEISSUED") || strings.Contains(l.Why, "EXPUNGEISSUED") {
			t.Errorf("%s: a MOVE met a message another session expunged: %s", l.who, l.Msg)
		}
	}
	if len(open) != 1 {
		t.Errorf("%d daemons poll after the burst, want exactly one: %v", len(open), open)
	}

	// Dovecot's Processed folder: every complaint once.
	seen := map[string]int{}
	done := dove.Messages(t, "Processed")
	for _, m := range done {
		seen[headerValue(m.Raw, "Message-ID")]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s filed %d times in Processed", id, n)
		}
	}
	if len(done) != burst || len(seen) != burst {
		t.Errorf("Processed holds %d messages (%d distinct), want each of the %d once", len(done), len(seen), burst)
	}
	if n := count(`SELECT COUNT(*) FROM cases`); n != burst {
		t.Errorf("%d cases for %d complaints", n, burst)
	}
	// Each parent received one confirmation.
	per := map[string]int{}
	for _, d := range mailpit.delivered(t) {
		if strings.HasPrefix(d.rcpt, "ouder") {
			per[d.rcpt]++
		}
	}
	for i := range burst {
		if rcpt := fmt.Sprintf("ouder%d@example.nl", i); per[rcpt] != 1 {
			t.Errorf("%s received %d confirmations, want 1", rcpt, per[rcpt])
		}
	}
	for _, who := range names {
		ds[who].stop()
	}
}

// headerValue is the first value of a header field of a raw message.
func headerValue(raw []byte, name string) string {
	for _, l := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
