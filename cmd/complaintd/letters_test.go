package main

import (
	"github.com/complaintd/complaintd/mailbox"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// linesStartingWith counts the lines of text that start with one of prefixes.
func linesStartingWith(text string, prefixes ...string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(strings.TrimSpace(l), p) {
				n++
			}
		}
	}
	return n
}

// The parent reads one greeting and one signature, also when the handler
// wrote their own: theirs is left out, the letter's stays, in the judgment
// and in a relayed answer alike.
func TestLettersHaveOneGreetingAndOneSignature(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		greetings := []string{"Beste ", "Dear ", "Hoi ", "Geachte "}
		signOffs := []string{"Met vriendelijke groet", "Kind regards", "Hartelijke groet", "Groet,", "Best wishes"}
		confirmationOf(t, h)
		annaAnswers(t, h, pick("Hoi Sanne,\n\nIk spreek morgen met de leidster en bel je daarna.\n\nHartelijke groet,\nAnna",
			"Hi Sanne,\n\nI will speak with the group leader tomorrow and call you after.\n\nBest wishes,\nAnna"))
		relay := lastTo(t, h, "sanne.jansen@example.nl")
		mustContain(t, "Sanne", relay, pick("Ik spreek morgen met de leidster", "I will speak with the group leader"), "Anna de Vries")
		if g, s := linesStartingWith(relay.text, greetings...), linesStartingWith(relay.text, signOffs...); g != 1 || s != 1 {
			t.Errorf("the relayed answer has %d greetings and %d sign-offs, want 1 and 1:\n%s", g, s, relay.text)
		}
		annaAnswers(t, h, pick("#oordeel gegrond\n#categorie overig", "#judgment upheld\n#category overig")+"\n"+pick("#geen-maatregelen", "#no-measures")+"\n\n"+
			pick("Geachte mevrouw Jansen,\n\nWij vinden uw klacht ongegrond: Noah is meegegeven aan iemand op de ophaallijst.\n\nMet vriendelijke groet,\nAnna de Vries\nKlachtenfunctionaris",
				"Dear Ms Jansen,\n\nWe find your complaint not upheld: Noah left with someone on the pick-up list.\n\nKind regards,\nAnna de Vries\nComplaints officer"))
		j := lastTo(t, h, "sanne.jansen@example.nl")
		mustContain(t, "Sanne", j, pick("Wij vinden uw klacht ongegrond", "We find your complaint not upheld"))
		if g, s := linesStartingWith(j.text, greetings...), linesStartingWith(j.text, signOffs...); g != 1 || s != 1 {
			t.Errorf("the judgment has %d greetings and %d sign-offs, want 1 and 1:\n%s", g, s, j.text)
		}
	})
}

// A forged message in Anna's name: the alert tells her why in her
// organisation's language, with only the server's own result as written.
func TestSpoofAlertGivesItsReasonInTheOrganisationsLanguage(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: anna, subject: "RE: [KL-2026-0001] Nieuwe klacht", id: "forged@attacker.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; spf=fail smtp.mailfrom=attacker.example; dkim=none; dmarc=fail header.from=vlinder.example"},
			body:  "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nUw klacht is ongegrond.",
		}))
		h.poll()
		h.flush()
		alert := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", alert, pick("geen antwoordkenmerk van anna.devries@vlinder.example", "no reply token of anna.devries@vlinder.example"),
			pick("kon niet bevestigen dat het bericht echt van het domein vlinder.example komt", "could not confirm that the message really comes from the domain vlinder.example"),
			"dmarc=fail")
		if lang := pick("nl", "en"); lang == "nl" {
			for _, english := range []string{"no reply token", "Authentication-Results of", "is not a reply"} {
				if strings.Contains(alert.text, english) {
					t.Errorf("the Dutch alert has the English phrase %q:\n%s", english, alert.text)
				}
			}
		} else {
			for _, dutch := range []string{"antwoordkenmerk", "mailserver", "bericht", "geverifieerd"} {
				if strings.Contains(alert.text, dutch) {
					t.Errorf("the English alert has the Dutch word %q:\n%s", dutch, alert.text)
				}
			}
		}
	})
}

// Notification subjects name the person, never "Name <address>".
func TestNotificationSubjectsNameThePerson(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		conf := confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{from: sanne, subject: "RE: " + conf.msg.Subject(), inReplyTo: conf.msg.MessageID(),
			body: "Nog een vraag: wie was er die middag?\n"}))
		h.poll()
		h.flush()
		note := lastTo(t, h, "anna.devries@vlinder.example")
		want := pick("Nieuw bericht van Sanne Jansen:", "New message from Sanne Jansen:")
		if s := note.msg.Subject(); !strings.Contains(s, want) || strings.Contains(s, "<") || strings.Contains(s, "@") {
			t.Errorf("subject %q, want it to name Sanne Jansen without her address", s)
		}
		annaAnswers(t, h, "We zoeken het uit.")
		bounceLast(t, h)
		note = lastTo(t, h, "anna.devries@vlinder.example")
		want = pick("E-mail aan Sanne Jansen kwam niet aan", "Email to Sanne Jansen did not arrive")
		if s := note.msg.Subject(); !strings.Contains(s, want) || strings.Contains(s, "@") {
			t.Errorf("bounce notice subject %q, want %q", s, want)
		}
	})
}

// Six weeks pass without a judgment: the parent's notice gives the date by
// which the judgment is now expected and a management contact, beside the
// Geschillencommissie (complaint-law.md 9.4).
func TestDeadlinePassedNoticeHasExpectedDateAndManagement(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			pick := func(nl, en string) string {
				if lang == "en" {
					return en
				}
				return nl
			}
			h := newHarnessWith(t, storetest.URL(t, "sqlite"), func(c *Config) {
				c.Organisation.Language = lang
				c.Escalation.Management = "Mark Bakker, directeur\n020 123 45 67"
			})
			confirmationOf(t, h)
			annaAnswers(t, h, pick("#toewijzen", "#assign")+" anna.devries@vlinder.example")
			h.at(time.Date(2027, 1, 1, 0, 5, 0, 0, amsterdam))
			notice := lastTo(t, h, "sanne.jansen@example.nl")
			// Item by item: 1. reference, receipt, the date that passed;
			// 2. the apology; 3. the new expected date; 4. the
			// Geschillencommissie now, its fee and window; 5. the
			// Klachtenloket; 6. the handler and a management contact.
			mustContain(t, "Sanne", notice, "KL-2026-0001", pick("19 november 2026", "19 November 2026"), pick("donderdag 31 december 2026", "Thursday 31 December 2026"),
				pick("Het spijt ons", "We are sorry"),
				pick("uiterlijk donderdag 14 januari 2027", "by Thursday 14 January 2027"),
				"Geschillencommissie Kinderopvang", pick("klachtengeld", "complaint fee"), pick("uiterlijk 19 november 2027", "no later than 19 November 2027"),
				"Klachtenloket Kinderopvang",
				"Anna de Vries",
				pick("iemand van de directie spreken", "speak to management"), "Mark Bakker, directeur", "020 123 45 67")
			// 7. The internal copy to management, and the flag.
			var copied bool
			for _, m := range h.sentTo("directie@vlinder.example") {
				copied = copied || (strings.Contains(m.msg.Subject(), pick("Termijn verstreken", "Term passed")) && strings.Contains(m.text, "KL-2026-0001"))
			}
			if !copied {
				t.Errorf("management got no copy of the deadline notice")
			}
			if c := h.caseByRef("KL-2026-0001"); !c.DeadlineExceeded {
				t.Errorf("the case is not flagged deadline_exceeded")
			}
		})
	}
}

// cases show says how the term stands in words: days left, days late, or
// nothing once the judgment was sent; never "(- days left)".
func TestCasesShowTermInWords(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	confirmationOf(t, h)
	c := h.caseByRef("KL-2026-0001")
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 29, 9, 0, 0, 0, amsterdam), " (2 days left)"},
		{time.Date(2026, 12, 30, 9, 0, 0, 0, amsterdam), " (1 day left)"},
		{time.Date(2026, 12, 31, 9, 0, 0, 0, amsterdam), " (today is the last day)"},
		{time.Date(2027, 1, 1, 9, 0, 0, 0, amsterdam), " (1 day late)"},
		{time.Date(2027, 1, 3, 9, 0, 0, 0, amsterdam), " (3 days late)"},
	} {
		if got := termWords(c, amsterdam, tc.at); got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.at, got, tc.want)
		}
	}
	annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nOngegrond.")
	out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), "KL-2026-0001")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "(-") || strings.Contains(out, "days left") || !strings.Contains(out, "judgment due:  Thursday 31 December 2026\n") {
		t.Errorf("cases show of a decided case:\n%s", out)
	}
}

// A parent committee's joint complaint: the committee is addressed as a
// committee, and its confirmation names the person who wrote on its
// behalf (complaint-law.md 9.1 item 10).
func TestJointComplaintAddressesTheCommittee(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		h.deliver(rawMail(mailOpts{from: "Fatima el Amrani <oudercommissie.derups@gmail.example>", subject: "Gezamenlijke klacht",
			body: "Namens de oudercommissie: ouders worden niet op tijd ingelicht over wisselingen in de vaste gezichten.\n"}))
		h.poll()
		h.flush()
		conf := lastTo(t, h, "oudercommissie.derups@gmail.example")
		mustContain(t, "the committee", conf, pick("Beste leden van Oudercommissie KDV De Rups,", "Dear members of Oudercommissie KDV De Rups,"),
			pick("namens de oudercommissie ingediend door Fatima el Amrani", "submitted on the committee's behalf by Fatima el Amrani"))
		if strings.Contains(conf.text, pick("Beste Fatima", "Dear Fatima")) {
			t.Errorf("the committee's confirmation greets one person:\n%s", conf.text)
		}
	})
}

// Managers read text written for their role: the deadline-passed notice
// and the digest say who handles a case and how to reach them, and what
// the parent may now do; they never tell a manager to send #oordeel or to
// run complaintd. The digest marks a joint complaint.
func TestManagersReadTextForTheirRole(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		annaAnswers(t, h, pick("#toewijzen", "#assign")+" anna.devries@vlinder.example")
		h.deliver(rawMail(mailOpts{from: "Fatima el Amrani <oudercommissie.derups@gmail.example>", subject: "Gezamenlijke klacht",
			body: "Namens de oudercommissie: ouders worden niet op tijd ingelicht.\n"}))
		h.poll()
		h.flush()
		h.at(time.Date(2027, 1, 1, 0, 5, 0, 0, amsterdam))
		var notice *sentMail
		for _, m := range h.sentTo("directie@vlinder.example") {
			if strings.Contains(m.text, "KL-2026-0001") && strings.Contains(m.msg.Subject(), pick("Termijn verstreken", "Term passed")) {
				notice = &m
			}
		}
		if notice == nil {
			t.Fatal("the manager got no deadline-passed notice for KL-2026-0001")
		}
		mustContain(t, "the manager", *notice, "Anna de Vries (anna.devries@vlinder.example)",
			pick("rechtstreeks voorleggen aan de Geschillencommissie", "directly to the Geschillencommissie"),
			pick("donderdag 14 januari 2027", "Thursday 14 January 2027"))
		for _, wrong := range []string{"#oordeel", "#judgment", "complaintd cases", pick("gaat naar de ouder", "goes to the parent")} {
			if strings.Contains(notice.text, wrong) {
				t.Errorf("the manager's notice says %q, which is for handlers:\n%s", wrong, notice.text)
			}
		}
		// What a manager may do by mail (issue 11): a reply to the notice
		// asks for the case file of its case.
		mustContain(t, "the manager", *notice, pick("#dossier", "#casefile"), pick("#toewijzen ADRES", "#assign ADDRESS"))
		h.deliver(rawMail(mailOpts{from: "Directie De Vlinder <directie@vlinder.example>", subject: "RE: " + notice.msg.Subject(),
			inReplyTo: notice.msg.MessageID(), body: pick("#dossier", "#casefile") + "\n\n> " + notice.msg.Subject()}))
		h.poll()
		h.flush()
		if as, err := mailbox.Attachments(lastTo(t, h, "directie@vlinder.example").raw); err != nil || len(as) != 1 || as[0].Name != "dossier-KL-2026-0001.html" {
			t.Errorf("the manager's #dossier in reply to the notice brought %+v (%v), want the case file of KL-2026-0001", as, err)
		}
		// Anna's copy still tells her what to do.
		var annas *sentMail
		for _, m := range h.sentTo("anna.devries@vlinder.example") {
			if strings.Contains(m.msg.Subject(), pick("Termijn verstreken", "Term passed")) {
				annas = &m
			}
		}
		if annas == nil || !strings.Contains(annas.text, pick("#oordeel", "#judgment")) {
			t.Errorf("the handler's notice lost its instructions")
		}
		digest := digestSays(t, h)
		for _, want := range []string{"Anna de Vries (anna.devries@vlinder.example)", pick("gezamenlijke klacht van de oudercommissie", "joint complaint of the parent committee")} {
			if !strings.Contains(digest, want) {
				t.Errorf("the digest lacks %q:\n%s", want, digest)
			}
		}
		for _, wrong := range []string{"complaintd cases", pick("Nieuwe klacht\"", "New complaint\"")} {
			if strings.Contains(digest, wrong) {
				t.Errorf("the digest tells the manager %q:\n%s", wrong, digest)
			}
		}
	})
}

// A handler marks a case as a safeguarding concern with #veiligheid: the
// managers' digest shows it on the case, cases list shows the flag, and
// #signaal-onterecht removes it. The parent is never told.
func TestSafeguardingMarkReachesTheDigest(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		mark := pick("VEILIGHEID", "SAFEGUARDING")
		if strings.Contains(digestSays(t, h), mark) {
			t.Fatal("an unmarked case is marked in the digest")
		}
		annaAnswers(t, h, pick("#veiligheid", "#safeguarding")+"\n\nDe ouder noemt blauwe plekken; de meldcode wordt gevolgd.")
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Verwerkt", "Applied"),
			pick("gemarkeerd als veiligheidskwestie", "marked as a safeguarding concern"))
		if d := digestSays(t, h); !strings.Contains(d, mark) {
			t.Errorf("the digest does not mark the case:\n%s", d)
		}
		out, _, _ := run(t, h.ctx, "cases", "list", "-config", writeHarnessConfig(t, h.cfg))
		if !strings.Contains(out, "safeguarding") {
			t.Errorf("cases list does not show the flag:\n%s", out)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want only the confirmation", n)
		}
		annaAnswers(t, h, pick("#signaal-onterecht een val op het klimrek", "#signal-unfounded a fall off the climbing frame"))
		if d := digestSays(t, h); strings.Contains(d, mark) {
			t.Errorf("the digest still marks the case after the mark was removed:\n%s", d)
		}
		annaAnswers(t, h, pick("#signaal-onterecht een val", "#signal-unfounded a fall"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"))
	})
}
