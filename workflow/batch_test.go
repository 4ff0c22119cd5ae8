package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// txCounter counts the transactions the workflow opens on a real database,
// and keeps the statements it runs.
type txCounter struct {
	*workflow.StatementLog
	txs atomic.Int64
}

// statements counts the statements run so far that start with prefix.
func (c *txCounter) statements(prefix string) int { return c.Statements(prefix) }

type txKey struct{}

func (c *txCounter) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(txKey{}) == nil {
		c.txs.Add(1)
	}
	return c.StatementLog.InTx(ctx, func(ctx context.Context) error { return fn(context.WithValue(ctx, txKey{}, true)) })
}

func groupWorkflow(t *testing.T, db *store.DB) (*workflow.Workflow, *txCounter, *workflow.ManualClock) {
	t.Helper()
	return groupWorkflowSending(t, db, nil)
}

// groupWorkflowSending is groupWorkflow with a transport.
func groupWorkflowSending(t *testing.T, db *store.DB, transport workflow.Transport) (*workflow.Workflow, *txCounter, *workflow.ManualClock) {
	t.Helper()
	clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
	counted := &txCounter{StatementLog: workflow.NewStatementLog(db)}
	w, err := workflow.New(workflow.Deps{DB: counted, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
		Transport: transport, Clock: clock, Settings: testSettings()})
	if err != nil {
		t.Fatal(err)
	}
	return w, counted, clock
}

// groupMail is one message of a test group, UID uid.
func groupMail(uid uint32, at time.Time, header, body string) workflow.Delivery {
	raw := header + "To: klachten@vlinder.example\r\n\r\n" + body + "\r\n"
	return workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: uid, InternalDate: at, Raw: []byte(raw)}
}

// aGroup is three complaints and, fetched in the same batch, Sanne's
// follow-up to her own complaint.
func aGroup(at time.Time) []workflow.Delivery {
	return []workflow.Delivery{
		groupMail(1, at, "From: Sanne Jansen <sanne.jansen@example.nl>\r\nSubject: Ophalen\r\nMessage-ID: <s1@example.nl>\r\n",
			"Noah is meegegeven aan de buurvrouw."),
		groupMail(2, at, "From: Peter Bakker <peter.bakker@example.nl>\r\nSubject: Factuur\r\nMessage-ID: <p1@example.nl>\r\n",
			"De factuur klopt niet."),
		groupMail(3, at, "From: Sanne Jansen <sanne.jansen@example.nl>\r\nSubject: Re: Ophalen\r\nMessage-ID: <s2@example.nl>\r\nIn-Reply-To: <s1@example.nl>\r\n",
			"En de buurvrouw stond niet op de lijst."),
		groupMail(4, at, "From: Lisa de Boer <lisa@example.nl>\r\nSubject: Wenperiode\r\nMessage-ID: <l1@example.nl>\r\n",
			"De wenperiode was te kort."),
	}
}

// checkGroupOutcome asserts what a user of the group's mail would see: three
// cases numbered in arrival order, Sanne's follow-up on her own case, each
// message acted on once.
func checkGroupOutcome(t *testing.T, db *store.DB) {
	t.Helper()
	var refs []struct {
		Ref   string `db:"reference"`
		Email string `db:"complainant_email"`
	}
	if err := db.Select(t.Context(), &refs, `SELECT reference, complainant_email FROM cases ORDER BY reference`); err != nil {
		t.Fatal(err)
	}
	want := []string{"KL-2026-0001 sanne.jansen@example.nl", "KL-2026-0002 peter.bakker@example.nl", "KL-2026-0003 lisa@example.nl"}
	var got []string
	for _, r := range refs {
		got = append(got, r.Ref+" "+r.Email)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("cases %v, want %v", got, want)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM messages m JOIN cases c ON c.id = m.case_id
		WHERE c.reference = 'KL-2026-0001' AND m.direction = 'in'`); n != 2 {
		t.Errorf("Sanne's case holds %d inbound messages, want her complaint and its follow-up", n)
	}
	// Per complaint a confirmation and a notification; the follow-up is
	// passed to the handler.
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 7 {
		t.Errorf("%d outgoing mails, want 7", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE attempts <> 1`); n != 0 {
		t.Errorf("%d ledger entries count more than one attempt", n)
	}
}

func TestGroupIsActedOnInOneTransactionInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := groupWorkflow(t, db)
		group := aGroup(clock.Now())
		for i, r := range w.ProcessGroup(t.Context(), group) {
			if r.Err != nil || r.Disposition != workflow.Done || r.Settled.State != workflow.LedgerProcessed {
				t.Errorf("message %d: %+v", i+1, r)
			}
		}
		if n := counted.txs.Load(); n != 1 {
			t.Errorf("%d transactions for the group, want 1", n)
		}
		checkGroupOutcome(t, db)

		// Offered again (a crash between the commit and the MOVE): nothing
		// changes, nothing more is sent.
		for i, r := range w.ProcessGroup(t.Context(), group) {
			if r.Err != nil || r.Disposition != workflow.Done {
				t.Errorf("again, message %d: %+v", i+1, r)
			}
		}
		checkGroupOutcome(t, db)
	})
}

func TestBadMessageInAGroupIsQuarantinedAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, clock := groupWorkflow(t, db)
		group := aGroup(clock.Now())
		// Nobody to answer: a message without any sender address, between
		// the complaint and its follow-up.
		bad := groupMail(9, clock.Now(), "Subject: Zonder afzender\r\nMessage-ID: <x@example.nl>\r\n", "Wie ben ik?")
		group = append(group[:2], append([]workflow.Delivery{bad}, group[2:]...)...)
		rs := w.ProcessGroup(t.Context(), group)
		for i, r := range rs {
			want := workflow.Done
			if group[i].UID == 9 {
				want = workflow.Quarantine
			}
			if r.Err != nil || r.Disposition != want {
				t.Errorf("message uid %d: %+v, want %v", group[i].UID, r, want)
			}
		}
		var reason string
		if err := db.Get(t.Context(), &reason, `SELECT reason FROM ledger WHERE state = 'quarantined' AND uid = 9`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reason, "no sender") {
			t.Errorf("quarantine reason %q", reason)
		}
		checkGroupOutcome(t, db)
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'quarantined'`); n != 1 {
			t.Errorf("%d messages quarantined, want only the bad one", n)
		}
	})
}

// A group that fails as a whole for a passing reason leaves nothing behind:
// every message stays pending with its attempt counted, and the next offer
// acts on each once.
func TestFailedGroupLeavesNothingAndIsRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		failing := true
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		r := &faultyRenderer{real: realTemplates(t), fail: func() error {
			if failing {
				return fmt.Errorf("disk full")
			}
			return nil
		}}
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: r, Compose: mailbox.Compose, Clock: clock, Settings: testSettings()})
		if err != nil {
			t.Fatal(err)
		}
		group := aGroup(clock.Now())
		for i, res := range w.ProcessGroup(t.Context(), group) {
			if res.Err == nil {
				t.Errorf("message %d succeeded while rendering fails: %+v", i+1, res)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`) + count(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
			t.Fatalf("%d cases and mails left by a failed group", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'pending' AND attempts = 1`); n != len(group) {
			t.Fatalf("%d pending entries with one attempt, want %d", n, len(group))
		}
		failing = false
		for i, res := range w.ProcessGroup(t.Context(), group) {
			if res.Err != nil || res.Disposition != workflow.Done {
				t.Errorf("retry, message %d: %+v", i+1, res)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 3 {
			t.Errorf("%d cases after the retry, want 3", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 7 {
			t.Errorf("%d mails after the retry, want 7", n)
		}
	})
}

// A group numbers its new cases from one block of references reserved with
// one counter update; what it did not use (Sanne's follow-up opens no case)
// is given back, so the next case, alone, takes the next number: no gaps.
func TestGroupNumbersItsCasesFromOneBlockWithoutGaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := groupWorkflow(t, db)
		for i, r := range w.ProcessGroup(t.Context(), aGroup(clock.Now())) {
			if r.Err != nil || r.Disposition != workflow.Done {
				t.Fatalf("message %d: %+v", i+1, r)
			}
		}
		checkGroupOutcome(t, db)
		if n := counted.statements("INSERT INTO reference_counters"); n != 1 {
			t.Errorf("%d counter updates for the group's three cases, want 1", n)
		}
		// The timeline's events, written together at the end of the group.
		if n := counted.statements("INSERT INTO events"); n != 1 {
			t.Errorf("%d statements wrote the group's events, want 1", n)
		}
		var kinds []string
		if err := db.Select(t.Context(), &kinds, `SELECT e.kind FROM events e JOIN cases c ON c.id = e.case_id
			WHERE c.reference = 'KL-2026-0001' ORDER BY e.id`); err != nil {
			t.Fatal(err)
		}
		if strings.Join(kinds, ",") != "opened,message" {
			t.Errorf("Sanne's timeline %v, want her complaint opened and then her follow-up", kinds)
		}
		if n := count(t, db, `SELECT last FROM reference_counters WHERE year = 2026`); n != 3 {
			t.Errorf("the counter stands at %d after three cases, want 3", n)
		}
		alone := groupMail(5, clock.Now(), "From: Kim Smit <kim@example.nl>\r\nSubject: Slapen\r\nMessage-ID: <k1@example.nl>\r\n",
			"Er is geen rustmoment.")
		if _, _, err := w.ProcessSettled(t.Context(), alone); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE reference = 'KL-2026-0004' AND complainant_email = 'kim@example.nl'`); n != 1 {
			t.Errorf("the next case alone is not KL-2026-0004")
		}
	})
}
