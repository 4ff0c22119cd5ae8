package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
	for name, extra := range map[string][]string{
		"two From headers":        {"From: Mallory <mallory@attacker.example>"},
		"two addresses in a From": nil,
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

// Issue 9 item 9: a flood of complaints from one sender opens at most
// limits.new_cases_per_sender cases per window; the rest is kept in the
// ledger with the reason, and the handlers get one notice.
func TestFloodOfComplaintsFromOneSenderIsBounded(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		for i := range 12 {
			h.deliver(rawMail(mailOpts{
				from: "Mallory <mallory@attacker.example>", subject: fmt.Sprintf("Klacht %d", i),
				id: fmt.Sprintf("flood%d@attacker.example", i), body: fmt.Sprintf("Klacht nummer %d.\n", i),
			}))
		}
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 5 {
			t.Errorf("%d cases, want 5 (limits.new_cases_per_sender)", n)
		}
		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			got := h.sentTo(handler)
			var notices int
			for _, m := range got {
				if strings.Contains(m.msg.Subject(), "Te veel nieuwe klachten van mallory@attacker.example") {
					notices++
				}
			}
			if len(got) != 6 || notices != 1 {
				t.Errorf("%s got %d mails with %d flood notices, want 5 notifications and 1 notice", handler, len(got), notices)
			}
		}
		if n := len(h.sentTo("mallory@attacker.example")); n != 5 {
			t.Errorf("the sender got %d confirmations, want 5", n)
		}
		if n := h.countRows("ledger", "state = ? AND reason LIKE ?", workflow.LedgerIgnored, "%over the limit%"); n != 7 {
			t.Errorf("%d ledger entries held back with the reason, want 7", n)
		}
		if n := h.countRows("ledger", ""); n != 12 {
			t.Errorf("%d ledger entries, want all 12 kept", n)
		}
		if n := h.countRows("throttled", "kind = 'new_case' AND address = ?", "mallory@attacker.example"); n != 7 {
			t.Errorf("%d throttled rows, want 7", n)
		}
		// A day later the sender is heard again.
		h.clock.Advance(24*time.Hour + time.Minute)
		h.deliver(rawMail(mailOpts{from: "Mallory <mallory@attacker.example>", subject: "Nog een", id: "later@attacker.example", body: "Echt.\n"}))
		h.poll()
		if n := len(h.cases()); n != 6 {
			t.Errorf("%d cases after the window, want 6", n)
		}
	})
}

// Issue 9 item 9: a flood of forged handler messages sends the real
// handler one alert per hour; the next one counts the rest.
func TestSpoofAlertsAtMostOnePerHour(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		forge := func(i int) {
			h.deliver(rawMail(mailOpts{
				from: anna, subject: "RE: [KL-2026-0001] Nieuwe klacht", id: fmt.Sprintf("forged%d@attacker.example", i),
				extra: []string{"Authentication-Results: mx.vlinder.example; spf=fail smtp.mailfrom=attacker.example; dmarc=fail header.from=vlinder.example"},
				body:  "#oordeel\n#geen-maatregelen\n\nOngegrond.",
			}))
		}
		for i := range 10 {
			forge(i)
		}
		h.poll()
		h.flush()
		alerts := func() []sentMail {
			var out []sentMail
			for _, m := range h.sentTo("anna.devries@vlinder.example") {
				if strings.Contains(m.msg.Subject(), "niet te controleren") {
					out = append(out, m)
				}
			}
			return out
		}
		if n := len(alerts()); n != 1 {
			t.Fatalf("Anna got %d spoof alerts for 10 forgeries, want 1", n)
		}
		if n := h.countRows("throttled", "kind = 'spoof_alert' AND address = ?", "anna.devries@vlinder.example"); n != 9 {
			t.Errorf("%d held-back alerts recorded, want 9", n)
		}
		h.clock.Advance(61 * time.Minute)
		forge(10)
		h.poll()
		h.flush()
		got := alerts()
		if len(got) != 2 {
			t.Fatalf("Anna got %d alerts after an hour, want 2", len(got))
		}
		if !strings.Contains(strings.Join(strings.Fields(got[1].text), " "), "kwamen er nog 9 zulke berichten") {
			t.Errorf("the second alert does not count the 9 held back:\n%s", got[1].text)
		}
		if c := h.caseByRef("KL-2026-0001"); c.Status == workflow.StatusDecided {
			t.Error("a forged judgment was applied")
		}
	})
}

// Issue 9 item 9: the confirmation never carries the complaint's words to
// whoever Reply-To names; it goes to the From address, without them.
func TestConfirmationIgnoresReplyTo(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Koop nu goedkope pillen", id: "replyto@example.nl",
			extra: []string{"Reply-To: Slachtoffer <victim@elsewhere.example>"},
			body:  "Bezoek http://evil.example voor goedkope pillen.\n",
		}))
		h.poll()
		h.flush()
		if n := len(h.sentTo("victim@elsewhere.example")); n != 0 {
			t.Errorf("Reply-To got %d mails", n)
		}
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 1 {
			t.Fatalf("From got %d mails, want the confirmation", len(got))
		}
		if strings.Contains(got[0].text, "goedkope pillen") || strings.Contains(got[0].text, "evil.example") {
			t.Errorf("the confirmation repeats the complaint:\n%s", got[0].text)
		}
		if c := h.caseByRef("KL-2026-0001"); c.ComplainantEmail != "sanne.jansen@example.nl" {
			t.Errorf("complainant %q, want the From address", c.ComplainantEmail)
		}
		if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventWithheld, "victim@elsewhere.example") {
			t.Errorf("the timeline does not say why the confirmation left the complaint out")
		}
		// The handlers still see it all.
		if anna := h.sentTo("anna.devries@vlinder.example"); len(anna) != 1 || !strings.Contains(anna[0].text, "goedkope pillen") {
			t.Errorf("the handler's notification lacks the complaint")
		}
	})
}

// Issue 9 item 10: a complaint whose Reply-To names a handler does not
// make that handler the complainant.
func TestReplyToNamingAHandlerDoesNotMakeThemTheComplainant(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Klacht over het ophalen van Noah", id: "rt-handler@example.nl",
			extra: []string{"Reply-To: " + anna},
			body:  "Noah is meegegeven aan de buurvrouw.\n",
		}))
		h.poll()
		h.flush()
		cs := h.cases()
		if len(cs) != 1 || cs[0].ComplainantEmail != "sanne.jansen@example.nl" {
			t.Fatalf("cases %+v, want one of sanne.jansen@example.nl", cs)
		}
		for _, m := range h.sentTo("anna.devries@vlinder.example") {
			if strings.Contains(m.msg.Subject(), "Ontvangstbevestiging") {
				t.Errorf("the handler got the complainant's confirmation")
			}
		}
	})
}

// Issue 9 item 10: reply tokens expire by default, after 400 days; the
// amplification limits have their defaults too.
func TestTokensExpireByDefault(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, goodConfig), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tokens.MaxAgeDays != 400 {
		t.Errorf("tokens.max_age_days defaults to %d, want 400", cfg.Tokens.MaxAgeDays)
	}
	s := settings(cfg, []byte("a stored secret of enough length"))
	if s.Tokens.MaxAge != 400*24*time.Hour {
		t.Errorf("token max age %s, want 400 days", s.Tokens.MaxAge)
	}
	if s.Flood.NewCasesPerSender != 5 || s.Flood.NewCasesWindow != 24*time.Hour {
		t.Errorf("flood limits %+v, want 5 per 24h", s.Flood)
	}
	// 0 still means never, when written.
	cfg, err = loadConfig(writeConfig(t, goodConfig+"\n[tokens]\nmax_age_days = 0\n"), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tokens.MaxAgeDays != 0 {
		t.Errorf("an explicit 0 became %d", cfg.Tokens.MaxAgeDays)
	}
}

// Issue 9 "trust policy default": DMARC proves a domain, not a person. By
// default only a handler's reply token verifies them; a DMARC pass from our
// own server (trust.authserv_id set, for the "not verified" marks) does not,
// unless trust.policy says token_or_dmarc.
func TestDefaultTrustPolicyIsTokenOnly(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Trust.Policy = defaults().Trust.Policy })
		confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: anna, subject: "Over [KL-2026-0001]", id: "anna-phone@vlinder.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; dkim=pass header.d=vlinder.example; dmarc=pass header.from=vlinder.example"},
			body:  "#locatie BSO De Springplank",
		}))
		h.poll()
		h.flush()
		if c := h.caseByRef("KL-2026-0001"); c.Location != "" {
			t.Errorf("location %q: a DMARC pass verified a handler under the default policy", c.Location)
		}
		// Her reply to the notification (her token) is hers.
		annaAnswers(t, h, "#locatie BSO De Springplank")
		if c := h.caseByRef("KL-2026-0001"); c.Location != "BSO De Springplank" {
			t.Errorf("location %q: Anna's own reply was not applied", c.Location)
		}
	})
}
