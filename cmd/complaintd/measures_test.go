package main

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// eachLanguage runs f on a harness whose organisation speaks nl, then en:
// pick chooses what a reader of that language sees.
func eachLanguage(t *testing.T, f func(t *testing.T, h *harness, pick func(nl, en string) string)) {
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, func(c *Config) { c.Organisation.Language = lang })
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

// mustContain fails for every phrase a reader does not find in a mail.
func mustContain(t *testing.T, who string, m sentMail, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(m.msg.Subject()+"\n"+m.text, p) {
			t.Errorf("%s's mail lacks %q:\n%s\n\n%s", who, p, m.msg.Subject(), m.text)
		}
	}
}

const (
	trainingNL = "Alle medewerkers nemen het ophaalprotocol opnieuw door."
	listsNL    = "Op elke groep hangt een actuele ophaallijst."
)

// judgedWithTwoMeasures: Sanne's complaint, judged on day 10 with two
// measures, due on 15 January and 1 February 2027.
func judgedWithTwoMeasures(t *testing.T, h *harness, pick func(nl, en string) string) {
	t.Helper()
	confirmationOf(t, h)
	h.at(received.AddDate(0, 0, 10))
	annaAnswers(t, h, pick("#oordeel gegrond\n#categorie overig", "#judgment upheld\n#category overig")+"\n"+pick("#maatregel", "#measure")+" 2027-01-15 "+trainingNL+"\n"+
		pick("#maatregel", "#measure")+" 2027-02-01 "+listsNL+"\n\nGegrond.")
	if c := h.caseByRef("KL-2026-0001"); c.Status != workflow.StatusDecided {
		t.Fatalf("the judgment was not applied: %s", c.Status)
	}
	// A real plural, never "maatregel(en)" (issue 11).
	res := lastTo(t, h, "anna.devries@vlinder.example")
	mustContain(t, "Anna", res, pick("met 2 maatregelen", "with 2 measures"))
	if strings.Contains(res.text, "(en)") || strings.Contains(res.text, "(s)") {
		t.Errorf("a plural written as a placeholder:\n%s", res.text)
	}
}

// A handler reports measures done one at a time: the parent hears about
// each, with the handler's line and the measures still open; the last one
// closes the case with the closing letter. A measure done before its date
// never shows up late in the digest nor gets a reminder.
func TestMeasuresDoneOneByOne(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		judgedWithTwoMeasures(t, h, pick)
		h.at(time.Date(2027, 1, 12, 10, 0, 0, 0, amsterdam))
		// Anna retypes the description loosely, as people do.
		annaAnswers(t, h, pick("#uitgevoerd", "#done")+" alle medewerkers nemen het ophaalprotocol opnieuw door\n\n"+
			"Op 11 januari hebben alle medewerkers de training gevolgd.")
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Verwerkt", "Applied"), trainingNL)
		parent := lastTo(t, h, "sanne.jansen@example.nl")
		mustContain(t, "Sanne", parent,
			pick("Een maatregel uit ons oordeel is uitgevoerd", "A measure from our judgment has been carried out"),
			"KL-2026-0001", trainingNL, "Op 11 januari hebben alle medewerkers de training gevolgd.",
			listsNL, pick("maandag 1 februari 2027", "Monday 1 February 2027"))
		if strings.Contains(parent.text, "#uitgevoerd") || strings.Contains(parent.text, "#done") {
			t.Errorf("the parent sees the command line:\n%s", parent.text)
		}
		if c := h.caseByRef("KL-2026-0001"); c.Status != workflow.StatusDecided {
			t.Errorf("the case is %s with a measure still open", c.Status)
		}
		// The training's date passes: no reminder, not late in the digest.
		h.at(time.Date(2027, 1, 20, 9, 0, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgMeasureDue); n != 0 {
			t.Errorf("%d reminders for a measure done on time", n)
		}
		lateHeading := pick("Maatregelen die nu uitgevoerd moeten zijn", "Measures that should be done now")
		if d := digestSays(t, h); strings.Contains(d, lateHeading) || strings.Contains(d, trainingNL) {
			t.Errorf("the digest lists the training as late; it was done on time:\n%s", d)
		}
		// The lists' date passes with the lists not reported: that one is
		// late, and the digest says so (and still not the training).
		h.at(time.Date(2027, 2, 2, 9, 0, 0, 0, amsterdam))
		if d := digestSays(t, h); !strings.Contains(d, lateHeading) || !strings.Contains(d, listsNL) || strings.Contains(d, trainingNL) {
			t.Errorf("the digest of 2 February should list the lists as late, and only them:\n%s", d)
		}
		// The last one, named by nothing: it is the only one open.
		annaAnswers(t, h, pick("#uitgevoerd", "#done")+"\n\nDe nieuwe lijsten hangen op alle groepen.")
		parent = lastTo(t, h, "sanne.jansen@example.nl")
		mustContain(t, "Sanne", parent, pick("Uw klacht is afgerond", "Your complaint"), trainingNL, listsNL,
			"De nieuwe lijsten hangen op alle groepen.")
		c := h.caseByRef("KL-2026-0001")
		ms, _ := h.c.wf.Measures(h.ctx, c.ID)
		if c.Status != workflow.StatusClosed || len(ms) != 2 || !ms[0].DoneAt.Valid || !ms[1].DoneAt.Valid {
			t.Errorf("case %s, measures %+v: want closed with both done", c.Status, ms)
		}
		res = lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("de klacht is afgesloten", "the case is closed"))
		if n := h.kinds(workflow.MsgClosed); n != 1 {
			t.Errorf("%d closing letters, want 1", n)
		}
	})
}

// #uitgevoerd that names no open measure changes nothing and says which
// are open; on a case without a judgment it is refused.
func TestMeasureDoneRefusals(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		annaAnswers(t, h, pick("#uitgevoerd", "#done")+" iets\n\nKlaar.")
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Niet uitgevoerd", "Not applied"), pick("verstuurd oordeel", "judgment that was sent"))
		judgedWithTwoMeasures(t, h, pick)
		sent := len(h.sentTo("sanne.jansen@example.nl"))
		annaAnswers(t, h, pick("#uitgevoerd", "#done")+"\n\nKlaar.")
		res = lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Niet uitgevoerd", "Not applied"), pick("#uitgevoerd", "#done")+" "+trainingNL, listsNL)
		annaAnswers(t, h, pick("#uitgevoerd", "#done")+" De ouderavond\n\nKlaar.")
		res = lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Niet uitgevoerd", "Not applied"), "De ouderavond")
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != sent {
			t.Errorf("the parent got %d mails for refused commands", n-sent)
		}
		if n := h.countRows("measures", "done_at IS NOT NULL"); n != 0 {
			t.Errorf("%d measures marked done by refused commands", n)
		}
	})
}

// A measure added to a decided case reaches the parent with its date, as
// a new date does.
func TestMeasureAddedToADecidedCaseIsAnnounced(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		judgedWithTwoMeasures(t, h, pick)
		annaAnswers(t, h, pick("#maatregel", "#measure")+" 2027-02-15 We houden een ouderavond over het ophaalprotocol.\n\n"+
			"Na ons gesprek willen we alle ouders uitleggen wat er verandert.")
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Verwerkt", "Applied"), pick("1 maatregel toegevoegd", "1 measure added"))
		parent := lastTo(t, h, "sanne.jansen@example.nl")
		mustContain(t, "Sanne", parent,
			pick("Een nieuwe maatregel bij ons oordeel", "A new measure added to our judgment"),
			"We houden een ouderavond over het ophaalprotocol.", pick("maandag 15 februari 2027", "Monday 15 February 2027"),
			"Na ons gesprek willen we alle ouders uitleggen wat er verandert.", trainingNL, listsNL)
		if strings.Contains(parent.text, pick("Nieuwe datum", "New date")) {
			t.Errorf("an added measure is announced as a new date:\n%s", parent.text)
		}
	})
}

// A bad date on a #maatregel line given with #oordeel is refused as a bad
// date, not as a judgment without measures.
func TestBadMeasureDateWithJudgmentIsRefusedAsABadDate(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		annaAnswers(t, h, pick("#oordeel gegrond\n#categorie overig", "#judgment upheld\n#category overig")+"\n"+pick("#maatregel", "#measure")+" 15-01-2027 "+trainingNL+"\n\nGegrond.")
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Niet uitgevoerd", "Not applied"), "15-01-2027", pick("JJJJ-MM-DD", "YYYY-MM-DD"))
		// The list of commands at the end names every command; the reasons
		// above it must not send Anna to #geen-maatregelen.
		reasons, _, _ := strings.Cut(res.text, pick("Opdrachten:", "Commands:"))
		for _, wrong := range []string{pick("#geen-maatregelen", "#no-measures"), "1.57b"} {
			if strings.Contains(reasons, wrong) {
				t.Errorf("the refusal sends Anna to %q for a bad date:\n%s", wrong, res.text)
			}
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want only the confirmation", n)
		}
	})
}
