package workflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// refusingTransport fails the test when anything is sent through it: a
// daemon that stops before its outbox's next pass.
type refusingTransport struct{ t *testing.T }

func (r refusingTransport) Send(context.Context, string, []string, []byte) error {
	r.t.Error("a stopped daemon sent mail")
	return nil
}

// daemonWorkflow is the workflow of a daemon on db.
func daemonWorkflow(t *testing.T, db *store.DB, tr workflow.Transport, clock workflow.Clock) *workflow.Workflow {
	t.Helper()
	w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
		Transport: tr, Clock: clock, Settings: testSettings()})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A daemon killed with handed-over mail not yet sent: the next daemon sends
// each mail once, at once (the dead daemon's claims are free without the
// lease running out: the clock does not move), and the first attempt is on
// record as unknown, as after any claim the daemon did not live to send.
func TestKilledDaemonsHandedOverMailIsSentOnce(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		clock := workflow.NewManualClock(groupTime())
		dbA := openDaemonDB(t, url)
		wA := daemonWorkflow(t, dbA, refusingTransport{t}, clock)
		processGroup(t, wA, aGroup(clock.Now()))
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != 7 {
			t.Fatalf("%d of 7 mails handed over", n)
		}
		dbA.Close() // the daemon's end: its session (and SQLite file lock) go with it

		dbB := openDaemonDB(t, url)
		defer dbB.Close()
		tr := &checkingTransport{db: dbB}
		wB := daemonWorkflow(t, dbB, tr, clock)
		// PostgreSQL drops a closed session's locks a moment after the
		// connection closes; wait for that, with a failure bound.
		deadline := time.Now().Add(10 * time.Second)
		for count(t, dbB, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`) < 7 {
			deliverDue(t, wB)
			if time.Now().After(deadline) {
				t.Fatal("the dead daemon's handed-over mail was not sent by the next daemon")
			}
		}
		deliverDue(t, wB)
		tr.check(t, 7)
		if n := count(t, dbB, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 2`); n != 7 {
			t.Errorf("%d of 7 mails sent at their second attempt", n)
		}
		if n := count(t, dbB, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'unknown' AND attempt = 1`); n != 7 {
			t.Errorf("%d first attempts recorded as unknown, want 7", n)
		}
	})
}

// A daemon stopped cleanly puts back the mail handed to its outbox and not
// yet sent, and hands nothing over once its outbox has stopped: after the
// restart each mail is sent once, with no attempt in doubt.
func TestStoppedDaemonPutsHandedOverMailBack(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		clock := workflow.NewManualClock(groupTime())
		dbA := openDaemonDB(t, url)
		wA := daemonWorkflow(t, dbA, refusingTransport{t}, clock)
		processGroup(t, wA, aGroup(clock.Now())[:2])
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != 4 {
			t.Fatalf("%d of 4 mails handed over", n)
		}
		stopped, stop := context.WithCancel(t.Context())
		stop()
		if err := wA.RunOutbox(stopped); err != nil {
			t.Fatal(err)
		}
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND attempts = 0 AND claimed_by IS NULL`); n != 4 {
			t.Errorf("%d of 4 handed-over mails put back in the queue", n)
		}
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox_attempts`); n != 0 {
			t.Errorf("%d attempts left of mail never handed to the server", n)
		}
		// Messages acted on while the daemon stops: their mail is queued.
		processGroup(t, wA, aGroup(clock.Now())[2:])
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'queued'`); n != 7 {
			t.Errorf("%d of 7 mails queued after the outbox stopped", n)
		}
		dbA.Close()

		dbB := openDaemonDB(t, url)
		defer dbB.Close()
		tr := &checkingTransport{db: dbB}
		wB := daemonWorkflow(t, dbB, tr, clock)
		for deliverDue(t, wB) > 0 {
		}
		tr.check(t, 7)
		if n := count(t, dbB, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != 7 {
			t.Errorf("%d of 7 mails sent at their first attempt", n)
		}
		if n := count(t, dbB, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome <> 'accepted'`); n != 0 {
			t.Errorf("%d attempts not accepted, want none in doubt", n)
		}
	})
}

// A live daemon's handed-over mail stays its own: another daemon on the
// same PostgreSQL database, or a command beside the daemon on SQLite, does
// not send it; the daemon itself sends each once.
func TestHandedOverMailOfALiveDaemonIsLeftAlone(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		clock := workflow.NewManualClock(groupTime())
		dbA := openDaemonDB(t, url)
		defer dbA.Close()
		trA := &checkingTransport{db: dbA}
		wA := daemonWorkflow(t, dbA, trA, clock)
		processGroup(t, wA, aGroup(clock.Now()))

		dbB, err := store.Open(ctx, url, store.Options{Exclusive: dbA.Dialect() == store.Postgres})
		if err != nil {
			t.Fatal(err)
		}
		defer dbB.Close()
		trB := &checkingTransport{db: dbB}
		wB := daemonWorkflow(t, dbB, trB, clock)
		if n := deliverDue(t, wB); n != 0 {
			t.Fatalf("another daemon tried %d of the live daemon's handed-over mails", n)
		}
		for deliverDue(t, wA) > 0 {
		}
		trA.check(t, 7)
		trB.check(t, 0)
	})
}
