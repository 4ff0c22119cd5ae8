package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// logBook keeps every record of the daemons it logs for, with their
// attributes, and passes them on to the test's output.
type logBook struct {
	mu      sync.Mutex
	records []logEntry
}

type logEntry struct {
	at     time.Time
	who    string // the logger's name in the test: "A", "B"
	msg    string
	attrs  map[string]string
	logged int // position in the book
}

type bookHandler struct {
	slog.Handler
	book  *logBook
	who   string
	attrs []slog.Attr
}

func (b *logBook) logger(t *testing.T, who string) *slog.Logger {
	return slog.New(bookHandler{Handler: slog.NewTextHandler(t.Output(), nil).WithAttrs([]slog.Attr{slog.String("test_daemon", who)}), book: b, who: who})
}

func (h bookHandler) Handle(ctx context.Context, r slog.Record) error {
	e := logEntry{at: r.Time, who: h.who, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		e.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { e.attrs[a.Key] = a.Value.String(); return true })
	h.book.mu.Lock()
	e.logged = len(h.book.records)
	h.book.records = append(h.book.records, e)
	h.book.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func (h bookHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	h.attrs = append(slices.Clip(h.attrs), as...)
	return h
}

func (h bookHandler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

// find returns the entries whose message starts with prefix.
func (b *logBook) find(prefix string) []logEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []logEntry
	for _, e := range b.records {
		if strings.HasPrefix(e.msg, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// Issue 16, item 1: two daemons on one PostgreSQL database; during a burst
// of complaints the polling daemon's lock session is terminated
// (pg_terminate_backend, as a failover or an administrator would). The
// daemon notices and stops polling, says so, and from then on exactly one
// daemon polls at any moment; no message is filed twice in Processed.
func TestLostPollingLockStopsThePoller(t *testing.T) {
	t.Parallel()
	imapSrv, cfg := sharedPostgresConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	book := &logBook{}
	var wg sync.WaitGroup
	daemons := map[string]*components{}
	defer func() {
		cancel()
		wg.Wait()
		for _, c := range daemons {
			c.close()
		}
	}()
	for _, who := range []string{"A", "B"} {
		c, err := build(ctx, cfg, book.logger(t, who), options{})
		if err != nil {
			t.Fatal(err)
		}
		daemons[who] = c
		wg.Go(func() { c.run(ctx) })
		if who == "A" {
			waitFor(t, "A polls", func() bool { return len(book.find("polling this mailbox")) == 1 })
		}
	}
	waitFor(t, "B stands by", func() bool { return len(book.find("another daemon polls this mailbox")) == 1 })

	const burst = 40
	deliver := func(from, to int) {
		for i := from; i < to; i++ {
			raw := rawMail(mailOpts{
				from:    fmt.Sprintf("Ouder %d <ouder%d@example.nl>", i, i),
				subject: fmt.Sprintf("Klacht %d over de opvang", i),
				id:      fmt.Sprintf("burst-%d@mail.example.nl", i),
				body:    fmt.Sprintf("Dit is klacht nummer %d.\nDe groep was te vol.\n", i),
			})
			if _, err := imapSrv.Deliver("INBOX", raw, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	deliver(0, burst/2)
	// In the middle of A's round: some complaints handled, none moved yet.
	waitFor(t, "A starts on the burst", func() bool {
		var n int
		_ = daemons["A"].db.Get(ctx, &n, `SELECT COUNT(*) FROM cases`)
		return n > 0
	})
	lockName := "imap-poll:" + cfg.IMAP.Username + "@" + cfg.IMAP.Addr + "/" + cfg.IMAP.Mailbox
	var pids []int
	if err := daemons["A"].db.Select(ctx, &pids, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(?, 0)`, lockName); err != nil || len(pids) != 1 {
		t.Fatalf("the polling lock's backend: %v %v", pids, err)
	}
	var killed bool
	if err := daemons["B"].db.Get(ctx, &killed, `SELECT pg_terminate_backend(?)`, pids[0]); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pids[0], killed, err)
	}
	deliver(burst/2, burst)

	waitFor(t, "A says it stopped polling and why", func() bool {
		return len(book.find("stopped polling: lost the mailbox lock")) == 1
	})
	waitFor(t, "every message filed", func() bool {
		in, _ := imapSrv.Messages("INBOX")
		done, _ := imapSrv.Messages("Processed")
		return len(in) == 0 && len(done) >= burst
	})
	// One more round's worth of time for a second poller to show itself.
	waitFor(t, "a round after the burst", func() bool {
		return len(book.find("polling this mailbox")) >= 2
	})

	stopped := book.find("stopped polling: lost the mailbox lock")[0]
	if stopped.who != "A" || !strings.Contains(stopped.attrs["why"], fmt.Sprintf("backend %d", pids[0])) || stopped.attrs["daemon"] == "" {
		t.Errorf("the log does not say which daemon stopped polling and why: %s %q %v", stopped.who, stopped.msg, stopped.attrs)
	}
	// Polling intervals, from "polling this mailbox" to "stopped polling",
	// in the order they were logged: never two open at once.
	open := map[string]bool{}
	book.mu.Lock()
	for _, e := range book.records {
		switch {
		case e.msg == "polling this mailbox":
			open[e.who] = true
			if len(open) > 1 {
				t.Errorf("%s started polling while %v polled", e.who, open)
			}
		case strings.HasPrefix(e.msg, "stopped polling"):
			delete(open, e.who)
		}
	}
	book.mu.Unlock()
	if len(open) != 1 {
		t.Errorf("%d daemons poll after the burst, want exactly one: %v", len(open), open)
	}

	done, err := imapSrv.Messages("Processed")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range done {
		seen[messageID(m.Raw)]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s filed %d times in Processed", id, n)
		}
	}
	if len(done) != burst || len(seen) != burst {
		t.Errorf("Processed holds %d messages (%d distinct), want each of the %d once", len(done), len(seen), burst)
	}
	var cases int
	if err := daemons["B"].db.Get(ctx, &cases, `SELECT COUNT(*) FROM cases`); err != nil || cases != burst {
		t.Errorf("%d cases for %d complaints (%v)", cases, burst, err)
	}
}

// messageID is the Message-ID header of a raw message.
func messageID(raw []byte) string {
	for _, l := range strings.Split(string(raw), "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "message-id:") {
			return strings.TrimSpace(l[len("message-id:"):])
		}
		if l == "" {
			break
		}
	}
	return ""
}

// Issue 16: a daemon started just after the poller's lock session ended
// takes the lock at once, while the old poller has not noticed its loss yet
// (it checks once a second). The new holder must not poll before the old
// one has stopped: here it is built before the session is terminated and
// started the moment it is, so without a wait it would poll within
// milliseconds, long before the old poller's next check.
func TestNewHolderWaitsUntilTheLostHolderStopped(t *testing.T) {
	t.Parallel()
	imapSrv, cfg := sharedPostgresConfig(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	book := &logBook{}
	var wg sync.WaitGroup
	daemons := map[string]*components{}
	defer func() {
		cancel()
		wg.Wait()
		for _, c := range daemons {
			c.close()
		}
	}()
	for _, who := range []string{"A", "C"} {
		c, err := build(ctx, cfg, book.logger(t, who), options{})
		if err != nil {
			t.Fatal(err)
		}
		daemons[who] = c
	}
	wg.Go(func() { daemons["A"].run(ctx) })
	waitFor(t, "A polls", func() bool { return len(book.find("polling this mailbox")) == 1 })
	polling := book.find("polling this mailbox")[0]
	// Terminate the session right after one of A's checks, so that its
	// next check is a whole interval away: the server shows when the lock's
	// session last ended a query.
	lastQuery := func() time.Time {
		var at time.Time
		_ = daemons["C"].db.Get(ctx, &at, `SELECT state_change FROM pg_stat_activity WHERE pid = ?`, polling.attrs["lock_backend"])
		return at
	}
	for range 2 { // the second check after the first round: A is waiting, not polling
		before := lastQuery()
		waitFor(t, "a check by A", func() bool { return lastQuery().After(before) })
	}

	var killed bool
	if err := daemons["C"].db.Get(ctx, &killed, `SELECT pg_terminate_backend(?)`, polling.attrs["lock_backend"]); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%s): %v %v", polling.attrs["lock_backend"], killed, err)
	}
	// The server ends the session a moment after it was told to; C starts
	// as soon as the lock is free.
	waitFor(t, "the lock's session ended", func() bool {
		var n int
		err := daemons["C"].db.Get(ctx, &n, `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?`, polling.attrs["lock_backend"])
		return err == nil && n == 0
	})
	wg.Go(func() { daemons["C"].run(ctx) })
	waitFor(t, "C polls", func() bool {
		for _, e := range book.find("polling this mailbox") {
			if e.who == "C" {
				return true
			}
		}
		return false
	})
	stopped := book.find("stopped polling: lost the mailbox lock")
	if len(stopped) != 1 || stopped[0].who != "A" {
		t.Fatalf("A did not say it stopped polling before C began: %v", stopped)
	}
	started := book.find("polling this mailbox")
	if c := started[len(started)-1]; c.who != "C" || c.logged < stopped[0].logged {
		t.Errorf("C began polling while A still polled (A stopped %v later)", stopped[0].at.Sub(c.at).Round(time.Millisecond))
	}

	// And C polls: a complaint delivered now is handled once.
	raw := rawMail(mailOpts{from: "Ouder <ouder@example.nl>", subject: "Klacht over de opvang", id: "after@mail.example.nl", body: "De groep was te vol.\n"})
	if _, err := imapSrv.Deliver("INBOX", raw, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the complaint filed", func() bool {
		done, _ := imapSrv.Messages("Processed")
		return len(done) == 1
	})
}

// sharedPostgresConfig starts the in-process mail servers of a lock test
// (stopped when the test ends, after its daemons) and returns the
// configuration of daemons sharing one PostgreSQL database and polling
// every second. The test is skipped without PostgreSQL.
func sharedPostgresConfig(t *testing.T) (*mailtest.IMAPServer, *Config) {
	t.Helper()
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	imapSrv, err := mailtest.StartIMAP(mailtest.IMAPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { imapSrv.Close() })
	smtpSrv, err := mailtest.StartSMTP(mailtest.SMTPOptions{TLS: "none"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smtpSrv.Close() })
	cfg := demoConfig(t.TempDir(), imapSrv.Addr(), smtpSrv.Addr())
	cfg.Database.URL = storetest.URL(t, store.Postgres)
	cfg.IMAP.PollInterval = time.Second
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	return imapSrv, cfg
}
