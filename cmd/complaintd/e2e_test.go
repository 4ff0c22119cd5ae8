package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

const sanne = "Sanne Jansen <sanne.jansen@example.nl>"

func complaintFromSanne() []byte {
	return rawMail(mailOpts{
		from: sanne, subject: "Klacht over het ophalen van Noah", id: "c1@mail.example.nl",
		body: "Noah is meegegeven aan iemand die niet op de ophaallijst staat.\nIk wil weten hoe dit kon gebeuren.\n",
	})
}

func TestComplaintBecomesOneCaseWithConfirmationAndNotifications(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()

		cases := h.cases()
		if len(cases) != 1 {
			t.Fatalf("%d cases, want 1", len(cases))
		}
		c := cases[0]
		if c.Reference != "KL-2026-0001" || c.ComplainantEmail != "sanne.jansen@example.nl" || c.ComplainantName != "Sanne Jansen" {
			t.Errorf("case = %s from %s <%s>", c.Reference, c.ComplainantName, c.ComplainantEmail)
		}
		if !c.ReceivedAt.Equal(h.clock.Now()) {
			t.Errorf("received_at %s, want the IMAP internal date %s", c.ReceivedAt, h.clock.Now())
		}
		if c.Status != workflow.StatusAcknowledged {
			t.Errorf("status %s after the confirmation went out, want acknowledged", c.Status)
		}

		conf := h.sentTo("sanne.jansen@example.nl")
		if len(conf) != 1 {
			t.Fatalf("%d mails to the parent, want 1 confirmation", len(conf))
		}
		m := conf[0]
		if got := m.header("In-Reply-To"); got != "<c1@mail.example.nl>" {
			t.Errorf("confirmation In-Reply-To %q, want the complaint's Message-ID", got)
		}
		if got := m.header("Auto-Submitted"); got != "auto-replied" {
			t.Errorf("confirmation Auto-Submitted %q", got)
		}
		if !strings.Contains(m.msg.Subject(), "[KL-2026-0001]") {
			t.Errorf("confirmation subject %q lacks the case reference", m.msg.Subject())
		}
		// Received Thursday 19 November 2026 21:48: the judgment is due by Thursday 31 December.
		for _, want := range []string{"KL-2026-0001", "19 november 2026 om 21:48", "donderdag 31 december 2026",
			"Klachtenloket Kinderopvang", "www.klachtenloket-kinderopvang.nl", "ophaallijst", "19 november 2027"} {
			if !strings.Contains(m.text, want) {
				t.Errorf("confirmation text lacks %q:\n%s", want, m.text)
			}
		}

		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			n := h.sentTo(handler)
			if len(n) != 1 {
				t.Fatalf("%d mails to handler %s, want 1", len(n), handler)
			}
			if !strings.Contains(n[0].msg.Subject(), "[KL-2026-0001]") || !strings.Contains(n[0].text, "niet op de ophaallijst") {
				t.Errorf("notification to %s: %q\n%s", handler, n[0].msg.Subject(), n[0].text)
			}
			if got := n[0].header("Reply-To"); !strings.Contains(got, "klachten@vlinder.example") {
				t.Errorf("notification Reply-To %q, want the inbox", got)
			}
		}
		if got := len(h.sent()); got != 3 {
			t.Errorf("%d mails sent, want 3", got)
		}
		if inbox, done := h.folder("INBOX"), h.folder("Processed"); len(inbox) != 0 || len(done) != 1 {
			t.Errorf("INBOX %d, Processed %d; want 0 and 1", len(inbox), len(done))
		}
	})
}

func TestReplyToConfirmationJoinsTheCase(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		conf := h.sentTo("sanne.jansen@example.nl")[0]
		confID := conf.msg.MessageID()

		h.clock.Advance(2 * time.Hour)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Re: " + conf.msg.Subject(), id: "c2@mail.example.nl",
			inReplyTo: confID, refs: "<c1@mail.example.nl> <" + confID + ">",
			body: "Het was ook al eens eerder gebeurd, op 3 november.\n",
		}))
		h.poll()
		h.flush()

		if n := len(h.cases()); n != 1 {
			t.Fatalf("%d cases after the reply, want 1", n)
		}
		if n := h.countRows("messages", "direction = 'in'"); n != 2 {
			t.Errorf("%d inbound messages on record, want 2", n)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want only the first confirmation", n)
		}
		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			got := h.sentTo(handler)
			if len(got) != 2 {
				t.Fatalf("handler %s got %d mails, want notification + reply", handler, len(got))
			}
			reply := got[1]
			if !strings.Contains(reply.text, "3 november") || !strings.Contains(reply.msg.Subject(), "KL-2026-0001") {
				t.Errorf("reply notification: %q\n%s", reply.msg.Subject(), reply.text)
			}
			// The handler's mail client threads it under the first notification.
			if reply.header("In-Reply-To") != "<"+got[0].msg.MessageID()+">" {
				t.Errorf("reply notification In-Reply-To %q, want the first notification", reply.header("In-Reply-To"))
			}
		}
	})
}

// A crash after the transaction committed but before the message was moved
// leaves it in the inbox; the next round must recognise it and do nothing.
func TestCrashBetweenCommitAndMoveIsReplayedWithoutDuplicates(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())

		crashing := true
		p, err := mailbox.NewPoller(h.c.imapCfg, func(ctx context.Context, f mailbox.Fetched) (mailbox.Outcome, error) {
			if _, err := h.c.wf.Process(ctx, workflow.Delivery{Mailbox: f.Mailbox, UIDValidity: f.UIDValidity,
				UID: f.UID, InternalDate: f.InternalDate, Raw: f.Raw}); err != nil {
				return 0, err
			}
			if crashing {
				return 0, errors.New("simulated crash after commit, before MOVE")
			}
			return mailbox.Done, nil
		}, testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		_ = p.PollOnce(h.ctx)
		if n := len(h.folder("INBOX")); n != 1 {
			t.Fatalf("after the crash %d messages in INBOX, want the message still there", n)
		}
		h.restart()
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 1 {
			t.Errorf("%d cases, want 1", n)
		}
		if n := len(h.sent()); n != 3 {
			t.Errorf("%d mails sent, want 3 (one confirmation, two notifications)", n)
		}
		if n := len(h.folder("Processed")); n != 1 {
			t.Errorf("%d messages in Processed, want 1", n)
		}
		if n := h.countRows("ledger", ""); n != 1 {
			t.Errorf("%d ledger rows, want 1", n)
		}
	})
}

func TestMalformedMessageIsQuarantinedAndTheNextIsProcessed(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		// Header-shaped, so the IMAP server stores it, but no message header
		// field at all: there is nobody to answer and nothing to read.
		h.deliver([]byte("Garbage: 1\r\nNoise: this is not a mail message\r\n\r\n\x00\x01\x02\r\n"))
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()

		q := h.folder("Quarantine")
		if len(q) != 1 || !strings.Contains(string(q[0].Raw), "not a mail message") {
			t.Fatalf("quarantine folder holds %d messages, want the malformed one: %q", len(q), q[0].Raw)
		}
		var reason string
		if err := h.c.db.Get(h.ctx, &reason, `SELECT reason FROM ledger WHERE state = 'quarantined'`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reason, "cannot parse") {
			t.Errorf("quarantine reason %q", reason)
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("%d cases, want 1 for the good message behind it", n)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("good message got %d confirmations", n)
		}
	})
}

func TestRefusingSMTPServerGetsTheMailOnceWhenItRecovers(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.smtp.Refuse(3, 451, "4.3.0 try again later")
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		if n := len(h.sent()); n != 0 {
			t.Fatalf("%d mails accepted while the server refused", n)
		}
		// Nothing more is tried before the retry is due.
		h.flush()
		if n := len(h.sent()); n != 0 {
			t.Fatalf("%d mails accepted before the retry was due", n)
		}
		var lastErr string
		if err := h.c.db.Get(h.ctx, &lastErr, `SELECT last_error FROM outbox WHERE kind = 'confirmation'`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(lastErr, "try again later") {
			t.Errorf("outbox last_error %q, want the server's answer", lastErr)
		}
		h.clock.Advance(2 * time.Minute)
		h.flush()
		if n := len(h.sent()); n != 3 {
			t.Fatalf("%d mails after recovery, want 3", n)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("parent got %d confirmations, want exactly 1", n)
		}
		h.clock.Advance(time.Hour)
		h.flush()
		if n := len(h.sent()); n != 3 {
			t.Errorf("%d mails after another hour, want still 3", n)
		}
	})
}

func TestPermanentSMTPRefusalMarksFailedAndFlagsTheCase(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.smtp.Refuse(1, 550, "5.1.1 no such user")
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		var state, lastErr string
		if err := h.c.db.Get(h.ctx, &state, `SELECT state FROM outbox WHERE kind = 'confirmation'`); err != nil {
			t.Fatal(err)
		}
		if err := h.c.db.Get(h.ctx, &lastErr, `SELECT last_error FROM outbox WHERE kind = 'confirmation'`); err != nil {
			t.Fatal(err)
		}
		if state != workflow.OutboxFailed || !strings.Contains(lastErr, "no such user") {
			t.Errorf("confirmation state %s (%s), want failed with the server's answer", state, lastErr)
		}
		if c := h.cases()[0]; !c.Unreachable {
			t.Errorf("case not flagged unreachable after the confirmation was refused")
		}
	})
}

func TestRestartLosesNothing(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		h.poll() // committed and moved; nothing sent yet
		h.restart()
		h.deliver(rawMail(mailOpts{from: "Peter Hoekstra <p.hoekstra@example.org>", subject: "Facturen", body: "Nog steeds facturen.\n"}))
		h.restart()
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 2 {
			t.Fatalf("%d cases after restarts, want 2", n)
		}
		if n := len(h.sent()); n != 6 {
			t.Errorf("%d mails after restarts, want 6", n)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")) + len(h.sentTo("p.hoekstra@example.org")); n != 2 {
			t.Errorf("%d confirmations, want 2", n)
		}
	})
}

// The daemon on its own: IDLE notices new mail, the outbox sends it,
// and cancelling stops everything.
func TestDaemonRunsOnItsOwn(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		ctx, cancel := context.WithCancel(h.ctx)
		var wg sync.WaitGroup
		wg.Go(func() { h.c.run(ctx) })
		h.deliver(complaintFromSanne())
		wctx, wcancel := context.WithTimeout(h.ctx, time.Minute)
		defer wcancel()
		if _, err := h.smtp.Wait(wctx, 3); err != nil {
			t.Fatalf("waiting for the confirmation and notifications: %v (got %d)", err, len(h.smtp.Messages()))
		}
		cancel()
		wg.Wait()
		if n := len(h.cases()); n != 1 {
			t.Errorf("%d cases, want 1", n)
		}
	})
}

// A server that renumbers its mailbox (new UIDVALIDITY) hands out the same
// message under a new key; if it was processed but not yet moved, it must be
// recognised by its bytes and not processed again.
func TestUIDValidityChangeDoesNotReprocess(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		p, err := mailbox.NewPoller(h.c.imapCfg, func(ctx context.Context, f mailbox.Fetched) (mailbox.Outcome, error) {
			if _, err := h.c.wf.Process(ctx, workflow.Delivery{Mailbox: f.Mailbox, UIDValidity: f.UIDValidity,
				UID: f.UID, InternalDate: f.InternalDate, Raw: f.Raw}); err != nil {
				return 0, err
			}
			return 0, errors.New("simulated crash before MOVE")
		}, testLog(t))
		if err != nil {
			t.Fatal(err)
		}
		_ = p.PollOnce(h.ctx)
		before, _ := h.imap.UIDValidity("INBOX")
		if err := h.imap.RecreateMailbox("INBOX"); err != nil {
			t.Fatal(err)
		}
		if after, _ := h.imap.UIDValidity("INBOX"); after == before {
			t.Fatalf("UIDVALIDITY did not change (%d)", after)
		}
		h.deliver(rawMail(mailOpts{from: "Peter Hoekstra <p.hoekstra@example.org>", subject: "Facturen", body: "Nog steeds facturen.\n"}))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 2 {
			t.Errorf("%d cases, want 2 (the renumbered message is not a new complaint)", n)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("parent got %d confirmations, want 1", n)
		}
		var reason string
		if err := h.c.db.Get(h.ctx, &reason, `SELECT reason FROM ledger WHERE state = 'ignored'`); err != nil {
			t.Fatalf("no ignored ledger entry for the renumbered copy: %v", err)
		}
		if !strings.Contains(reason, "same message as ledger #1") {
			t.Errorf("ignored because %q", reason)
		}
		if inbox := h.folder("INBOX"); len(inbox) != 0 {
			t.Errorf("%d messages left in INBOX", len(inbox))
		}
	})
}
