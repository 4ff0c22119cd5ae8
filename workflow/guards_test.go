package workflow_test

// Tests for guards that a deliberate break once slipped past the whole suite
// (issue 15 item 9): each fails when its guard is taken out.

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// tempError is a temporary refusal by our mail server, as mailbox.SMTPError
// reports a 4xx reply.
type tempError struct{}

func (tempError) Error() string   { return "smtp DATA: 451 4.3.0 Local error in processing (temporary)" }
func (tempError) Temporary() bool { return true }
func (tempError) Answer() string  { return "DATA: 451 4.3.0 Local error in processing" }
func (tempError) Replied() bool   { return true }

// countingTransport refuses every message temporarily and counts the offers
// per recipient.
type countingTransport struct {
	mu     sync.Mutex
	offers map[string]int
}

func (c *countingTransport) Send(_ context.Context, _ string, to []string, _ []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rcpt := range to {
		c.offers[rcpt]++
	}
	return tempError{}
}

func workflowWith(t *testing.T, db *store.DB, tr workflow.Transport, set workflow.Settings) (*workflow.Workflow, *workflow.ManualClock) {
	t.Helper()
	clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
	w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
		Transport: tr, Clock: clock, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	return w, clock
}

// processing.send_attempts caps how often a message is offered to our mail
// server. A temporary refusal that lasts through every attempt is our
// server's trouble: the mail is held (and the parent not blamed), and it is
// not offered again however long the daemon keeps running.
func TestTemporaryRefusalsStopAtSendAttemptsAndHoldTheMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		set := testSettings()
		set.SendAttempts = 3
		tr := &countingTransport{offers: map[string]int{}}
		w, clock := workflowWith(t, db, tr, set)
		if _, err := w.Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		rows := count(t, db, `SELECT COUNT(*) FROM outbox`)
		if rows == 0 {
			t.Fatal("the complaint queued no mail")
		}
		for range 3 * set.SendAttempts {
			if _, err := w.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Hour) // past any retry delay
		}
		for rcpt, n := range tr.offers {
			if n != set.SendAttempts {
				t.Errorf("mail to %s offered %d times, want send_attempts = %d", rcpt, n, set.SendAttempts)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = ? AND last_error LIKE ?`,
			workflow.OutboxHeld, workflow.HeldByServerPrefix+"%"); n != rows {
			t.Errorf("%d of %d messages held for our server after the attempts ran out", n, rows)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE unreachable = ?`, true); n != 0 {
			t.Error("the complainant was flagged unreachable for our server's trouble")
		}
	})
}

// cancellingTransport sends the first message and then asks the daemon to
// stop, as a signal arriving mid-batch does.
type cancellingTransport struct {
	cancel context.CancelFunc
	sent   int
}

func (c *cancellingTransport) Send(context.Context, string, []string, []byte) error {
	c.sent++
	c.cancel()
	return nil
}

// A daemon told to stop in the middle of a batch gives back what it claimed
// and did not try, without counting an attempt: the next pass (here, the
// same daemon a moment later, the clock not moving) sends it at once
// instead of after the claim's five-minute lease.
func TestStoppingMidBatchGivesBackWhatWasNotTried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		stopCtx, stop := context.WithCancel(ctx)
		tr := &cancellingTransport{cancel: stop}
		w, clock := workflowWith(t, db, tr, testSettings())
		if _, err := w.Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Process(ctx, delivery(2, clock.Now())); err != nil {
			t.Fatal(err)
		}
		rows := count(t, db, `SELECT COUNT(*) FROM outbox`)
		if rows < 2 {
			t.Fatalf("%d messages queued, the test needs a batch of at least 2", rows)
		}
		n, err := w.DeliverDue(stopCtx)
		if !errors.Is(err, context.Canceled) || n != 1 || tr.sent != 1 {
			t.Fatalf("DeliverDue = %d, %v after %d sent; want 1 tried and context.Canceled", n, err, tr.sent)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = ? AND attempts = 0
				AND claimed_until IS NULL AND claimed_by IS NULL`, workflow.OutboxQueued); got != rows-1 {
			t.Fatalf("%d of the %d untried messages are back in the queue with no attempt counted", got, rows-1)
		}
		tr.cancel = func() {}
		if _, err := w.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if tr.sent != rows {
			t.Fatalf("%d of %d messages sent by the next pass without the clock moving", tr.sent, rows)
		}
	})
}

// The loop breaker holds back automatic mail about a case once too much
// went out, but never the deadline notice: it is the parent's key to the
// Geschillencommissie (Wko 1.66a(1)(a)(1°)). The staff's copy, not
// essential, is held in the same run, so the breaker was engaged.
func TestLoopBreakerNeverHoldsBackTheDeadlineNotice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		set := testSettings()
		set.Breaker.PerCase = 1
		set.Breaker.Window = 90 * 24 * time.Hour // everything since the complaint counts
		w, clock := workflowWith(t, db, nil, set)
		if _, err := w.Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		clock.Advance(43 * 24 * time.Hour)
		if _, err := w.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		var notices []struct {
			Kind      string `db:"kind"`
			State     string `db:"state"`
			LastError string `db:"last_error"`
		}
		if err := db.Select(ctx, &notices, `SELECT kind, state, last_error FROM outbox WHERE kind IN (?, ?)`,
			workflow.MsgDeadlinePassed, workflow.MsgDeadlinePassedStaff); err != nil {
			t.Fatal(err)
		}
		var parent, staffHeld int
		for _, n := range notices {
			switch {
			case n.Kind == workflow.MsgDeadlinePassed:
				parent++
				if n.State != workflow.OutboxQueued {
					t.Errorf("deadline notice to the parent %s (%q), want queued", n.State, n.LastError)
				}
			case n.State == workflow.OutboxHeld && strings.HasPrefix(n.LastError, "held back by the loop breaker"):
				staffHeld++
			}
		}
		if parent != 1 {
			t.Fatalf("%d deadline notices to the parent, want 1 (outbox: %+v)", parent, notices)
		}
		if staffHeld == 0 {
			t.Fatalf("the loop breaker held back none of the staff's deadline notices: not engaged (outbox: %+v)", notices)
		}
	})
}

// Several daemons share one PostgreSQL database: a row another daemon holds
// locked (mid-claim, mid-update) is skipped, not waited for, and two
// daemons claiming at the same time each take different rows (FOR UPDATE
// SKIP LOCKED). Without it the claim queues behind the lock and no mail
// goes out until the holder lets go.
func TestConcurrentClaimersSkipALockedRowInsteadOfWaiting(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("row locks between daemons are PostgreSQL's: set TEST_DATABASE_URL")
	}
	ctx := t.Context()
	url := storetest.URL(t, store.Postgres)
	clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
	sent := &recordingTransport{}
	daemon := func() *workflow.Workflow {
		db := openDaemonDB(t, url)
		t.Cleanup(func() { db.Close() })
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: sent, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a, b := daemon(), daemon()
	for uid := uint32(1); uid <= 4; uid++ {
		if _, err := a.Process(ctx, delivery(uid, clock.Now())); err != nil {
			t.Fatal(err)
		}
	}

	// A third session holds the oldest queued row locked.
	other, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	var lockedID int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM outbox ORDER BY id LIMIT 1 FOR UPDATE`).Scan(&lockedID); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&rows); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 2)
	for _, w := range []*workflow.Workflow{a, b} {
		go func() {
			_, err := w.DeliverDue(ctx)
			done <- err
		}()
	}
	bound := time.NewTimer(15 * time.Second)
	defer bound.Stop()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-bound.C:
			_ = tx.Rollback() // let the waiting claim finish before the test ends
			<-done
			t.Fatalf("a claim waited for the row another session holds locked (%d of %d sent meanwhile)", sent.count(), rows-1)
		}
	}
	if sent.count() != rows-1 {
		t.Fatalf("the two daemons sent %d messages, want each of the %d unlocked ones once", sent.count(), rows-1)
	}
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM outbox WHERE id = $1`, lockedID).Scan(&state); err != nil || state != workflow.OutboxQueued {
		t.Fatalf("locked row %d is %q (%v), want left queued", lockedID, state, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if sent.count() != rows {
		t.Fatalf("%d of %d messages sent once the lock was let go", sent.count(), rows)
	}
}
