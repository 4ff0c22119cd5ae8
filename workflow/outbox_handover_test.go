package workflow_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// claimStatement starts the outbox's claim; rawRead reads a mail's bytes
// back for sending.
const (
	claimStatement = "UPDATE outbox SET state = ?, attempts = attempts + 1"
	rawRead        = "SELECT raw FROM outbox"
)

// checkingTransport is a mail server that, as each mail reaches it, looks
// in the database (committed data, another connection) for the attempt
// recorded before the send. fail, when set, answers the nth send instead
// of accepting it.
type checkingTransport struct {
	db   *store.DB
	fail func(n int) error

	mu       sync.Mutex
	sent     map[string]int // raw → times accepted
	offers   int
	problems []string
}

func (c *checkingTransport) Send(ctx context.Context, _ string, to []string, raw []byte) error {
	var started int
	err := c.db.Get(ctx, &started, `SELECT COUNT(*) FROM outbox o JOIN outbox_attempts a ON a.outbox_id = o.id
		WHERE o.raw = ? AND a.outcome = ?`, raw, workflow.AttemptSending)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offers++
	switch {
	case err != nil:
		c.problems = append(c.problems, fmt.Sprintf("to %v: %v", to, err))
	case started != 1:
		c.problems = append(c.problems, fmt.Sprintf("to %v: %d attempts recorded as started when the mail reached the server, want 1", to, started))
	}
	if c.fail != nil {
		if err := c.fail(c.offers); err != nil {
			return err
		}
	}
	if c.sent == nil {
		c.sent = map[string]int{}
	}
	c.sent[string(raw)]++
	return nil
}

// check fails t unless every mail reached the server after its attempt was
// committed, and want different mails were each accepted once.
func (c *checkingTransport) check(t *testing.T, want int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.problems {
		t.Error(p)
	}
	if len(c.sent) != want {
		t.Errorf("%d different mails accepted by the server, want %d", len(c.sent), want)
	}
	for _, n := range c.sent {
		if n != 1 {
			t.Errorf("a mail was accepted %d times, want once", n)
		}
	}
}

// groupTime is when the tests' groups arrive.
func groupTime() time.Time { return time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam) }

func deliverDue(t *testing.T, w *workflow.Workflow) int {
	t.Helper()
	n, err := w.DeliverDue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A group's mail goes straight to the outbox: written claimed with its
// attempt in the group's transaction, and sent by the next pass without a
// claim and without reading its bytes back; each attempt is committed
// before the server sees the mail.
func TestGroupHandsItsMailToTheOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		w, counted, clock := groupWorkflowSending(t, db, tr)
		processGroup(t, w, aGroup(clock.Now()))
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sending' AND attempts = 1 AND claimed_by IS NOT NULL`); n != 7 {
			t.Fatalf("%d of the group's 7 mails written claimed by the daemon", n)
		}
		if n := deliverDue(t, w); n != 7 {
			t.Fatalf("the first pass tried %d mails, want the group's 7", n)
		}
		tr.check(t, 7)
		if n := counted.statements(claimStatement); n != 0 {
			t.Errorf("%d claim statements for handed-over mail, want none", n)
		}
		if n := counted.statements(rawRead); n != 0 {
			t.Errorf("%d mails' bytes read back, want none", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != 7 {
			t.Errorf("%d mails sent at their first attempt, want 7", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'accepted'`); n != 7 {
			t.Errorf("%d attempts recorded as accepted, want 7", n)
		}
		// Nothing is sent twice.
		if n := deliverDue(t, w); n != 0 {
			t.Errorf("a second pass tried %d mails", n)
		}
		tr.check(t, 7)
	})
}

// A group rolled back after writing its mail hands nothing over: its
// messages are acted on alone, and their mail is claimed and sent once.
func TestRolledBackGroupHandsNothingOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		// The group's outbox rows are written just before its messages.
		tdb := &tripDB{Database: db, prefix: "INSERT INTO messages", trip: func() { panic("the disk went away") }}
		counted := &txCounter{StatementLog: workflow.NewStatementLog(tdb)}
		clock := workflow.NewManualClock(groupTime())
		w, err := workflow.New(workflow.Deps{DB: counted, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: tr, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		processGroup(t, w, aGroup(clock.Now()))
		if !tdb.tripped.Load() {
			t.Fatal("the group was never rolled back")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'queued'`); n != 7 {
			t.Errorf("%d of 7 mails queued by the messages acted on alone", n)
		}
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 7)
		if n := counted.statements(claimStatement); n == 0 {
			t.Error("the mail was sent without a claim: something was handed over")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); n != 7 {
			t.Errorf("%d of 7 mails sent", n)
		}
	})
}

// Over its bound the hand-over takes no more: the rest is queued and the
// claim sends it. Mail waiting in memory counts against the bound, so a
// server that does not keep up never grows the heap.
func TestHandOverIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		w, counted, clock := groupWorkflowSending(t, db, tr)
		workflow.SetHandoverBound(w, 3, 1<<20)
		processGroup(t, w, aGroup(clock.Now()))
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != 3 {
			t.Errorf("%d mails handed over, want the bound's 3", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND attempts = 0`); n != 4 {
			t.Errorf("%d mails queued, want the 4 over the bound", n)
		}
		// The three still wait: a second group hands nothing over.
		processGroup(t, w, []workflow.Delivery{
			groupMail(5, clock.Now(), "From: Kim Smit <kim@example.nl>\r\nSubject: Slapen\r\nMessage-ID: <k1@example.nl>\r\n", "Geen rustmoment."),
			groupMail(6, clock.Now(), "From: Bo Visser <bo@example.nl>\r\nSubject: Eten\r\nMessage-ID: <b1@example.nl>\r\n", "Koud eten."),
		})
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != 3 {
			t.Errorf("%d mails handed over, want still the bound's 3", n)
		}
		if n := deliverDue(t, w); n != 3 {
			t.Errorf("the first pass tried %d mails, want the 3 handed over", n)
		}
		if n := counted.statements(claimStatement); n != 0 {
			t.Errorf("%d claim statements before the queued mail's turn", n)
		}
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 11)
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != 11 {
			t.Errorf("%d of 11 mails sent at their first attempt", n)
		}
	})
}

// Mail the loop breaker holds back is not handed over: it stays held, with
// no attempt, and is never sent.
func TestHeldMailIsNotHandedOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		clock := workflow.NewManualClock(groupTime())
		set := testSettings()
		set.Breaker.PerRecipient = 1
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Transport: tr, Clock: clock, Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		processGroup(t, w, []workflow.Delivery{
			groupMail(1, clock.Now(), "From: Peter Bakker <peter.bakker@example.nl>\r\nSubject: Factuur\r\nMessage-ID: <p1@example.nl>\r\n", "De factuur klopt niet."),
			groupMail(2, clock.Now(), "From: Peter Bakker <peter.bakker@example.nl>\r\nSubject: Rooster\r\nMessage-ID: <p2@example.nl>\r\n", "Het rooster klopt niet."),
		})
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'held' AND attempts = 0 AND claimed_by IS NULL`); n != 1 {
			t.Fatalf("%d mails held back unclaimed, want Peter's second confirmation", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != 3 {
			t.Errorf("%d mails handed over, want the 3 not held", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id WHERE o.state = 'held'`); n != 0 {
			t.Errorf("%d attempts of held mail", n)
		}
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 3)
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'held'`); n != 1 {
			t.Errorf("%d mails still held, want 1", n)
		}
	})
}

// A handed-over mail the server refuses for now follows the retry path:
// queued for later with its attempt deferred, then claimed and sent.
func TestRefusedHandedOverMailIsRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db, fail: func(n int) error {
			if n <= 7 {
				return tempError{}
			}
			return nil
		}}
		w, counted, clock := groupWorkflowSending(t, db, tr)
		processGroup(t, w, aGroup(clock.Now()))
		if n := deliverDue(t, w); n != 7 {
			t.Fatalf("the first pass tried %d mails, want 7", n)
		}
		if n := counted.statements(claimStatement); n != 0 {
			t.Errorf("%d claim statements for handed-over mail, want none", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND attempts = 1 AND next_attempt_at > ?`, clock.Now()); n != 7 {
			t.Errorf("%d of 7 refused mails queued for a later attempt", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'deferred'`); n != 7 {
			t.Errorf("%d attempts recorded as deferred, want 7", n)
		}
		if n := deliverDue(t, w); n != 0 {
			t.Errorf("%d mails tried again before their retry was due", n)
		}
		clock.Advance(2 * time.Minute)
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 7)
		if n := counted.statements(claimStatement); n == 0 {
			t.Error("the retry was sent without a claim")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 2`); n != 7 {
			t.Errorf("%d of 7 mails sent at their second attempt", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'unknown'`); n != 0 {
			t.Errorf("%d attempts recorded as unknown", n)
		}
	})
}

// Handed-over mail that waited half its claim's lease (a server that does
// not keep up) is not sent from memory, where its lease could run out
// under it: it goes back to the queue and is claimed, each mail once.
func TestHandedOverMailThatWaitedHalfItsLeaseIsClaimed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		w, counted, clock := groupWorkflowSending(t, db, tr)
		processGroup(t, w, aGroup(clock.Now()))
		clock.Advance(3 * time.Minute)
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 7)
		if n := counted.statements(claimStatement); n == 0 {
			t.Error("mail past half its lease was sent from memory, without a claim")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != 7 {
			t.Errorf("%d of 7 mails sent at their first attempt", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome <> 'accepted'`); n != 0 {
			t.Errorf("%d attempts not accepted, want none in doubt", n)
		}
	})
}
