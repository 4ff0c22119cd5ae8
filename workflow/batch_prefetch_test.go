package workflow_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A group answers its duplicate, flood and loop-breaker checks from what it
// read at its start (batch_prefetch.go); these tests show the answers stay
// those of one message at a time when the group itself changes them.

// prefetchWorkflow is groupWorkflow with the settings changed by tweak.
func prefetchWorkflow(t *testing.T, db *store.DB, tweak func(*workflow.Settings)) (*workflow.Workflow, *txCounter, *workflow.ManualClock) {
	t.Helper()
	clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
	counted := &txCounter{StatementLog: workflow.NewStatementLog(db)}
	set := testSettings()
	tweak(&set)
	w, err := workflow.New(workflow.Deps{DB: counted, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
		Clock: clock, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	return w, counted, clock
}

// complaintFrom is a new complaint from addr with Message-ID id.
func complaintFrom(uid uint32, at time.Time, addr, id string) workflow.Delivery {
	return groupMail(uid, at, fmt.Sprintf("From: <%s>\r\nSubject: Klacht %s\r\nMessage-ID: <%s>\r\n", addr, id, id), "Klacht "+id+".")
}

// processGroup runs a group and fails the test unless every message was
// acted on.
func processGroup(t *testing.T, w *workflow.Workflow, group []workflow.Delivery) []workflow.GroupResult {
	t.Helper()
	rs := w.ProcessGroup(t.Context(), group)
	for i, r := range rs {
		if r.Err != nil || r.Disposition != workflow.Done {
			t.Fatalf("message uid %d: %+v", group[i].UID, r)
		}
	}
	return rs
}

// The sender limit counts the cases opened before the group (one about to
// leave the window) and those the group opens itself: of five complaints
// from one sender who opened two, exactly the last two are held back, and
// the handlers are told once.
func TestGroupHoldsBackExactlyTheComplaintOverTheSenderLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := prefetchWorkflow(t, db, func(s *workflow.Settings) {})
		const mallory = "mallory@attacker.example"
		for i, d := range []workflow.Delivery{complaintFrom(1, clock.Now(), mallory, "m1@attacker.example"),
			complaintFrom(2, clock.Now(), mallory, "m2@attacker.example")} {
			if _, _, err := w.ProcessSettled(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				clock.Advance(time.Hour)
			}
		}
		// The first case is 2 minutes from leaving the 24-hour window.
		clock.Advance(23*time.Hour - 2*time.Minute)
		asked := counted.statements("SELECT COUNT(*) FROM cases") + counted.statements("SELECT COUNT(*) FROM throttled")
		var group []workflow.Delivery
		for i := range 5 {
			group = append(group, complaintFrom(uint32(10+i), clock.Now(), mallory, fmt.Sprintf("g%d@attacker.example", i)))
		}
		group = append(group, complaintFrom(20, clock.Now(), "kim@example.nl", "k1@example.nl"))
		rs := processGroup(t, w, group)
		for i, r := range rs {
			over := strings.Contains(r.Settled.Reason, "over the limit")
			if want := group[i].UID == 13 || group[i].UID == 14; over != want || (!want && r.Settled.State != workflow.LedgerProcessed) {
				t.Errorf("message uid %d: %+v (held back: %v, want %v)", group[i].UID, r.Settled, over, want)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE complainant_email = ?`, mallory); n != 5 {
			t.Errorf("%d cases from the sender, want the limit of 5", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM throttled WHERE address = ?`, mallory); n != 2 {
			t.Errorf("%d complaints recorded as held back, want 2", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE kind = ?`, workflow.MsgFloodNotice); n != 1 {
			t.Errorf("the handler was told %d times of the sender over the limit, want once", n)
		}
		if n := counted.statements("SELECT COUNT(*) FROM cases") + counted.statements("SELECT COUNT(*) FROM throttled") - asked; n != 0 {
			t.Errorf("the group counted cases with %d statements of its own, want none", n)
		}
		// Three minutes on, the first case has left the window: one more
		// complaint opens a case again.
		clock.Advance(3 * time.Minute)
		rs = processGroup(t, w, []workflow.Delivery{complaintFrom(30, clock.Now(), mallory, "late@attacker.example"),
			complaintFrom(31, clock.Now(), mallory, "later@attacker.example")})
		if rs[0].Settled.State != workflow.LedgerProcessed || !strings.Contains(rs[1].Settled.Reason, "over the limit") {
			t.Errorf("after the first case left the window: %+v", rs)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE kind = ?`, workflow.MsgFloodNotice); n != 1 {
			t.Errorf("the handler was told %d times of the sender over the limit, want once a window", n)
		}
	})
}

// The same mail twice in one batch (to two of our addresses) is one message,
// like a copy of one recorded before; the same Message-ID with other words
// is another message.
func TestSameMailTwiceInAGroupIsRecordedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := prefetchWorkflow(t, db, func(s *workflow.Settings) {})
		copyTo := func(uid uint32, to string, d workflow.Delivery) workflow.Delivery {
			d.UID, d.Raw = uid, append([]byte("Delivered-To: "+to+"\r\n"), d.Raw...)
			return d
		}
		before := complaintFrom(1, clock.Now(), "peter@example.nl", "p1@example.nl")
		if _, _, err := w.ProcessSettled(t.Context(), before); err != nil {
			t.Fatal(err)
		}
		asked := counted.statements("SELECT c.reference FROM messages")
		sanne := complaintFrom(0, clock.Now(), "sanne@example.nl", "s1@example.nl")
		other := groupMail(0, clock.Now(), "From: <sanne@example.nl>\r\nSubject: Nog iets\r\nMessage-ID: <s1@example.nl>\r\n", "Andere woorden.")
		group := []workflow.Delivery{
			copyTo(10, "klachten@vlinder.example", sanne), copyTo(11, "directie@vlinder.example", sanne),
			copyTo(12, "directie@vlinder.example", before), copyTo(13, "klachten@vlinder.example", other),
		}
		rs := processGroup(t, w, group)
		want := []string{"", "same Message-ID and body as a message already on KL-2026-0002",
			"same Message-ID and body as a message already on KL-2026-0001", ""}
		for i, r := range rs {
			if r.Settled.Reason != want[i] {
				t.Errorf("message uid %d: %+v, want reason %q", group[i].UID, r.Settled, want[i])
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM messages WHERE direction = 'in' AND message_id = 's1@example.nl'`); n != 2 {
			t.Errorf("%d inbound messages with Sanne's Message-ID, want her complaint once and the other words", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE rcpt_to = 'sanne@example.nl'`); n != 2 {
			t.Errorf("Sanne got %d confirmations, want 2 (one per message)", n)
		}
		if n := counted.statements("SELECT c.reference FROM messages") - asked; n != 0 {
			t.Errorf("the group looked for duplicates with %d statements of its own, want none", n)
		}
	})
}

// The loop breaker counts the automatic mail the group queued itself, to a
// recipient and about a case, held back mail included.
func TestLoopBreakerCountsWhatTheGroupQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := prefetchWorkflow(t, db, func(s *workflow.Settings) {
			s.Breaker.PerRecipient, s.Breaker.PerCase = 2, 3
		})
		const bot = "bot@example.org"
		if _, _, err := w.ProcessSettled(t.Context(), complaintFrom(1, clock.Now(), bot, "b0@example.org")); err != nil {
			t.Fatal(err)
		}
		asked := counted.statements("SELECT 0 AS i") + counted.statements("SELECT 1 AS i")
		group := []workflow.Delivery{
			complaintFrom(10, clock.Now(), bot, "b1@example.org"),
			complaintFrom(11, clock.Now(), bot, "b2@example.org"),
			complaintFrom(12, clock.Now(), bot, "b3@example.org"),
			// A complaint and two follow-ups: a confirmation and three
			// notifications about one case.
			complaintFrom(13, clock.Now(), "sanne@example.nl", "s1@example.nl"),
			groupMail(14, clock.Now(), "From: <sanne@example.nl>\r\nSubject: Re: Klacht\r\nMessage-ID: <s2@example.nl>\r\nIn-Reply-To: <s1@example.nl>\r\n", "Nog iets."),
			groupMail(15, clock.Now(), "From: <sanne@example.nl>\r\nSubject: Re: Klacht\r\nMessage-ID: <s3@example.nl>\r\nIn-Reply-To: <s1@example.nl>\r\n", "En nog iets."),
		}
		processGroup(t, w, group)
		var held []string
		if err := db.Select(t.Context(), &held, `SELECT rcpt_to || ': ' || last_error FROM outbox WHERE state = 'held' ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"bot@example.org: held back by the loop breaker: 2 automatic messages to bot@example.org in 24h0m0s",
			"bot@example.org: held back by the loop breaker: 3 automatic messages to bot@example.org in 24h0m0s",
			"anna.devries@vlinder.example: held back by the loop breaker: 3 automatic messages about KL-2026-0005 in 24h0m0s",
		}
		if strings.Join(held, "\n") != strings.Join(want, "\n") {
			t.Errorf("held back:\n%s\nwant:\n%s", strings.Join(held, "\n"), strings.Join(want, "\n"))
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'queued'`); n != 9 {
			t.Errorf("%d mails queued, want 9: the bot's first case's two, one more confirmation to the bot, "+
				"three notifications of its cases, Sanne's confirmation and two notifications", n)
		}
		if n := counted.statements("SELECT 0 AS i") + counted.statements("SELECT 1 AS i") - asked; n != 0 {
			t.Errorf("the group counted automatic mail with %d statements of its own, want none", n)
		}
	})
}
