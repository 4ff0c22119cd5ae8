package main

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Issue 13: the record the law asks for, kept by handlers' commands. Each
// test reads the mails as their recipients do, in both languages.

const marco = "Marco Bos <marco.bos@vlinder.example>"

// handlerAnswers is annaAnswers for any handler: a reply to their latest
// mail about the case, with the quoted history under it.
func handlerAnswers(t *testing.T, h *harness, from, addr, text string) {
	t.Helper()
	got := h.sentTo(addr)
	if len(got) == 0 {
		t.Fatalf("%s has no mail to answer", addr)
	}
	note := got[len(got)-1]
	h.deliver(rawMail(mailOpts{
		from: from, subject: "RE: " + note.msg.Subject(), inReplyTo: note.msg.MessageID(),
		body: text + "\n\n-----Original Message-----\n" + note.text,
	}))
	h.poll()
	h.flush()
}

// showCase is what `complaintd cases show REF` prints.
func showCase(t *testing.T, h *harness, ref string) string {
	t.Helper()
	out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), ref)
	if err != nil {
		t.Fatalf("cases show: %v\n%s", err, out)
	}
	return out
}

func TestJudgmentNeedsAVerdictAndACategory(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		// No verdict, no category: refused with the lines to write.
		annaAnswers(t, h, pick("#oordeel\n#geen-maatregelen\n\nUw klacht is deels terecht.", "#judgment\n#no-measures\n\nYour complaint is partly justified."))
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Niet uitgevoerd", "Not applied"),
			pick("#oordeel gegrond, #oordeel deels-gegrond of #oordeel ongegrond", "#judgment upheld, #judgment partly-upheld or #judgment not-upheld"),
			pick("#categorie NAAM", "#category NAME"), "pedagogisch handelen, veiligheid en gezondheid", "accommodatie, overig")
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Fatalf("the parent got %d mails, want only the confirmation", n)
		}
		// A word that is no verdict is named.
		annaAnswers(t, h, pick("#oordeel terecht\n#categorie overig\n#geen-maatregelen\n\nX.", "#judgment justified\n#category overig\n#no-measures\n\nX."))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick(`"terecht" is geen oordeel`, `"justified" is not a verdict`))

		// The start of a category's name will do; the parent reads the verdict.
		annaAnswers(t, h, pick("#oordeel deels-gegrond\n#categorie Pedagog\n#geen-maatregelen\n\nUw klacht is deels terecht.",
			"#judgment partly-upheld\n#category Pedagog\n#no-measures\n\nYour complaint is partly justified."))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Verwerkt", "Applied"), "pedagogisch handelen",
			pick("oordeel (deels gegrond)", "judgment (partly upheld)"))
		j := lastTo(t, h, "sanne.jansen@example.nl")
		mustContain(t, "Sanne", j, pick("Uw klacht is deels gegrond.", "Your complaint is partly upheld."))
		if !strings.Contains(j.msg.HTML(), pick("Uw klacht is deels gegrond.", "Your complaint is partly upheld.")) {
			t.Errorf("the HTML judgment lacks the verdict:\n%s", j.msg.HTML())
		}
		c := h.caseByRef("KL-2026-0001")
		if c.Verdict != workflow.VerdictPartly || c.Status != workflow.StatusDecided {
			t.Errorf("case verdict %q status %s", c.Verdict, c.Status)
		}
		out := showCase(t, h, "KL-2026-0001")
		for _, want := range []string{"verdict:       deels-gegrond", "categories:    pedagogisch handelen", "category"} {
			if !strings.Contains(out, want) {
				t.Errorf("cases show lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestCategories(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		// The reminder asks for a category while none is set.
		h.at(received.AddDate(0, 0, 28).Add(time.Hour))
		rem := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", rem, pick("nog geen categorie", "no category yet"), pick("#categorie NAAM", "#category NAME"), "opvangtijden en planning")

		// Unknown, or the start of several: refused, naming the valid ones.
		for _, bad := range []string{"parkeren", "p"} {
			annaAnswers(t, h, pick("#categorie ", "#category ")+bad)
			mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
				pick(`"`+bad+`" is geen categorie; kies een van: pedagogisch handelen`, `"`+bad+`" is not a category; choose one of: pedagogisch handelen`))
		}
		annaAnswers(t, h, pick("#categorie VOEDING\n#categorie communicatie en informatie", "#category VOEDING\n#category communicatie en informatie"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Verwerkt", "Applied"), "voeding", "communicatie en informatie")
		if n := h.countRows("case_categories", "category IN (?, ?)", "voeding", "communicatie en informatie"); n != 2 {
			t.Errorf("%d categories stored, want 2", n)
		}
		// The next reminder no longer asks.
		h.at(received.AddDate(0, 0, 35).Add(time.Hour))
		rem = lastTo(t, h, "anna.devries@vlinder.example")
		if strings.Contains(rem.text, pick("nog geen categorie", "no category yet")) {
			t.Errorf("the reminder still asks for a category:\n%s", rem.text)
		}
		out := showCase(t, h, "KL-2026-0001")
		if !strings.Contains(out, "categories:    communicatie en informatie, voeding") {
			t.Errorf("cases show lacks the categories:\n%s", out)
		}
	})
}

func TestEscalationsAndTheReportLine(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		h.at(received.AddDate(0, 2, 0))
		before := len(h.sentTo("sanne.jansen@example.nl"))
		// An outcome before anything was filed, and a date to come: refused.
		annaAnswers(t, h, pick("#uitspraak gegrond 2027-01-10", "#ruling upheld 2027-01-10"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
			pick("geen procedure bij de Geschillencommissie", "no procedure at the Geschillencommissie"))
		annaAnswers(t, h, "#klachtenloket 2027-12-01")
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("ligt in de toekomst", "is in the future"))

		annaAnswers(t, h, "#klachtenloket 2026-12-02 Moeder belde het loket over de ophaallijst\n"+
			"#geschillencommissie 2027-01-05 2027-004711 Klacht voorgelegd na ons oordeel\n"+
			pick("#verslag Kind meegegeven aan iemand buiten de ophaallijst; protocol aangescherpt", "#report Kind meegegeven aan iemand buiten de ophaallijst; protocol aangescherpt"))
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Verwerkt", "Applied"), "2026-12-02", "2027-01-05", pick("jaarverslag", "annual report"))
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != before {
			t.Errorf("the parent got %d mails, want still %d: escalations are for the record", n, before)
		}
		// The outcome goes to the Geschillencommissie procedure, not the Klachtenloket.
		annaAnswers(t, h, pick("#uitspraak schikking 2027-01-15", "#ruling settlement 2027-01-15"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("uitspraak van de Geschillencommissie vastgelegd: schikking", "ruling of the Geschillencommissie recorded: settlement"))
		if n := h.countRows("escalations", "body = ? AND reference = ? AND outcome = ? AND outcome_on = ?", "geschillencommissie", "2027-004711", "schikking", "2027-01-15"); n != 1 {
			t.Errorf("the Geschillencommissie row was not completed (%d)", n)
		}
		if n := h.countRows("escalations", "body = ? AND outcome = ? AND note = ?", "klachtenloket", "", "Moeder belde het loket over de ophaallijst"); n != 1 {
			t.Errorf("the Klachtenloket row changed or is missing (%d)", n)
		}
		c := h.caseByRef("KL-2026-0001")
		if c.ReportLine != "Kind meegegeven aan iemand buiten de ophaallijst; protocol aangescherpt" {
			t.Errorf("report line %q", c.ReportLine)
		}
		out := showCase(t, h, "KL-2026-0001")
		for _, want := range []string{
			"escalation:    klachtenloket since 2026-12-02, open: Moeder belde",
			"escalation:    geschillencommissie since 2027-01-05, case number 2027-004711, outcome schikking on 2027-01-15",
			"report line:   Kind meegegeven", "escalation ", "report_line ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("cases show lacks %q:\n%s", want, out)
			}
		}
	})
}

// The parent names a handler: the handlers are offered #betreft; once
// recorded, that handler cannot be assigned nor judge the case.
func TestIndependenceOfTheHandler(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		h.deliver(rawMail(mailOpts{from: sanne, subject: "Klacht over meneer Bos", id: "c2@mail.example.nl",
			body: "Marco Bos heeft Noah meegegeven aan iemand die niet op de ophaallijst staat.\n"}))
		h.poll()
		h.flush()
		note := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", note, pick("Mogelijk betreft deze klacht: Marco Bos", "This complaint may be about: Marco Bos"),
			pick("#betreft marco.bos@vlinder.example", "#concerns marco.bos@vlinder.example"))
		if strings.Contains(note.text, "Anna de Vries.") {
			t.Errorf("Anna is suggested too:\n%s", note.text)
		}
		if parent := lastTo(t, h, "sanne.jansen@example.nl"); strings.Contains(parent.text, "#betreft") || strings.Contains(parent.text, "#concerns") {
			t.Errorf("the parent sees the suggestion:\n%s", parent.text)
		}

		// Marco handles it, until Anna records what the complaint is about.
		annaAnswers(t, h, pick("#toewijzen marco.bos@vlinder.example", "#assign marco.bos@vlinder.example"))
		annaAnswers(t, h, pick("#betreft Marco Bos", "#concerns Marco Bos"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Verwerkt", "Applied"),
			pick("Marco Bos behandelde deze klacht en is niet meer toegewezen", "Marco Bos handled this case and is no longer assigned"))
		if c := h.caseByRef("KL-2026-0001"); c.Assignee != "" {
			t.Errorf("still assigned to %q", c.Assignee)
		}
		annaAnswers(t, h, pick("#toewijzen marco.bos@vlinder.example", "#assign marco.bos@vlinder.example"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
			pick("de klacht gaat (ook) over Marco Bos", "the complaint is (also) about Marco Bos"))

		// Marco cannot judge it either.
		handlerAnswers(t, h, marco, "marco.bos@vlinder.example", pick("#oordeel ongegrond\n#categorie personeel\n#geen-maatregelen\n\nIk deed niets fout.",
			"#judgment not-upheld\n#category personeel\n#no-measures\n\nI did nothing wrong."))
		mustContain(t, "Marco", lastTo(t, h, "marco.bos@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
			pick("de klacht gaat (ook) over jou", "the complaint is (also) about you"))
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want only the confirmation", n)
		}
		if out := showCase(t, h, "KL-2026-0001"); !strings.Contains(out, "concerns:      Marco Bos <marco.bos@vlinder.example>") {
			t.Errorf("cases show lacks who the complaint is about:\n%s", out)
		}
	})
}

// With trust.judgment_approval a judgment waits for a second handler.
func TestJudgmentWaitsForASecondHandler(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, func(c *Config) { c.Organisation.Language = lang; c.Trust.JudgmentApproval = true })
				pick := func(nl, en string) string {
					if lang == "en" {
						return en
					}
					return nl
				}
				confirmationOf(t, h)
				annaAnswers(t, h, pick("#oordeel gegrond\n#categorie overig\n#maatregel 2027-01-15 Alle medewerkers nemen het ophaalprotocol door.\n\nUw klacht is terecht.",
					"#judgment upheld\n#category overig\n#measure 2027-01-15 Alle medewerkers nemen het ophaalprotocol door.\n\nYour complaint is justified."))
				mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("vastgehouden", "held"),
					pick("tweede behandelaar antwoordt met #akkoord", "second handler answers #approve"))
				if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
					t.Fatalf("the parent got %d mails before the approval, want only the confirmation", n)
				}
				mustContain(t, "Marco", lastTo(t, h, "marco.bos@vlinder.example"), pick("WACHT OP AKKOORD", "WAITING FOR APPROVAL"), pick("#akkoord", "#approve"))
				out := showCase(t, h, "KL-2026-0001")
				for _, want := range []string{"judgment WAITING for #akkoord", "gegrond by anna.devries@vlinder.example", "measure 2027-01-15 Alle medewerkers", "Uw klacht is terecht"} {
					if lang == "nl" && !strings.Contains(out, want) {
						t.Errorf("cases show lacks %q:\n%s", want, out)
					}
				}
				// The author cannot approve her own judgment.
				annaAnswers(t, h, pick("#akkoord", "#approve"))
				mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
					pick("je hebt dit oordeel zelf geschreven", "you wrote this judgment yourself"))
				if c := h.caseByRef("KL-2026-0001"); c.Status == workflow.StatusDecided {
					t.Fatal("decided by its own author")
				}
				handlerAnswers(t, h, marco, "marco.bos@vlinder.example", pick("#akkoord", "#approve"))
				mustContain(t, "Marco", lastTo(t, h, "marco.bos@vlinder.example"), pick("Verwerkt", "Applied"), pick("oordeel van Anna de Vries (gegrond) goedgekeurd", "judgment of Anna de Vries (upheld) approved"))
				parent := h.sentTo("sanne.jansen@example.nl")
				if len(parent) != 2 {
					t.Fatalf("the parent got %d mails, want the confirmation and the judgment", len(parent))
				}
				mustContain(t, "Sanne", parent[1], pick("Uw klacht is gegrond.", "Your complaint is upheld."), "Anna de Vries",
					pick("Uw klacht is terecht.", "Your complaint is justified."), pick("15 januari 2027", "15 January 2027"))
				c := h.caseByRef("KL-2026-0001")
				if c.Status != workflow.StatusDecided || c.Verdict != workflow.VerdictUpheld || c.Assignee != "anna.devries@vlinder.example" {
					t.Errorf("after approval: status %s verdict %q assignee %q", c.Status, c.Verdict, c.Assignee)
				}
				if n := h.countRows("pending_judgments", "1 = 1"); n != 0 {
					t.Errorf("%d judgments still waiting", n)
				}
				// Nothing waits any more.
				handlerAnswers(t, h, marco, "marco.bos@vlinder.example", pick("#akkoord", "#approve"))
				mustContain(t, "Marco", lastTo(t, h, "marco.bos@vlinder.example"), pick("Niet uitgevoerd", "Not applied"))
			})
		})
	}
}

// While a judgment waits, the reminders say so: to its author, that a
// colleague must approve it; to the others, how to. A withdrawal drops it.
func TestWaitingJudgmentInRemindersAndWithdrawal(t *testing.T) {
	t.Parallel()
	eachLanguageWith(t, func(c *Config) { c.Trust.JudgmentApproval = true }, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		annaAnswers(t, h, pick("#oordeel ongegrond\n#categorie overig\n#geen-maatregelen\n\nNiet terecht.", "#judgment not-upheld\n#category overig\n#no-measures\n\nNot justified."))
		h.at(received.AddDate(0, 0, 28).Add(time.Hour))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("je oordeel (ongegrond) is nog niet naar de ouder", "your judgment (not upheld) has not been sent"))
		mustContain(t, "Marco", lastTo(t, h, "marco.bos@vlinder.example"), pick("dit oordeel (ongegrond) van", "this judgment (not upheld) by"), pick("#akkoord", "#approve"))
		annaAnswers(t, h, pick("#ingetrokken", "#withdrawn"))
		if n := h.countRows("pending_judgments", "1 = 1"); n != 0 {
			t.Errorf("%d judgments still wait after the withdrawal", n)
		}
		if out := showCase(t, h, "KL-2026-0001"); strings.Contains(out, "WAITING") {
			t.Errorf("cases show still shows a waiting judgment:\n%s", out)
		}
		for _, m := range h.sentTo("sanne.jansen@example.nl") {
			if strings.Contains(m.text, pick("Niet terecht.", "Not justified.")) {
				t.Errorf("the parent got the judgment that waited:\n%s", m.text)
			}
		}
	})
}

// eachLanguageWith is eachLanguage with a change to the configuration.
func eachLanguageWith(t *testing.T, change func(*Config), f func(t *testing.T, h *harness, pick func(nl, en string) string)) {
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, func(c *Config) { c.Organisation.Language = lang; change(c) })
				f(t, h, func(nl, en string) string {
					if lang == "en" {
						return en
					}
					return nl
				})
			})
		})
	}
}
