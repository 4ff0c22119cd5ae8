package workflow_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A message that kills the daemon each time it is tried (an out-of-memory
// kill, say: nothing a recover catches) runs out of attempts alone; the
// messages after it in its batch are tried, not quarantined with it. Each
// kill happens while the message is parsed: from then on nothing reaches
// the database (a killed daemon gives nothing back), and the context ends.
func TestMessageThatStopsTheDaemonRunsOutOfAttemptsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var stop context.CancelFunc
		dying := &killable{Database: db}
		// The killer second in the batch, three ordinary messages after it.
		w, batch := troubleSecond(t, dying, "<crash@example.nl>", "Dit bericht laat de daemon stoppen.", func() {
			dying.dead.Store(true)
			stop()
		})
		var last []workflow.GroupResult
		for offer := 1; offer <= 5; offer++ {
			dying.dead.Store(false) // the next start
			ctx, cancel := context.WithCancel(t.Context())
			stop = cancel
			last = w.ProcessGroup(ctx, batch)
			cancel()
		}
		for i, r := range last {
			want := workflow.LedgerProcessed
			if i == 1 {
				want = workflow.LedgerQuarantined
			}
			if r.Settled.State != want {
				t.Errorf("message %d after five offers: %+v, want %s", i+1, r, want)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 3 {
			t.Errorf("%d cases, want the three complaints'", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'quarantined'`); n != 1 {
			t.Errorf("%d messages quarantined, want only the one that stops the daemon", n)
		}
	})
}

// troubleSecond is a workflow whose parser calls trouble for the message
// with Message-ID id (and then parses it), and a batch of aGroup's four
// messages with that message, saying body, second.
func troubleSecond(t *testing.T, db workflow.Database, id, body string, trouble func()) (*workflow.Workflow, []workflow.Delivery) {
	t.Helper()
	parser := func(raw []byte) (workflow.Mail, error) {
		if bytes.Contains(raw, []byte(id)) {
			trouble()
		}
		return parse(raw)
	}
	clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
	w, err := workflow.New(workflow.Deps{DB: db, Parse: parser, Render: realTemplates(t), Compose: mailbox.Compose,
		Clock: clock, Settings: testSettings()})
	if err != nil {
		t.Fatal(err)
	}
	group := aGroup(clock.Now())
	second := groupMail(9, clock.Now(), "From: Eva Smit <eva@example.nl>\r\nSubject: Vraag\r\nMessage-ID: "+id+"\r\n", body)
	return w, []workflow.Delivery{group[0], second, group[1], group[2], group[3]}
}

// A group whose arrivals were recorded but that the daemon stopped before
// acting on (the group waiting behind the one being acted on) gets its
// attempt back: at the next start each message is tried, even with a
// single attempt allowed, not quarantined untried.
func TestGroupGivenBackAtAStopKeepsItsAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		set := testSettings()
		set.MaxAttempts = 1
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Clock: clock, Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		batch := aGroup(clock.Now())
		if err := w.ArriveGroup(t.Context(), batch).GiveBack(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE attempts <> 0`); n != 0 {
			t.Errorf("%d arrivals still count an attempt after the stop gave them back", n)
		}
		for i, r := range w.ProcessGroup(t.Context(), batch) {
			if r.Err != nil || r.Settled.State != workflow.LedgerProcessed {
				t.Errorf("message %d at the next start: %+v, want it processed", i+1, r)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'quarantined'`); n != 0 {
			t.Errorf("%d messages quarantined after a stop before they were tried", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 3 {
			t.Errorf("%d cases, want the three complaints'", n)
		}
	})
}

// killable is a database a killed daemon no longer reaches: once dead,
// every statement fails.
type killable struct {
	workflow.Database
	dead atomic.Bool
}

var errKilled = errors.New("test: the daemon was killed")

func (k *killable) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Database.InTx(ctx, fn)
}

func (k *killable) Get(ctx context.Context, dest any, query string, args ...any) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Database.Get(ctx, dest, query, args...)
}

func (k *killable) Select(ctx context.Context, dest any, query string, args ...any) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Database.Select(ctx, dest, query, args...)
}

func (k *killable) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if k.dead.Load() {
		return 0, errKilled
	}
	return k.Database.Exec(ctx, query, args...)
}

// A stop (not a kill) while a group is acted on interrupts it: its
// messages stay pending with their attempt given back, and the next start
// acts on each, even with a single attempt allowed. Before, the group was
// then processed one message at a time with the cancelled context, each
// failing at once with its attempt spent, and a restart with
// processing.max_attempts = 1 quarantined them all untried.
func TestGroupInterruptedByAStopKeepsItsAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		set := testSettings()
		set.MaxAttempts = 1
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		stopping := &stopsMidGroup{Database: db}
		w, err := workflow.New(workflow.Deps{DB: stopping, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Clock: clock, Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		batch := aGroup(clock.Now())
		ctx, stop := context.WithCancel(t.Context())
		stopping.stop = stop
		for i, r := range w.ProcessGroup(ctx, batch) {
			if r.Err == nil || r.Settled.State != "" {
				t.Errorf("message %d acted on or settled though the stop interrupted its group: %+v", i+1, r)
			}
		}
		stop()
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'pending' AND attempts = 0`); n != len(batch) {
			t.Errorf("%d of %d interrupted messages pending with their attempt given back", n, len(batch))
		}
		stopping.stop = nil
		for i, r := range w.ProcessGroup(t.Context(), batch) {
			if r.Err != nil || r.Settled.State != workflow.LedgerProcessed {
				t.Errorf("message %d at the next start: %+v, want it processed", i+1, r)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'quarantined'`); n != 0 {
			t.Errorf("%d messages quarantined after a stop interrupted them", n)
		}
	})
}

// stopsMidGroup is a database on which the daemon is told to stop (stop)
// as the group's transaction begins: its first statement then fails as
// PostgreSQL's does when the context ends ("canceling statement").
type stopsMidGroup struct {
	workflow.Database
	stop context.CancelFunc
}

func (s *stopsMidGroup) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.Database.InTx(ctx, func(txCtx context.Context) error {
		if s.stop != nil {
			s.stop()
			return txCtx.Err()
		}
		return fn(txCtx)
	})
}
