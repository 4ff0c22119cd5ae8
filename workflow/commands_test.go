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
		{"measure in the past", open, "#oordeel\n#maatregel 2026-11-19 A\n\nX", []string{"#maatregel 2026-11-19", "#oordeel"}},
		{"bad date", open, "#oordeel\n#maatregel 15-01-2027 A\n\nX", []string{"#maatregel 15-01-2027", "#oordeel"}},
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
			p := w.planCommands(c.c, cmds, body, today)
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
