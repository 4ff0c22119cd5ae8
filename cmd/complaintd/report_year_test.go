package main

import (
	"encoding/csv"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A year of complaints kept entirely by mail, on the harness's manual
// clock: parents and an oudercommissie complain, Anna records location
// and categories, judges with a verdict and measures, reports measures
// done, a withdrawal, a Klachtenloket contact and a Geschillencommissie
// dispute with its ruling, and lines for the report, all with the commands
// handlers use. `complaintd report -format csv` then says exactly what the
// test counts from its own plan of the year, and no format shows anything
// of the people in it.

type yearMeasure struct {
	dueDays, doneDays int // after receipt; doneDays 0: not realised
	text              string
}

type yearEscalation struct {
	cmd, filed, note string // "klachtenloket" or "geschillencommissie"
	outcome          string // for #uitspraak, "" while open
	ruledOn          string
}

type yearCase struct {
	received  time.Time
	name      string
	addr      string
	committee bool
	loc       string
	cats      []string
	verdict   string // "" while open
	judgeDays int
	measures  []yearMeasure
	withdrawn int // days after receipt, 0: not withdrawn
	line      string
	esc       []yearEscalation
	ref       string
}

const (
	locRups    = "KDV De Rups"
	locSpring  = "BSO De Springplank"
	locVlinder = "Gastouderbureau De Vlinder"
	annaAddr   = "anna.devries@vlinder.example"
)

func plannedYear() []*yearCase {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 10, 0, 0, 0, amsterdam) }
	return []*yearCase{
		{received: d(1, 12), name: "Femke Visser", addr: "femke.visser@ouders.example", loc: locRups,
			cats: []string{"pedagogisch handelen"}, verdict: workflow.VerdictUpheld, judgeDays: 20,
			measures: []yearMeasure{{60, 55, "Troostprotocol met de groep van Femkes dochter Lotte"}}, line: "Troostprotocol opnieuw besproken in het team."},
		{received: d(2, 9), name: "Oudercommissie KDV De Rups", addr: "oudercommissie.derups@gmail.example", committee: true, loc: locRups,
			cats: []string{"communicatie en informatie"}, verdict: workflow.VerdictPartly, judgeDays: 30},
		{received: d(3, 2), name: "Daan Smit", addr: "daan.smit@ouders.example", loc: locRups,
			cats: []string{"pedagogisch handelen", "veiligheid en gezondheid"}, verdict: workflow.VerdictNotUpheld, judgeDays: 50},
		{received: d(4, 6), name: "Yara Bakker", addr: "yara.bakker@ouders.example", loc: locRups,
			cats: []string{"pedagogisch handelen"}, withdrawn: 9},
		{received: d(4, 20), name: "Bram de Boer", addr: "bram.deboer@ouders.example", loc: locSpring,
			cats: []string{"voeding"}, verdict: workflow.VerdictUpheld, judgeDays: 10,
			measures: []yearMeasure{{40, 0, "Allergielijst van Bram junior in de keuken"}}},
		{received: d(6, 3), name: "Inge Mulder", addr: "inge.mulder@ouders.example", loc: locSpring, cats: []string{"voeding"}},
		{received: d(7, 1), name: "Kees de Groot", addr: "kees.degroot@ouders.example", loc: locSpring,
			cats: []string{"pedagogisch handelen"}, verdict: workflow.VerdictNotUpheld, judgeDays: 15,
			esc: []yearEscalation{{cmd: "klachtenloket", filed: "2026-08-03", note: "vader Kees belde het loket"},
				{cmd: "geschillencommissie", filed: "2026-09-01", note: "2026-004711 Kees wil mediation", outcome: "ongegrond", ruledOn: "2026-11-02"}}},
		{received: d(8, 4), name: "Noor Bos", addr: "noor.bos@ouders.example", loc: locVlinder,
			cats: []string{"financieel en facturen"}, verdict: workflow.VerdictUpheld, judgeDays: 12, line: "Factuur van Noor gecorrigeerd."},
	}
}

// event is one step of the year, run in the order of its time.
type event struct {
	at time.Time
	do func()
}

func TestAnnualReportOfAYearKeptByMail(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) {
			c.Report.RegulationSummary, c.Report.HowParentsInformed = "Klachten worden binnen zes weken schriftelijk beoordeeld.",
				"Bij de intake en op de website."
		})
		cs := plannedYear()
		var evs []event
		add := func(at time.Time, do func()) { evs = append(evs, event{at, do}) }
		for i, c := range cs {
			add(c.received, func() { complain(t, h, i, c) })
			first := "#categorie " + strings.Join(c.cats, "\n#categorie ")
			if !c.committee {
				first = "#locatie " + c.loc + "\n" + first
			}
			add(c.received.AddDate(0, 0, 1), func() { answer(t, h, c, first+"\n\nWe zoeken het uit.") })
			// The scheduler runs the day after the six weeks: a case
			// still open then is flagged.
			add(c.received.AddDate(0, 0, 43).Add(time.Hour), func() {})
			if c.withdrawn > 0 {
				add(c.received.AddDate(0, 0, c.withdrawn), func() { answer(t, h, c, "#ingetrokken\n\nDe ouder trekt de klacht in.") })
			}
			if c.verdict != "" {
				at := c.received.AddDate(0, 0, c.judgeDays)
				cmd := "#oordeel " + c.verdict + "\n"
				if c.line != "" {
					cmd += "#verslag " + c.line + "\n"
				}
				if len(c.measures) == 0 {
					cmd += "#geen-maatregelen\n"
				}
				for _, m := range c.measures {
					cmd += "#maatregel " + c.received.AddDate(0, 0, m.dueDays).Format(time.DateOnly) + " " + m.text + "\n"
					if m.doneDays > 0 {
						add(c.received.AddDate(0, 0, m.doneDays), func() { answer(t, h, c, "#uitgevoerd "+m.text+"\n\nGedaan.") })
					}
				}
				add(at, func() {
					answer(t, h, c, cmd+"\nBeste "+c.name+",\n\nWij hebben uw klacht over Lindelaan 12 beoordeeld.")
				})
			}
			for _, e := range c.esc {
				filed, _ := time.ParseInLocation(time.DateOnly, e.filed, amsterdam)
				add(filed.Add(11*time.Hour), func() { answer(t, h, c, "#"+e.cmd+" "+e.filed+" "+e.note+"\n\nGenoteerd.") })
				if e.outcome != "" {
					ruled, _ := time.ParseInLocation(time.DateOnly, e.ruledOn, amsterdam)
					add(ruled.Add(11*time.Hour), func() { answer(t, h, c, "#uitspraak "+e.outcome+" "+e.ruledOn+"\n\nDe uitspraak is binnen.") })
				}
			}
		}
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
		for _, e := range evs {
			h.at(e.at)
			e.do()
		}
		h.at(time.Date(2027, 1, 10, 9, 0, 0, 0, amsterdam))

		config := writeHarnessConfig(t, h.cfg)
		docs := map[string]string{}
		for _, f := range []string{"html", "md", "csv"} {
			out, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026", "-format", f)
			if err != nil {
				t.Fatalf("report -format %s: %v", f, err)
			}
			docs[f] = out
		}
		got := csvValues(t, docs["csv"])
		want := countYear(cs, time.Now())
		t.Logf("%d numbers counted, %d in the report", len(want), len(got))
		if len(want) < 40 {
			t.Fatalf("the test counted only %d numbers", len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: the report says %q, the test counts %q", k, got[k], v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok && v != "0" {
				t.Errorf("%s: the report says %q, the test counts nothing", k, v)
			}
		}
		for f, doc := range docs {
			scanYear(t, f, doc, cs)
		}
		if !strings.Contains(docs["html"], "Troostprotocol opnieuw besproken in het team.") {
			t.Error("the report line of a location with three or more complaints is missing")
		}
	})
}

// complain: a parent (or the oudercommissie) writes in; the reference is
// read from the confirmation.
func complain(t *testing.T, h *harness, i int, c *yearCase) {
	t.Helper()
	h.deliver(rawMail(mailOpts{from: c.name + " <" + c.addr + ">", subject: "Klacht over de opvang", id: fmt.Sprintf("y%d@ouders.example", i),
		body: fmt.Sprintf("Beste,\n\nMijn kind kwam thuis met een blauwe plek en niemand belde.\nGroet,\n%s\nLindelaan %d, 3512 KX Utrecht\n", c.name, 10+i)}))
	h.poll()
	h.flush()
	for _, m := range h.sentTo(c.addr) {
		if s := m.msg.Subject(); strings.Contains(s, "KL-") {
			c.ref = s[strings.Index(s, "KL-") : strings.Index(s, "KL-")+12]
		}
	}
	if c.ref == "" {
		t.Fatalf("%s got no confirmation", c.addr)
	}
}

// answer: Anna replies to her latest mail about the case; the commands
// must be applied.
func answer(t *testing.T, h *harness, c *yearCase, text string) {
	t.Helper()
	var note *sentMail
	for _, m := range h.sentTo(annaAddr) {
		if strings.Contains(m.msg.Subject(), c.ref) {
			note = &m
		}
	}
	if note == nil {
		t.Fatalf("Anna has no mail about %s to answer", c.ref)
	}
	before := len(h.sentTo(annaAddr))
	h.deliver(rawMail(mailOpts{from: "Anna de Vries <" + annaAddr + ">", subject: "RE: " + note.msg.Subject(), inReplyTo: note.msg.MessageID(),
		body: text + "\n\n-----Original Message-----\n" + note.text}))
	h.poll()
	h.flush()
	for _, m := range h.sentTo(annaAddr)[before:] {
		if strings.Contains(m.msg.Subject(), c.ref) && strings.Contains(m.msg.Subject(), "Niet uitgevoerd") {
			t.Fatalf("%s: %q refused:\n%s", c.ref, text, m.text)
		}
	}
}

// csvValues reads the CSV report as "location|section|item" → value.
func csvValues(t *testing.T, doc string) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(doc)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV report does not parse: %v", err)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		k := r[1] + "|" + r[2] + "|" + r[3]
		if r[2] == "measure" || r[2] == "report_line" {
			k += "|" + r[4] // several rows: the value is part of the key
			out[k] = strconv.Itoa(atoi(out[k]) + 1)
			continue
		}
		out[k] = r[4]
	}
	return out
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// countYear counts from the plan what the report must say, on the day it
// is made (now): the same keys as csvValues, zeros left out.
func countYear(cs []*yearCase, now time.Time) map[string]string {
	n := map[string]int{}
	inc := func(k string) { n[k]++ }
	perLoc := map[string][]*yearCase{}
	for _, c := range cs {
		perLoc[c.loc] = append(perLoc[c.loc], c)
		inc("|total|complaints")
		if c.committee {
			inc("|kind|committee")
		} else {
			inc("|kind|parent")
		}
		inc("|month|" + c.received.Format("2006-01"))
		for _, cat := range c.cats {
			inc("|category|" + cat)
		}
		for _, e := range c.esc {
			inc("|" + e.cmd + "|total")
			if e.outcome == "" {
				inc("|" + e.cmd + "|in_progress")
			} else {
				inc("|" + e.cmd + "|" + e.outcome)
			}
		}
	}
	catTotal := map[string]int{}
	for _, c := range cs {
		for _, cat := range c.cats {
			catTotal[cat]++
		}
	}
	for _, c := range cs {
		for _, cat := range c.cats {
			if catTotal[cat] >= workflow.SmallCount && c.verdict != "" {
				inc("|category_verdict|" + cat + "/" + c.verdict)
			}
		}
	}
	for loc, lcs := range perLoc {
		n[loc+"|total|complaints"] = len(lcs)
		if len(lcs) < workflow.SmallCount {
			continue // a count only
		}
		locCat := map[string]int{}
		for _, c := range lcs {
			for _, cat := range c.cats {
				locCat[cat]++
			}
		}
		for _, c := range lcs {
			p := loc + "|"
			if c.committee {
				inc(p + "kind|committee")
			} else {
				inc(p + "kind|parent")
			}
			for _, cat := range c.cats {
				inc(p + "category|" + cat)
			}
			deadline := time.Date(c.received.Year(), c.received.Month(), c.received.Day()+43, 0, 0, 0, 0, amsterdam)
			switch {
			case c.verdict != "":
				inc(p + "verdict|" + c.verdict)
				inc(p + "outcome|judged")
				if c.judgeDays <= 42 {
					inc(p + "outcome|within_term")
				} else {
					inc(p + "outcome|past_term")
				}
				if len(c.measures) > 0 {
					inc(p + "outcome|with_measures")
				}
			case c.withdrawn > 0:
				inc(p + "outcome|withdrawn")
				if c.withdrawn > 42 {
					inc(p + "outcome|past_term")
				}
			default:
				inc(p + "outcome|open")
				if now.After(deadline) {
					inc(p + "outcome|past_term")
				}
			}
			var cats []string
			for _, cat := range c.cats {
				if locCat[cat] >= workflow.SmallCount {
					cats = append(cats, cat)
				}
			}
			slices.Sort(cats)
			for _, m := range c.measures {
				done := "open"
				if m.doneDays > 0 {
					done = c.received.AddDate(0, 0, m.doneDays).Format(time.DateOnly)
				}
				inc(p + "measure|" + strings.Join(cats, "; ") + "|" + c.received.AddDate(0, 0, m.dueDays).Format(time.DateOnly) + " " + done)
			}
			if c.line != "" {
				inc(p + "report_line||" + c.line)
			}
		}
	}
	out := map[string]string{}
	for k, v := range n {
		out[k] = strconv.Itoa(v)
	}
	return out
}

// scanYear fails when a report shows anything of the people of the year.
func scanYear(t *testing.T, format, doc string, cs []*yearCase) {
	t.Helper()
	low := strings.ToLower(doc)
	secrets := []string{"Anna de Vries", "Lindelaan", "3512 KX", "blauwe plek", "Lotte", "2026-004711", "mediation", "belde het loket",
		"Factuur van Noor", "We zoeken het uit", "Gedaan.", "uitspraak is binnen"}
	for _, c := range cs {
		secrets = append(secrets, c.ref, c.addr)
		if !c.committee { // the committee is named after its location
			secrets = append(secrets, c.name, strings.Fields(c.name)[len(strings.Fields(c.name))-1])
		}
		for _, m := range c.measures {
			secrets = append(secrets, m.text)
		}
	}
	for _, s := range secrets {
		if strings.Contains(low, strings.ToLower(s)) {
			t.Errorf("the %s report shows %q", format, s)
		}
	}
	if m := regexp.MustCompile(`(?i)KL-\d{4}-\d+|[a-z0-9.]+@[a-z0-9.-]+\.[a-z]{2,}`).FindString(doc); m != "" {
		t.Errorf("the %s report shows %q", format, m)
	}
}
