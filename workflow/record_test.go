package workflow

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// recordWorkflow is a Workflow with what the record's commands read, for
// planning without a database.
func recordWorkflow(lang string) *Workflow {
	w := &Workflow{set: Settings{
		Organisation: Organisation{Language: lang},
		Handlers: []Handler{
			{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"},
			{Name: "Marco Bos", Email: "marco.bos@vlinder.example"},
			{Name: "Marco Smit", Email: "marco.smit@vlinder.example"},
		},
	}}
	w.set.Report.fill()
	return w
}

func TestFindCategory(t *testing.T) {
	list := DefaultCategories()
	for in, want := range map[string]string{
		"Voeding": "voeding", "  pedagogisch   HANDELEN ": "pedagogisch handelen", "pedag": "pedagogisch handelen",
		"fin": "financieel en facturen", "p": "", "pe": "", "parkeren": "", "": "",
	} {
		got, err := findCategory(list, in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("findCategory(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseVerdictAndOutcome(t *testing.T) {
	for in, want := range map[string]string{
		"gegrond": VerdictUpheld, "Upheld": VerdictUpheld, "deels gegrond": VerdictPartly, "deels_gegrond": VerdictPartly,
		"partly-upheld": VerdictPartly, "ONGEGROND": VerdictNotUpheld, "not upheld": VerdictNotUpheld, "": "", "misschien": "",
	} {
		if got, ok := parseVerdict(in); got != want || ok != (want != "") {
			t.Errorf("parseVerdict(%q) = %q, %v", in, got, ok)
		}
	}
	for in, want := range map[string]string{"schikking": OutcomeSettlement, "settlement": OutcomeSettlement, "gegrond": OutcomeUpheld, "not-upheld": OutcomeNotUpheld, "deels": ""} {
		if got, ok := parseOutcome(in); got != want || ok != (want != "") {
			t.Errorf("parseOutcome(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestPlanEscalation(t *testing.T) {
	w := recordWorkflow("nl")
	today := time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		line                   string
		filed, reference, note string
		refused                bool
	}{
		{"#geschillencommissie 2027-01-05 2027-004711 Na ons oordeel", "2027-01-05", "2027-004711", "Na ons oordeel", false},
		{"#geschillencommissie 2027-01-05 Na ons oordeel", "2027-01-05", "", "Na ons oordeel", false},
		{"#geschillencommissie 2027-01-05 123456/KO", "2027-01-05", "123456/KO", "", false},
		{"#klachtenloket 2027-01-05 2027-004711 belde", "2027-01-05", "", "2027-004711 belde", false},
		{"#klachtenloket 2027-01-21", "", "", "", true},
		{"#klachtenloket 05-01-2027", "", "", "", true},
		{"#klachtenloket", "", "", "", true},
	}
	for _, c := range cases {
		cmds, _ := parseCommands(c.line)
		e, why := w.planEscalation(cmds[0], today)
		if (why != "") != c.refused || e.filed != c.filed || e.reference != c.reference || e.note != c.note {
			t.Errorf("%q: %+v, refused %q", c.line, e, why)
		}
	}
}

// The parent's text is checked against the handlers: by address, full
// name, or a first name only one handler has.
func TestHandlersNamed(t *testing.T) {
	w := recordWorkflow("nl")
	names := func(text string) []string {
		var out []string
		for _, h := range w.handlersNamed(text) {
			out = append(out, h.Name)
		}
		return out
	}
	for text, want := range map[string][]string{
		"Juf Anna heeft niet gebeld.":                    {"Anna de Vries"},
		"Ik sprak met MARCO BOS, hij was onaardig.":      {"Marco Bos"},
		"Marco zei dat het niet kon.":                    nil, // two handlers are called Marco
		"Mail van marco.smit@vlinder.example kwam nooit": {"Marco Smit"},
		"Annabel en Bosman waren er niet.":               nil,
	} {
		if got := names(text); !slices.Equal(got, want) {
			t.Errorf("%q names %q, want %q", text, got, want)
		}
	}
}

func TestPlanRecordJudgment(t *testing.T) {
	today := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	anna := Handler{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"}
	open := &Case{Status: StatusInProgress}
	withCategory := CaseRecord{Categories: []string{"voeding"}}
	aboutAnna := CaseRecord{Categories: []string{"voeding"}, Concerns: []Concern{{Name: "Anna de Vries", Email: anna.Email}}}
	cases := []struct {
		name    string
		rec     CaseRecord
		text    string
		refused []string // substrings of the reasons, in order
	}{
		{"verdict and category", CaseRecord{}, "#oordeel gegrond\n#categorie voeding\n#geen-maatregelen\n\nX", nil},
		{"category set before", withCategory, "#judgment partly-upheld\n#no-measures\n\nX", nil},
		{"no verdict", withCategory, "#oordeel\n#geen-maatregelen\n\nX", []string{"#oordeel gegrond, #oordeel deels-gegrond of #oordeel ongegrond"}},
		{"no category", CaseRecord{}, "#oordeel gegrond\n#geen-maatregelen\n\nX", []string{"nog geen categorie"}},
		{"about the judge", aboutAnna, "#oordeel gegrond\n#geen-maatregelen\n\nX", []string{"over jou"}},
		{"named in the same message", withCategory, "#betreft anna.devries@vlinder.example\n#oordeel gegrond\n#geen-maatregelen\n\nX", []string{"over jou"}},
		{"assign to whom it is about", withCategory, "#betreft Marco Bos\n#toewijzen marco.bos@vlinder.example", []string{"over Marco Bos"}},
		{"approve nothing", withCategory, "#akkoord", []string{"geen oordeel"}},
		{"outcome without escalation", withCategory, "#uitspraak gegrond 2026-11-01", []string{"geen procedure"}},
		{"empty report line", withCategory, "#verslag", []string{"jaarverslag"}},
		{"two categories", withCategory, "#categorie voeding\n#categorie overig", nil},
		{"a verdict twice", withCategory, "#oordeel gegrond\n#oordeel ongegrond\n#geen-maatregelen\n\nX", []string{"twee keer"}},
	}
	w := recordWorkflow("nl")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmds, body := parseCommands(c.text)
			p := w.planCommands(open, nil, cmds, body, today)
			w.planRecord(&p, open, anna, c.rec, cmds, today)
			var got []string
			for _, r := range p.refused {
				got = append(got, r.Why)
			}
			if len(got) != len(c.refused) {
				t.Fatalf("refused %q, want %q", got, c.refused)
			}
			for i := range got {
				if !strings.Contains(got[i], c.refused[i]) {
					t.Errorf("refusal %d = %q, want %q", i, got[i], c.refused[i])
				}
			}
		})
	}
}
