package workflow_test

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// stallAfterAccept is an SMTP server that takes every message, and the
// moment it has taken the first one, a second client of the database stalls
// the outbox (stall), before the daemon can mark the mail sent.
type stallAfterAccept struct {
	recordingTransport
	once  sync.Once
	stall func()
}

func (s *stallAfterAccept) Send(ctx context.Context, from string, to []string, raw []byte) error {
	_ = s.recordingTransport.Send(ctx, from, to, raw)
	s.once.Do(s.stall)
	return nil
}

// signalHandler passes every record to next and closes seen at the first
// record whose message contains want.
type signalHandler struct {
	slog.Handler
	want string
	seen chan struct{}
	once *sync.Once
}

func (h signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.want) {
		h.once.Do(func() { close(h.seen) })
	}
	return h.Handler.Handle(ctx, r)
}

func (h signalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

func (h signalHandler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

// tableStaller holds the outbox table from a second connection: on
// PostgreSQL an ACCESS EXCLUSIVE lock (nothing may even read it), on SQLite
// the database's write lock.
func tableStaller(t *testing.T, url, dialect string) (stall, release func()) {
	t.Helper()
	driver, dsn := "postgres", url
	if dialect == store.SQLite {
		driver, dsn = "sqlite", strings.TrimPrefix(url, "sqlite:")
	}
	side, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { side.Close() })
	var (
		mu       sync.Mutex
		tx       *sql.Tx
		released bool
	)
	stall = func() {
		mu.Lock()
		defer mu.Unlock()
		if released {
			return // the test has moved on: a stall now would never end
		}
		var err error
		if tx, err = side.Begin(); err != nil {
			t.Error(err)
			return
		}
		q := `LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE`
		if dialect == store.SQLite {
			q = `UPDATE outbox SET attempts = attempts WHERE 1 = 0; DELETE FROM outbox_attempts WHERE 1 = 0`
		}
		if _, err := tx.Exec(q); err != nil {
			t.Error(err)
		}
	}
	release = func() {
		mu.Lock()
		defer mu.Unlock()
		released = true
		if tx != nil {
			_ = tx.Rollback()
		}
	}
	return stall, release
}

// Issue 16, item 2: the "mark sent" update outlives its query timeout after
// the server took the mail. The mail is recorded as sent once the stall
// ends, and is never sent again — not even after its claim's lease ran out.
func TestStalledMarkSentDoesNotResend(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		db, err := store.Open(ctx, url, store.Options{Exclusive: true, QueryTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		stall, release := tableStaller(t, url, db.Dialect())
		defer release()
		server := &stallAfterAccept{stall: stall}
		retrying := make(chan struct{})
		log := slog.New(signalHandler{Handler: slog.NewTextHandler(t.Output(), nil),
			want: "failed; trying again", seen: retrying, once: &sync.Once{}})
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: server, Clock: clock, Settings: testSettings(), Log: log})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		want := count(t, db, `SELECT COUNT(*) FROM outbox`)

		done := make(chan error, 1)
		go func() { _, err := w.DeliverDue(ctx); done <- err }()
		select {
		case <-retrying: // a write timed out with the mail accepted
			release()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the delivery pass did not end after the stall")
			}
		case err = <-done:
			release()
		case <-time.After(20 * time.Second):
			t.Fatal("no write timed out while the outbox was stalled")
		}
		if err != nil {
			// Not the stall (under load the claim itself can outlast the
			// query timeout): what follows would prove nothing.
			t.Fatalf("the delivery pass failed on the stall: %v", err)
		}

		// Past the claim's lease and every retry delay: nothing goes out again.
		for range 3 {
			clock.Advance(2 * time.Hour)
			if _, err := w.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := server.count(); got != want {
			t.Fatalf("the server got %d messages, want each of the %d once", got, want)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); n != want {
			t.Fatalf("%d of %d messages recorded as sent", n, want)
		}
	})
}
