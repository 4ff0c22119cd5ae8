package workflow

import (
	"strings"
	"testing"
	"time"
)

func TestParseCommandsTakesOnlyTheTopLines(t *testing.T) {
	text := "#oordeel\n\n#maatregel 2027-01-15 Protocol doornemen.\n\u00a0\n#Measure 2027-02-01 Lijst ophangen.\n\nBeste ouder,\n#intern staat hier in de tekst\n"
	cmds, body := parseCommands(text)
	if len(cmds) != 3 || cmds[0].name != cmdJudgment || cmds[1].name != cmdMeasure || cmds[2].name != cmdMeasure {
		t.Fatalf("commands %+v", cmds)
	}
	if cmds[2].arg != "2027-02-01 Lijst ophangen." {
		t.Errorf("arg %q", cmds[2].arg)
	}
	if !strings.HasPrefix(body, "Beste ouder,") || !strings.Contains(body, "#intern staat hier") {
		t.Errorf("body %q", body)
	}
	if cmds, body := parseCommands("Beste ouder,\n#oordeel"); len(cmds) != 0 || body != "Beste ouder,\n#oordeel" {
		t.Errorf("a '#' below the text is a command: %+v", cmds)
	}
}

func TestPlanCommandsAllOrNothing(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	w := &Workflow{set: Settings{
		Organisation: Organisation{Language: "en", Locations: []string{"KDV De Rups"}},
		Handlers:     []Handler{{Name: "Marco Bos", Email: "marco.bos@vlinder.example"}},
	}}
	today := time.Date(2026, 11, 19, 0, 0, 0, 0, ams)
	open := &Case{Status: StatusAcknowledged}
	decided := &Case{Status: StatusDecided}
	cases := []struct {
		name    string
		c       *Case
		text    string
		refused []string // substrings of the refused lines, in order
	}{
		{"judgment with measures", open, "#oordeel\n#maatregel 2027-01-15 A\n\nGegrond.", nil},
		{"judgment with no measures", open, "#judgment\n#no-measures\n\nOngegrond, want …", nil},
		{"judgment without measures", open, "#oordeel\n\nOngegrond.", []string{"#oordeel"}},
		{"judgment without text", open, "#oordeel\n#geen-maatregelen", []string{"#oordeel"}},
		// A measure line with a wrong date is refused for its date only: the
		// judgment does not lack measures, one of its dates is wrong (issue 11).
		{"measure in the past", open, "#oordeel\n#maatregel 2026-11-19 A\n\nX", []string{"#maatregel 2026-11-19"}},
		{"bad date", open, "#oordeel\n#maatregel 15-01-2027 A\n\nX", []string{"#maatregel 15-01-2027"}},
		{"done on an open case", open, "#uitgevoerd A\n\nX", []string{"#uitgevoerd A"}},
		{"both measures and none", open, "#oordeel\n#maatregel 2027-01-15 A\n#geen-maatregelen\n\nX", []string{"#geen-maatregelen"}},
		{"judgment and internal", open, "#oordeel\n#intern\n#geen-maatregelen\n\nX", []string{"#oordeel"}},
		{"judgment twice", open, "#oordeel\n#oordeel\n#geen-maatregelen\n\nX", []string{"#oordeel"}},
		{"judgment on a decided case", decided, "#oordeel\n#geen-maatregelen\n\nX", []string{"#oordeel"}},
		{"measure without judgment", open, "#maatregel 2027-01-15 A", []string{"#maatregel"}},
		{"extra measure on a decided case", decided, "#maatregel 2027-03-01 B", nil},
		{"no-measures alone", open, "#geen-maatregelen", []string{"#geen-maatregelen"}},
		{"unknown command and a good one", open, "#status in-behandeling\n#prioriteit hoog", []string{"#prioriteit"}},
		{"status that is not open", open, "#status afgerond", []string{"#status afgerond"}},
		{"assign unknown", open, "#toewijzen iemand@example.org", []string{"#toewijzen"}},
		{"assign by address", open, "#assign <marco.bos@vlinder.example>", nil},
		{"unknown location", open, "#locatie Elders", []string{"#locatie"}},
		{"withdraw and close", decided, "#ingetrokken\n#afgerond", []string{"#ingetrokken", "#afgerond"}},
		{"close before judgment", open, "#afgerond", []string{"#afgerond"}},
		{"withdraw and judgment", open, "#ingetrokken\n#oordeel\n#geen-maatregelen\n\nX", []string{"#ingetrokken"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmds, body := parseCommands(c.text)
			p := w.planCommands(c.c, nil, cmds, body, today)
			var got []string
			for _, r := range p.refused {
				got = append(got, r.Line)
				if r.Why == "" {
					t.Errorf("refusal of %q gives no reason", r.Line)
				}
			}
			if len(got) != len(c.refused) {
				t.Fatalf("refused %q, want lines with %q", got, c.refused)
			}
			for i := range got {
				if !strings.Contains(got[i], c.refused[i]) {
					t.Errorf("refused line %d = %q, want %q", i, got[i], c.refused[i])
				}
			}
			if len(c.refused) == 0 && len(p.applied) == 0 {
				t.Errorf("nothing applied")
			}
		})
	}
}

// On a decided case, #maatregel naming a promised measure (or the only open
// one) gives it a new date; the reason below goes to the parent, so it is
// required, and the line must say which measure when several are open.
func TestPlanMovesAMeasure(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	w := &Workflow{set: Settings{Organisation: Organisation{Language: "en"}}}
	today := time.Date(2027, 1, 5, 0, 0, 0, 0, ams)
	decided := &Case{Status: StatusDecided}
	a := Measure{ID: 1, Description: "Het ophaalprotocol wordt opnieuw doorgenomen.", DueDate: "2027-01-05"}
	b := Measure{ID: 2, Description: "Nieuwe ophaallijsten.", DueDate: "2027-02-01"}
	cases := []struct {
		name         string
		open         []Measure
		text         string
		moved, added int
		refused      bool
	}{
		{"by its description", []Measure{a, b}, "#maatregel 2027-01-20 het ophaalprotocol wordt  opnieuw doorgenomen\n\nZiek.", 1, 0, false},
		{"the only open one", []Measure{a}, "#maatregel 2027-01-20\n\nZiek.", 1, 0, false},
		{"which one, of two", []Measure{a, b}, "#maatregel 2027-01-20\n\nZiek.", 0, 0, true},
		{"without a reason", []Measure{a}, "#maatregel 2027-01-20 Het ophaalprotocol wordt opnieuw doorgenomen.", 0, 0, true},
		{"with #afgerond", []Measure{a}, "#maatregel 2027-01-20\n#afgerond\n\nKlaar.", 0, 0, true},
		{"a new measure", []Measure{a}, "#maatregel 2027-03-01 Een extra medewerker op woensdag.", 0, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmds, body := parseCommands(c.text)
			p := w.planCommands(decided, c.open, cmds, body, today)
			if got := len(p.refused) > 0; got != c.refused {
				t.Fatalf("refused %+v, want refused=%v", p.refused, c.refused)
			}
			if c.refused {
				return
			}
			if len(p.moves) != c.moved || len(p.measures) != c.added {
				t.Errorf("%d moved, %d added; want %d and %d", len(p.moves), len(p.measures), c.moved, c.added)
			}
			if c.moved > 0 && p.moves[0].m.ID != 1 {
				t.Errorf("moved measure %d, want 1", p.moves[0].m.ID)
			}
		})
	}
}

// Issue 9 item 2: a command line disguised by what mail clients and
// attackers put in front of or inside it is still read as a command, and a
// first line that looks like a command but names none is refused, never
// passed on to the parent.
func TestParseCommandsSeesThroughDisguises(t *testing.T) {
	cases := []struct {
		name, text, want string // want: the command name, "" for an unknown command
	}{
		{"zero-width space in front", "\u200b#intern\n\nnotitie", cmdInternal},
		{"zero-width joiner inside", "#in\u200dtern\n\nnotitie", cmdInternal},
		{"bidi override in front", "\u202e#intern\n\nnotitie", cmdInternal},
		{"bidi isolate around", "\u2066#intern\u2069\n\nnotitie", cmdInternal},
		{"byte order mark", "\ufeff#intern\n\nnotitie", cmdInternal},
		{"full-width number sign", "＃intern\n\nnotitie", cmdInternal},
		{"small number sign", "\ufe5fintern\n\nnotitie", cmdInternal},
		{"full-width letters", "＃ｏｏｒｄｅｅｌ\n#geen-maatregelen\n\ntekst", cmdJudgment},
		{"Outlook bold", "*#oordeel*\n*#geen-maatregelen*\n\ntekst", cmdJudgment},
		{"Outlook italic", "_#intern_\n\nnotitie", cmdInternal},
		{"form feed in front", "\f#intern\n\nnotitie", cmdInternal},
		{"em space in front", "\u2003#intern\n\nnotitie", cmdInternal},
		{"ideographic space in front", "\u3000#intern\n\nnotitie", cmdInternal},
		{"no-break space after the sign", "#\u00a0intern\n\nnotitie", cmdInternal},
		{"tab between command and argument", "#locatie\tKDV De Rups", cmdLocation},
		{"the fuzzer's form feed", "\f#0", ""},
		{"a lone sign", "#\n\nBeste ouder,", ""},
		{"a sign and a space", "# \n\nBeste ouder,", ""},
		{"CR line ends", "#intern\r\rnotitie", cmdInternal},
		{"line separator", "#intern\u2028notitie", cmdInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmds, body := parseCommands(c.text)
			if len(cmds) == 0 {
				t.Fatalf("no command read; body %q would go to the parent", body)
			}
			if cmds[0].name != c.want {
				t.Errorf("command %q read as %q, want %q", cmds[0].line, cmds[0].name, c.want)
			}
			if strings.ContainsAny(cmds[0].line, "\u200b\u200d\u202e\u2066\u2069\ufeff\f\u00a0\u3000") {
				t.Errorf("the line shown back %q keeps invisible characters", cmds[0].line)
			}
		})
	}
}

func TestUnknownFirstLineIsRefusedNotRelayed(t *testing.T) {
	w := &Workflow{set: Settings{Organisation: Organisation{Language: "en"}}}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	cmds, body := parseCommands("\f#0\n\nBeste ouder, zie hieronder.")
	p := w.planCommands(&Case{Status: StatusAcknowledged}, nil, cmds, body, time.Date(2026, 11, 19, 0, 0, 0, 0, ams))
	if len(p.refused) != 1 || p.refused[0].Line != "#0" {
		t.Fatalf("refused %+v, want the line #0", p.refused)
	}
}

func TestCommandArgumentKeepsTheHandlersCharacters(t *testing.T) {
	cmds, _ := parseCommands("＃maatregel 2027-01-15 Noah krijgt ½ uur extra ﬁetstijd")
	if len(cmds) != 1 || cmds[0].name != cmdMeasure || cmds[0].arg != "2027-01-15 Noah krijgt ½ uur extra ﬁetstijd" {
		t.Fatalf("read %+v", cmds)
	}
}

func TestBoldMarkerBeforeAFullWidthSign(t *testing.T) {
	if cmds, _ := parseCommands("* ＃intern*\n\nnotitie"); len(cmds) != 1 || cmds[0].name != cmdInternal || cmds[0].line != "#intern" {
		t.Fatalf("read %+v", cmds)
	}
}
