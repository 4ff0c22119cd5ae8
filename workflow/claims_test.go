package workflow_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// stuckTransport takes the first message and never finishes it: a daemon
// that is killed in the middle of sending.
type stuckTransport struct {
	entered chan struct{}
	once    sync.Once
	release chan struct{}
}

func (s *stuckTransport) Send(ctx context.Context, _ string, _ []string, _ []byte) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return errors.New("the daemon died mid-send")
}

// recordingTransport accepts everything and counts what it got.
type recordingTransport struct {
	mu   sync.Mutex
	sent []string
}

func (r *recordingTransport) Send(_ context.Context, _ string, to []string, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, to...)
	return nil
}

func (r *recordingTransport) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// openDaemonDB opens the database as the daemon does: exclusively.
func openDaemonDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), url, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Mail claimed by a daemon that is gone is sent by the next one at once,
// not after the 5-minute lease: the clock does not move in this test.
func TestClaimsOfAGoneDaemonAreFreeAtOnce(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		dbA := openDaemonDB(t, url)
		stuck := &stuckTransport{entered: make(chan struct{}), release: make(chan struct{})}
		wA, err := workflow.New(workflow.Deps{DB: dbA, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: stuck, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		for uid := uint32(1); uid <= 3; uid++ {
			if _, err := wA.Process(ctx, delivery(uid, clock.Now())); err != nil {
				t.Fatal(err)
			}
		}
		want := count(t, dbA, `SELECT COUNT(*) FROM outbox`)
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = wA.DeliverDue(ctx) })
		<-stuck.entered
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != want {
			t.Fatalf("%d of %d messages claimed by the stuck daemon", n, want)
		}
		dbA.Close() // the daemon's end: its session (and SQLite file lock) go with it
		defer func() { close(stuck.release); wg.Wait() }()

		dbB := openDaemonDB(t, url)
		defer dbB.Close()
		sent := &recordingTransport{}
		wB, err := workflow.New(workflow.Deps{DB: dbB, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: sent, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		// PostgreSQL drops a closed session's locks a moment after the
		// connection closes; wait for that, with a failure bound.
		deadline := time.Now().Add(10 * time.Second)
		for sent.count() < want {
			if _, err := wB.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d claimed messages sent by the next daemon, without the clock moving", sent.count(), want)
			}
		}
		if _, err := wB.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if sent.count() != want {
			t.Fatalf("%d messages sent, want each of the %d once", sent.count(), want)
		}
	})
}

// A live daemon's claims stay its own: another daemon on the same
// PostgreSQL database, or a command beside the daemon on SQLite (digest
// -send opens the file shared), does not send them again.
func TestClaimsOfALiveDaemonAreLeftAlone(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		dbA := openDaemonDB(t, url)
		defer dbA.Close()
		stuck := &stuckTransport{entered: make(chan struct{}), release: make(chan struct{})}
		wA, err := workflow.New(workflow.Deps{DB: dbA, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: stuck, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wA.Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = wA.DeliverDue(ctx) })
		<-stuck.entered
		defer func() { close(stuck.release); wg.Wait() }()

		// Another daemon (PostgreSQL) or a command sharing the file (SQLite).
		dbB, err := store.Open(ctx, url, store.Options{Exclusive: dbA.Dialect() == store.Postgres})
		if err != nil {
			t.Fatal(err)
		}
		defer dbB.Close()
		sent := &recordingTransport{}
		wB, err := workflow.New(workflow.Deps{DB: dbB, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: sent, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := wB.DeliverDue(ctx); err != nil || n != 0 || sent.count() != 0 {
			t.Fatalf("tried %d and sent %d of the live daemon's claims (%v)", n, sent.count(), err)
		}
	})
}
