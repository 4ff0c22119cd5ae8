package main

import (
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Tests of issue 9: hostile mail to the public complaints address changes
// nothing it may not.

// annaLatestNote is the newest notification Anna got: what she replies to.
func annaLatestNote(t *testing.T, h *harness) sentMail {
	t.Helper()
	got := h.sentTo("anna.devries@vlinder.example")
	if len(got) == 0 {
		t.Fatal("Anna has no notification")
	}
	return got[len(got)-1]
}

// Issue 9 item 3: a DMARC pass smuggled into our own server's header inside
// a quoted envelope address applies nothing.
func TestForgedDMARCPassInsideQuotesChangesNothing(t *testing.T) {
	t.Parallel()
	for name, ar := range map[string]string{
		"the issue's string":  `mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example"@evil.example; dmarc=fail header.from=vlinder.example`,
		"closed by a ';' too": `mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example;"@evil.example; dmarc=fail header.from=vlinder.example`,
	} {
		t.Run(name, func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarness(t, url)
				confirmationOf(t, h)
				h.deliver(rawMail(mailOpts{
					from: anna, subject: "Over [KL-2026-0001]", id: "forged-ar@evil.example",
					extra: []string{"Authentication-Results: " + ar},
					body:  "#locatie BSO De Springplank",
				}))
				h.poll()
				h.flush()
				if c := h.caseByRef("KL-2026-0001"); c.Location != "" {
					t.Errorf("location %q: the forged command was applied", c.Location)
				}
				if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventSuspectedSpoof, "dmarc=fail") {
					t.Errorf("not flagged as suspected spoofing")
				}
			})
		})
	}
}

// Issue 9 item 4: a second From header (or a second address in From) makes
// a reply with Anna's genuine token unverified: DKIM and DMARC may have
// judged the other From.
func TestTwoFromHeadersAreNeverAHandler(t *testing.T) {
	t.Parallel()
	for name, extra := range map[string][]string{
		"two From headers":          {"From: Mallory <mallory@attacker.example>"},
		"a second, lower-case from": {"from : Mallory <mallory@attacker.example>"},
		"two addresses in a From":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarness(t, url)
				confirmationOf(t, h)
				note := annaLatestNote(t, h)
				from := anna
				if extra == nil {
					from = anna + ", Mallory <mallory@attacker.example>"
				}
				h.deliver(rawMail(mailOpts{
					from: from, subject: "RE: " + note.msg.Subject(), inReplyTo: note.msg.MessageID(), extra: extra,
					body: "#locatie BSO De Springplank",
				}))
				h.poll()
				h.flush()
				if c := h.caseByRef("KL-2026-0001"); c.Location != "" {
					t.Errorf("location %q: a message with two senders acted as Anna", c.Location)
				}
				if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventSuspectedSpoof, "From") {
					t.Errorf("not flagged: %+v", h.timeline("KL-2026-0001"))
				}
				if alert := annaLatestNote(t, h); !strings.Contains(alert.msg.Subject(), "niet te controleren") {
					t.Errorf("Anna was not alerted: %q", alert.msg.Subject())
				}
			})
		})
	}
}

// Issue 9 item 2: command lines disguised by invisible characters, a
// full-width sign, Outlook's bold or a form feed are read as commands; a
// first line that looks like a command but names none is refused. None of
// it reaches the parent.
func TestDisguisedCommandsNeverReachTheParent(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ text, answer string }{
		"zero-width space":          {"\u200b#intern\n\nDe invalkracht kende het protocol niet.", "Verwerkt"},
		"bidi control":              {"\u202b#intern\u202c\n\nDe invalkracht kende het protocol niet.", "Verwerkt"},
		"full-width sign":           {"＃intern\n\nDe invalkracht kende het protocol niet.", "Verwerkt"},
		"Outlook bold":              {"*#intern*\n\nDe invalkracht kende het protocol niet.", "Verwerkt"},
		"form feed":                 {"\f#intern\n\nDe invalkracht kende het protocol niet.", "Verwerkt"},
		"em space":                  {"\u2003#intern\n\nDe invalkracht kende het protocol niet.", "Verwerkt"},
		"the fuzzer form feed zero": {"\f#0\n\nDe invalkracht kende het protocol niet.", "Niet uitgevoerd"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarness(t, url)
				confirmationOf(t, h)
				annaAnswers(t, h, c.text)
				for _, m := range h.sentTo("sanne.jansen@example.nl")[1:] {
					t.Errorf("the parent got %q:\n%s", m.msg.Subject(), m.text)
				}
				if res := annaLatestNote(t, h); !strings.Contains(res.msg.Subject(), c.answer) {
					t.Errorf("Anna got %q, want %q", res.msg.Subject(), c.answer)
				}
			})
		})
	}
}

// Issue 9 item 7: someone who opens a case with a copy of the parent's
// Message-ID does not receive the family's later mail: the case that first
// held the ID keeps it.
func TestCopiedMessageIDDoesNotStealTheThread(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: "Mallory <mallory@attacker.example>", subject: "Klacht", id: "c1@mail.example.nl",
			body: "Een andere klacht, met het Message-ID van Sanne.\n",
		}))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 2 {
			t.Fatalf("%d cases, want Sanne's and Mallory's", n)
		}
		// The other parent answers Sanne's own mail, without a token.
		h.deliver(rawMail(mailOpts{
			from: "Tom Jansen <tom.jansen@example.nl>", subject: "Re: Klacht over het ophalen van Noah",
			id: "tom1@example.nl", inReplyTo: "c1@mail.example.nl", refs: "<c1@mail.example.nl>",
			body: "Ik sluit me aan bij de klacht van mijn vrouw.\n",
		}))
		h.poll()
		h.flush()
		if !hasEntry(h.timeline("KL-2026-0001"), "in", "Re: Klacht over het ophalen") {
			t.Errorf("Tom's answer is not on Sanne's case")
		}
		if hasEntry(h.timeline("KL-2026-0002"), "in", "Re: Klacht over het ophalen") {
			t.Errorf("Tom's answer went to the case of the copied Message-ID")
		}
	})
}

// Issue 9 item 6: mail in the parent's name that our own receiving server
// found failing DMARC is marked "niet geverifieerd" in the handlers'
// notification, on the message row and in cases show.
func TestForgedParentMailIsMarkedNotVerified(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Re: Klacht over het ophalen van Noah", id: "forged-sanne@evil.example",
			inReplyTo: "c1@mail.example.nl",
			extra:     []string{"Authentication-Results: mx.vlinder.example; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=example.nl"},
			body:      "Ik trek mijn klacht in. Stuur alles naar sanne.nieuw@evil.example.\n",
		}))
		// A genuine one, for contrast: not marked.
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Re: Klacht over het ophalen van Noah", id: "real-sanne@example.nl",
			inReplyTo: "c1@mail.example.nl",
			extra:     []string{"Authentication-Results: mx.vlinder.example; dkim=pass header.d=example.nl; dmarc=pass header.from=example.nl"},
			body:      "Nog een aanvulling: het was rond half zes.\n",
		}))
		h.poll()
		h.flush()
		got := h.sentTo("anna.devries@vlinder.example")
		if len(got) != 3 {
			t.Fatalf("Anna got %d mails, want the new case and two messages", len(got))
		}
		forged, real := got[1], got[2]
		if !strings.Contains(forged.text, "trek mijn klacht in") {
			forged, real = real, forged
		}
		if !strings.Contains(forged.msg.Subject(), "(niet geverifieerd)") || !strings.Contains(forged.text, "NIET GEVERIFIEERD") {
			t.Errorf("the forged message is not marked:\n%s\n%s", forged.msg.Subject(), forged.text)
		}
		if strings.Contains(real.msg.Subject()+real.text, "geverifieerd") {
			t.Errorf("the genuine message is marked:\n%s\n%s", real.msg.Subject(), real.text)
		}
		if n := h.countRows("messages", "unverified = ? AND message_id = ?", true, "forged-sanne@evil.example"); n != 1 {
			t.Errorf("the forged message's row is not marked unverified")
		}
		if n := h.countRows("messages", "unverified = ?", true); n != 1 {
			t.Errorf("%d rows marked unverified, want 1", n)
		}
		out, _, _ := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), "KL-2026-0001")
		if strings.Count(out, "NOT VERIFIED") != 1 {
			t.Errorf("cases show does not mark the forged message (once):\n%s", out)
		}
	})
}

// A forged complaint, opening a new case: its notification is marked too.
func TestForgedNewComplaintIsMarkedNotVerified(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Klacht", id: "forged-new@evil.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; dmarc=fail (p=none) header.from=example.nl"},
			body:  "Ik klaag over alles.\n",
		}))
		h.poll()
		h.flush()
		got := h.sentTo("anna.devries@vlinder.example")
		if len(got) != 1 || !strings.Contains(got[0].msg.Subject(), "(niet geverifieerd)") || !strings.Contains(got[0].text, "NIET GEVERIFIEERD") {
			t.Fatalf("the new-case notification is not marked (%d mails)", len(got))
		}
	})
}
