package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Tests of issue 9's amplification limits, the sender and Reply-To, and the
// safer defaults.

// Issue 9 item 9: a flood of complaints from one sender opens at most
// limits.new_cases_per_sender cases per window; the rest is kept in the
// ledger with the reason, and the handlers get one notice.
func TestFloodOfComplaintsFromOneSenderIsBounded(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		forge := func(i int) {
			h.deliver(rawMail(mailOpts{
				from: anna, subject: "RE: [KL-2026-0001] Nieuwe klacht", id: fmt.Sprintf("forged%d@attacker.example", i),
				extra: []string{"Authentication-Results: mx.vlinder.example; spf=fail smtp.mailfrom=attacker.example; dmarc=fail header.from=vlinder.example"},
				body:  "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nOngegrond.",
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
