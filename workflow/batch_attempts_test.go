package workflow_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A message that stops the daemon each time it is tried (an out-of-memory
// kill, say: nothing a recover catches) runs out of attempts alone; the
// messages after it in its batch are tried, not quarantined with it. Each
// stop is the context ending while the message is parsed: nothing after it
// in the offer runs.
func TestMessageThatStopsTheDaemonRunsOutOfAttemptsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var stop context.CancelFunc
		// The killer second in the batch, three ordinary messages after it.
		w, batch := troubleSecond(t, db, "<crash@example.nl>", "Dit bericht laat de daemon stoppen.", func() { stop() })
		var last []workflow.GroupResult
		for offer := 1; offer <= 5; offer++ {
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
func troubleSecond(t *testing.T, db *store.DB, id, body string, trouble func()) (*workflow.Workflow, []workflow.Delivery) {
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
