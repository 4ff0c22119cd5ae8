package main

import (
	"fmt"
	"net/mail"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// confirmationOf opens a case for Sanne and returns the confirmation she got.
func confirmationOf(t *testing.T, h *harness) sentMail {
	t.Helper()
	h.deliver(complaintFromSanne())
	h.poll()
	h.flush()
	conf := h.sentTo("sanne.jansen@example.nl")
	if len(conf) != 1 {
		t.Fatalf("%d confirmations", len(conf))
	}
	return conf[0]
}

func (h *harness) timeline(ref string) []workflow.TimelineEntry {
	h.t.Helper()
	_, tl, err := h.c.wf.Timeline(h.ctx, ref)
	if err != nil {
		h.t.Fatal(err)
	}
	return tl
}

func hasEntry(tl []workflow.TimelineEntry, kind, detail string) bool {
	for _, e := range tl {
		if e.Kind == kind && strings.Contains(e.Detail+" "+e.Delivery+" "+e.Text, detail) {
			return true
		}
	}
	return false
}

// Outlook and some webmail clients drop In-Reply-To and References; the
// token in the address replied to still finds the case.
func TestReplyWithOnlyTheTokenInTheAddressJoinsItsCase(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Organisation.PlusAddressing = true })
		conf := confirmationOf(t, h)
		replyTo, err := mail.ParseAddress(conf.header("Reply-To"))
		if err != nil || !strings.HasPrefix(replyTo.Address, "klachten+v1") || !strings.HasSuffix(replyTo.Address, "@vlinder.example") {
			t.Fatalf("confirmation Reply-To %q, want klachten+TOKEN@vlinder.example", conf.header("Reply-To"))
		}
		if id := conf.msg.MessageID(); !strings.HasPrefix(id, "v1") || !strings.HasSuffix(id, "@klachten.vlinder.example") {
			t.Errorf("confirmation Message-ID %q, want TOKEN@klachten.vlinder.example", id)
		}
		h.deliver(rawMail(mailOpts{
			from: sanne, to: replyTo.Address, subject: "Mijn klacht", id: "outlook-1@outlook.example",
			body: "Hierbij nog de naam van de leidster: Petra.\n",
		}))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 1 {
			t.Fatalf("%d cases, want the reply on the existing one", n)
		}
		if n := len(h.sentTo("anna.devries@vlinder.example")); n != 2 {
			t.Errorf("handler got %d mails, want notification + reply", n)
		}
	})
}

func TestReplyWithAChangedSubjectJoinsItsCase(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Andere kwestie eigenlijk", id: "c2@mail.example.nl",
			inReplyTo: conf.msg.MessageID(), body: "Ook de overdracht ging mis.\n",
		}))
		h.poll()
		if n := len(h.cases()); n != 1 {
			t.Fatalf("%d cases, want 1", n)
		}
	})
}

func TestSubjectReferenceCountsOnlyForParticipants(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		// A stranger quoting Sanne's reference does not get into her case.
		h.deliver(rawMail(mailOpts{
			from: "Iemand Anders <iemand@example.org>", subject: "Over KL-2026-0001", id: "stranger@example.org",
			body: "Ik heb ook een klacht.\n",
		}))
		// Sanne herself, writing a new mail with the reference, does.
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Aanvulling [KL-2026-0001]", id: "c3@mail.example.nl",
			body: "Nog een aanvulling.\n",
		}))
		h.poll()
		h.flush()
		cases := h.cases()
		if len(cases) != 2 {
			t.Fatalf("%d cases, want Sanne's and a new one for the stranger", len(cases))
		}
		var stranger workflow.Case
		for _, c := range cases {
			if c.ComplainantEmail == "iemand@example.org" {
				stranger = c
			}
		}
		if stranger.Reference != "KL-2026-0002" {
			t.Errorf("the stranger's mail landed in %q, want a new case KL-2026-0002", stranger.Reference)
		}
		if n := h.countRows("messages", "direction = 'in' AND case_id = (SELECT id FROM cases WHERE reference = 'KL-2026-0001')"); n != 2 {
			t.Errorf("Sanne's case has %d inbound messages, want her complaint and her addition", n)
		}
	})
}

func TestAlteredTokenIsIgnoredAndRecorded(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Organisation.PlusAddressing = true })
		conf := confirmationOf(t, h)
		replyTo, _ := mail.ParseAddress(conf.header("Reply-To"))
		local, domain, _ := strings.Cut(replyTo.Address, "@")
		forged := local[:len(local)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(local, "a")] + "@" + domain
		h.deliver(rawMail(mailOpts{
			from: "Iemand Anders <iemand@example.org>", to: forged, subject: "Re: iets", id: "forger@example.org",
			body: "Laat mij maar meelezen.\n",
		}))
		h.poll()
		cases := h.cases()
		if len(cases) != 2 {
			t.Fatalf("%d cases, want the altered token to be ignored (a new case)", len(cases))
		}
		if !hasEntry(h.timeline("KL-2026-0002"), workflow.EventForgedToken, "do not verify") {
			t.Errorf("the forged token is not on the record: %+v", h.timeline("KL-2026-0002"))
		}
	})
}

// The same mail reaching the mailbox twice (delivered twice, or To and Cc to
// two addresses that land here) is one message; the same Message-ID with a
// different body is not.
func TestDuplicateDeliveryIsOneMessage(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(append([]byte("Delivered-To: klachten@vlinder.example\r\n"), complaintFromSanne()...))
		h.deliver(append([]byte("Delivered-To: directie@vlinder.example\r\n"), complaintFromSanne()...))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 1 {
			t.Fatalf("%d cases from one mail delivered twice", n)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("%d confirmations, want 1", n)
		}
		var reason string
		if err := h.c.db.Get(h.ctx, &reason, `SELECT reason FROM ledger WHERE state = 'ignored'`); err != nil || !strings.Contains(reason, "KL-2026-0001") {
			t.Errorf("second copy: %q %v", reason, err)
		}
		if n := len(h.folder("Processed")); n != 2 {
			t.Errorf("%d in Processed, want both copies moved", n)
		}
		// Same Message-ID, other words: a different message, not dropped.
		h.deliver(rawMail(mailOpts{from: sanne, subject: "Klacht over het ophalen van Noah", id: "c1@mail.example.nl", body: "Andere tekst.\n"}))
		h.poll()
		if n := h.countRows("messages", "direction = 'in' AND message_id = 'c1@mail.example.nl'"); n != 2 {
			t.Errorf("%d inbound messages with that Message-ID, want 2", n)
		}
	})
}

func TestHandlerMessageWithoutCaseIsAskedWhichCase(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{from: "Anna de Vries <anna.devries@vlinder.example>", subject: "Vraagje", body: "Hoe zat het ook alweer?\n",
			extra: []string{"Authentication-Results: mx.vlinder.example; dmarc=pass header.from=vlinder.example"}}))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 0 {
			t.Fatalf("a handler's stray message opened %d cases", n)
		}
		got := h.sentTo("anna.devries@vlinder.example")
		if len(got) != 1 || !strings.Contains(got[0].msg.Subject(), "Bij welke klacht") || !strings.Contains(got[0].text, "Hoe zat het ook alweer?") {
			t.Fatalf("which-case answer: %d mails", len(got))
		}
	})
}

// A correspondent that answers every message automatically, without saying
// so in its headers and without threading, would open case after case, each
// confirmed. The loop breaker stops the confirmations after N.
func TestLoopBreakerStopsAnAutoresponderWithoutHeaders(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Limits.PerRecipient = 3 })
		for i := range 5 {
			h.deliver(rawMail(mailOpts{
				from: "Bot <bot@example.org>", subject: fmt.Sprintf("Re: ontvangen %d", i), id: fmt.Sprintf("bot%d@example.org", i),
				body: "Wij hebben uw bericht ontvangen en nemen zo snel mogelijk contact op.\n",
			}))
			h.poll()
			h.flush()
		}
		if n := len(h.sentTo("bot@example.org")); n != 3 {
			t.Fatalf("the autoresponder got %d confirmations, want 3", n)
		}
		if n := h.countRows("outbox", "state = 'held' AND rcpt_to = 'bot@example.org'"); n != 2 {
			t.Errorf("%d confirmations held back, want 2", n)
		}
		// What was held back is on the record and shown by cases show.
		out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), "KL-2026-0005")
		if err != nil || !strings.Contains(out, "held back by the loop breaker") {
			t.Errorf("cases show does not show the held confirmation: %v\n%s", err, out)
		}
		// The handlers still hear about every case.
		if n := len(h.sentTo("anna.devries@vlinder.example")); n != 5 {
			t.Errorf("handler got %d notifications, want 5", n)
		}
	})
}

// An operator replaces the token secret: replies to mail sent under the old
// one still find their case while it is listed in previous_secrets.
func TestTokenSecretRotationKeepsOldRepliesWorking(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		const oldSecret, newSecret = "the-first-secret-of-this-organisation", "a-fresh-secret-chosen-after-a-year-x"
		h := newHarnessWith(t, url, func(c *Config) {
			c.Organisation.PlusAddressing = true
			c.Tokens.Secret = oldSecret
		})
		conf := confirmationOf(t, h)
		replyTo, _ := mail.ParseAddress(conf.header("Reply-To"))
		h.cfg.Tokens.Secret, h.cfg.Tokens.PreviousSecrets = newSecret, []string{oldSecret}
		h.restart()
		h.deliver(rawMail(mailOpts{from: sanne, to: replyTo.Address, subject: "Nog iets", id: "late@mail.example.nl", body: "Nog een vraag.\n"}))
		h.poll()
		if n := len(h.cases()); n != 1 {
			t.Fatalf("%d cases: a reply to the old secret's token did not find its case", n)
		}
		// Without the old secret the token no longer verifies.
		h.cfg.Tokens.PreviousSecrets = nil
		h.restart()
		h.deliver(rawMail(mailOpts{from: "Iemand <iemand@example.org>", to: replyTo.Address, subject: "Hallo", id: "x@example.org", body: "Hallo.\n"}))
		h.poll()
		if n := len(h.cases()); n != 2 {
			t.Errorf("%d cases: a token of a dropped secret still verified", n)
		}
	})
}
