package main

import (
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The default message_id_host is the organisation's own domain, and
// Thunderbird and Apple Mail write their Message-IDs on the sender's domain:
// a handler's reply looks like <…@vlinder.example> too. It is acted on, not
// taken for our own mail (issue 8 item 2).
func TestHandlerReplyWithMessageIDOnOurDomainIsActedOn(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Organisation.MessageHost = "vlinder.example" })
		confirmationOf(t, h)
		note := h.sentTo("anna.devries@vlinder.example")[0]
		h.deliver(rawMail(mailOpts{
			from: anna, subject: "Re: " + note.msg.Subject(), id: "4f1c2a7e-9b3d-4c1e-8f0a-2b6d9e7c5a13@vlinder.example",
			inReplyTo: note.msg.MessageID(), refs: "<" + note.msg.MessageID() + ">",
			extra: []string{"User-Agent: Mozilla Thunderbird"},
			body:  "Beste Sanne,\n\nIk bel je morgen.\n\nAnna\n\nOp 19-11-2026 om 21:48 schreef Kinderopvang De Vlinder - Klachten:\n> " + strings.ReplaceAll(note.text, "\n", "\n> "),
		}))
		h.poll()
		h.flush()
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 || !strings.Contains(got[1].text, "Ik bel je morgen.") {
			t.Fatalf("the parent did not get Anna's answer (%d mails)", len(got))
		}
		if n := h.countRows("ledger", "state = 'ignored'"); n != 0 {
			t.Errorf("%d messages ignored", n)
		}
	})
}

// Staff sending "as" the shared mailbox from their own client: From is our
// address but nothing proves complaintd sent it. It is recorded on its case
// and passed to the handlers, never dropped, never sent to the parent.
func TestMailFromOurAddressWithoutProofIsShownToHandlers(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Organisation.MessageHost = "vlinder.example" })
		conf := confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: "Kinderopvang De Vlinder - Klachten <klachten@vlinder.example>", to: sanne,
			subject: "Re: " + conf.msg.Subject(), id: "A1B2C3D4-0000-4000-8000-123456789ABC@vlinder.example",
			inReplyTo: conf.msg.MessageID(),
			body:      "Beste Sanne, ik heb je gebeld maar kreeg geen gehoor. Groet, Marco (vanuit de gedeelde mailbox)",
		}))
		h.poll()
		h.flush()
		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			got := h.sentTo(handler)
			if len(got) != 2 || !strings.Contains(got[1].text, "kreeg geen gehoor") {
				t.Errorf("%s was not shown the message (%d mails)", handler, len(got))
			}
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want only the confirmation", n)
		}
		if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventOwnAddress, "did not send") {
			t.Errorf("no own_address event on the timeline")
		}
		if n := h.countRows("ledger", "state = 'ignored'"); n != 0 {
			t.Errorf("%d messages ignored", n)
		}
		if n := h.countRows("participants", "email = 'klachten@vlinder.example'"); n != 0 {
			t.Errorf("our own address became a participant")
		}

		// About no case: set aside with the reason, no case opened.
		h.deliver(rawMail(mailOpts{from: "klachten@vlinder.example", subject: "test", id: "x1@vlinder.example", body: "test"}))
		h.poll()
		var reason string
		if err := h.c.db.Get(h.ctx, &reason, `SELECT reason FROM ledger WHERE state = 'ignored'`); err != nil || !strings.Contains(reason, "without proof") {
			t.Errorf("ledger reason %q %v", reason, err)
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("%d cases", n)
		}
	})
}

// A copy of our mail that carries no reply token (an alert about no case:
// Anna's unverified message names none) is recognised by the proof in its
// loop header.
func TestCopyOfOurMailWithoutTokenIsRecognisedByItsLoopHeader(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{from: anna, subject: "Vraagje", id: "q1@vlinder.example", body: "Hoe zat het ook alweer?"}))
		h.poll()
		h.flush()
		got := h.sentTo("anna.devries@vlinder.example")
		if len(got) != 1 {
			t.Fatalf("Anna got %d mails, want one alert", len(got))
		}
		if v := got[0].header("X-Complaintd-Loop"); !strings.Contains(v, "proof=") {
			t.Fatalf("loop header %q carries no proof", v)
		}
		before := len(h.sent())
		h.deliver(got[0].raw)
		h.poll()
		h.flush()
		if n := len(h.sent()); n != before {
			t.Errorf("%d mails sent because of our own mail", n-before)
		}
		var reason string
		if err := h.c.db.Get(h.ctx, &reason, `SELECT reason FROM ledger WHERE state = 'ignored' ORDER BY id DESC LIMIT 1`); err != nil || !strings.Contains(reason, "X-Complaintd-Loop with a proof") {
			t.Errorf("ledger reason %q %v", reason, err)
		}
	})
}
