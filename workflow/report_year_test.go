package workflow_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/workflow"
)

// A year of complaints for the annual report test, written as the test's own
// data: what each case is, so the report's numbers can be counted here
// independently of the report's SQL.

const (
	rups   = "KDV De Rups"
	anker  = "BSO Het Anker"
	vlind  = "Gastouderbureau De Vlinder" // two complaints: a count only
	noLoc  = ""
	catPed = "pedagogisch handelen"
	catVei = "veiligheid en gezondheid"
	catCom = "communicatie en informatie"
	catFin = "financieel en facturen"
	catVoe = "voeding"
)

type yearMeasure struct {
	dueDays int  // after receipt
	done    bool // realised (done the day before its date)
}

type yearEscalation struct {
	body, filedOn, outcome string
}

type yearCase struct {
	received  time.Time // local time in Amsterdam
	loc       string
	committee bool
	cats      []string
	state     string // "judged", "withdrawn", "open"
	verdict   string // for judged cases ("" allowed: before verdicts were recorded)
	judgedDay int    // days after receipt
	exceeded  bool   // the scheduler flagged deadline_exceeded
	measures  []yearMeasure
	line      string // #verslag
	esc       []yearEscalation

	// What the test put in that the report must never show.
	name, email, street, text, measureText, escRef, escNote string
	reference                                               string // read back after processing
}

func ams(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, amsterdam)
}

// reportYear is the year's cases. Received dates spread over the months;
// two cases just outside 2026 (in Amsterdam time) must not count, one case of
// 2025 has a dispute filed in 2026 that must.
func reportYear() []yearCase {
	cs := []yearCase{
		{received: ams(2026, 1, 1, 0, 30), loc: rups, cats: []string{catPed}}, // 2025-12-31 23:30 UTC: still 2026 here
		{received: ams(2026, 1, 14, 9, 5), loc: rups, cats: []string{catPed, catCom}, line: "Afspraken over overdracht bij het ophalen aangescherpt."},
		{received: ams(2026, 2, 3, 13, 0), loc: rups, cats: []string{catVei}, exceeded: true},
		{received: ams(2026, 2, 20, 8, 45), loc: anker, cats: []string{catFin}},
		{received: ams(2026, 3, 9, 17, 20), loc: rups, committee: true, cats: []string{catCom}, line: "Nieuwsbrief verschijnt voortaan maandelijks."},
		{received: ams(2026, 3, 30, 10, 0), loc: anker, cats: []string{catPed}},
		{received: ams(2026, 4, 2, 11, 0), loc: vlind, cats: []string{catFin}, line: "=HYPERLINK(\"x\") blijft tekst"},
		{received: ams(2026, 5, 12, 7, 10), loc: rups, cats: []string{catVei, catPed}},
		{received: ams(2026, 5, 28, 19, 0), loc: anker, cats: []string{catVoe}},
		{received: ams(2026, 6, 15, 9, 0), loc: rups, cats: nil},
		{received: ams(2026, 7, 1, 12, 0), loc: noLoc, cats: []string{catCom}},
		{received: ams(2026, 8, 19, 16, 30), loc: anker, committee: true, cats: []string{catCom, catPed}},
		{received: ams(2026, 9, 2, 9, 30), loc: rups, cats: []string{catVei}},
		{received: ams(2026, 9, 25, 14, 0), loc: vlind, cats: []string{catPed}},
		{received: ams(2026, 10, 6, 10, 15), loc: rups, cats: []string{catVoe}, exceeded: true},
		{received: ams(2026, 11, 10, 8, 0), loc: anker, cats: []string{catVei}},
		{received: ams(2026, 12, 1, 9, 0), loc: rups, cats: []string{catCom}},
		{received: ams(2026, 12, 20, 21, 0), loc: anker, cats: []string{catPed}},
		{received: ams(2026, 12, 31, 23, 50), loc: rups, cats: []string{catFin}}, // 22:50 UTC: 2026
		{received: ams(2027, 1, 1, 0, 30), loc: rups, cats: []string{catPed}},    // 2026-12-31 23:30 UTC: 2027 here
		{received: ams(2025, 11, 3, 10, 0), loc: anker, cats: []string{catFin}},
	}
	// States, verdicts and measures.
	judge := func(i, day int, verdict string, ms ...yearMeasure) {
		cs[i].state, cs[i].verdict, cs[i].judgedDay, cs[i].measures = "judged", verdict, day, ms
	}
	judge(0, 20, workflow.VerdictUpheld, yearMeasure{60, true}, yearMeasure{90, false})
	judge(1, 30, workflow.VerdictPartly, yearMeasure{45, true})
	judge(2, 50, workflow.VerdictNotUpheld) // judged after the six weeks
	judge(3, 10, workflow.VerdictUpheld, yearMeasure{30, true})
	judge(4, 41, workflow.VerdictUpheld, yearMeasure{70, false})
	cs[5].state = "withdrawn"
	judge(6, 12, workflow.VerdictNotUpheld)
	judge(7, 25, workflow.VerdictPartly, yearMeasure{40, true}, yearMeasure{50, true})
	judge(8, 5, "") // judged before verdicts were recorded
	cs[9].state = "withdrawn"
	judge(10, 15, workflow.VerdictUpheld, yearMeasure{20, true})
	judge(11, 35, workflow.VerdictNotUpheld)
	judge(12, 18, workflow.VerdictUpheld, yearMeasure{100, false})
	cs[13].state = "open" // long past its six weeks by the report's date
	cs[13].exceeded = true
	cs[14].state = "open"
	judge(15, 22, workflow.VerdictPartly, yearMeasure{30, false})
	judge(16, 14, workflow.VerdictUpheld)
	cs[17].state = "open" // within its six weeks on the report's date
	cs[18].state = "open"
	cs[19].state = "open"
	judge(20, 20, workflow.VerdictNotUpheld)
	// Escalations: counted by the year they were filed.
	cs[2].esc = []yearEscalation{{workflow.BodyGeschillencommissie, "2026-04-20", workflow.VerdictNotUpheld}, {workflow.BodyKlachtenloket, "2026-03-01", workflow.OutcomeSettlement}}
	cs[13].esc = []yearEscalation{{workflow.BodyGeschillencommissie, "2026-12-01", ""}}
	cs[11].esc = []yearEscalation{{workflow.BodyKlachtenloket, "2026-10-01", ""}, {workflow.BodyGeschillencommissie, "2027-02-01", ""}}
	cs[20].esc = []yearEscalation{{workflow.BodyGeschillencommissie, "2026-02-10", workflow.VerdictUpheld}}
	first := []string{"Sanne", "Mohammed", "Femke", "Daan", "Yara", "Lotte", "Bram", "Inge", "Kees", "Noor", "Joost"}
	last := []string{"Jansen", "El Amrani", "Visser", "Smit", "Bakker", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos"}
	child := []string{"Noah", "Emma", "Liam", "Julia", "Mila", "Sem", "Tess", "Finn", "Zoë", "Luuk", "Saar"}
	for i := range cs {
		c := &cs[i]
		fn, ln := first[i%len(first)], last[(i*3)%len(last)]
		c.name = fmt.Sprintf("%s %s%d", fn, ln, i)
		c.email = fmt.Sprintf("%s.%s%d@ouders-mail.example", strings.ToLower(fn), strings.ToLower(strings.ReplaceAll(ln, " ", "")), i)
		c.street = fmt.Sprintf("Lindelaan %d, 35%02d KX Utrecht", 10+i, i)
		c.text = fmt.Sprintf("Mijn dochter %s%d kwam op %d %s thuis met een schaafwond en niemand had gebeld (klachtcode Q%03dZ).",
			child[i%len(child)], i, 1+i, "maart", i)
		c.measureText = fmt.Sprintf("Gesprek met pedagogisch medewerker Marloes%d over %s%d", i, child[i%len(child)], i)
		c.escRef = fmt.Sprintf("GCK-%d-%05d", 2026, 40000+i)
		c.escNote = fmt.Sprintf("Ouder %s wil mediation", c.name)
	}
	return cs
}

// in2026 says whether a case was received in 2026, Amsterdam time: counted
// from the test's own dates.
func (c yearCase) in2026() bool { return c.received.Year() == 2026 }

// loadYear delivers every complaint as mail, on a clock set to its receipt,
// then writes what handlers' commands record (location, kind, verdict,
// categories, measures, escalations, report line) straight into the
// database, so that edge cases (a judgment before verdicts were recorded,
// the turn of the year in Amsterdam) are easy to make. The same report
// from a year kept by the commands themselves is
// cmd/complaintd's TestAnnualReportOfAYearKeptByMail.
func loadYear(t *testing.T, db *store.DB, cs []yearCase) {
	t.Helper()
	ctx := context.Background()
	w, clock := newWorkflow(t, db, realTemplates(t))
	for i := range cs {
		c := &cs[i]
		clock.Set(c.received.Add(time.Minute))
		raw := fmt.Sprintf("From: %s <%s>\r\nTo: klachten@vlinder.example\r\nSubject: Klacht over %s\r\nMessage-ID: <y%d@ouders-mail.example>\r\n"+
			"Date: %s\r\n\r\n%s\r\n\r\nMet vriendelijke groet,\r\n%s\r\n%s\r\n", c.name, c.email, c.street, i,
			c.received.Format(time.RFC1123Z), c.text, c.name, c.street)
		if _, err := w.Process(ctx, workflow.Delivery{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1),
			InternalDate: c.received, Raw: []byte(raw)}); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.Get(ctx, &id, `SELECT id FROM cases WHERE complainant_email = ?`, c.email); err != nil {
			t.Fatalf("case of %s: %v", c.email, err)
		}
		if err := db.Get(ctx, &c.reference, `SELECT reference FROM cases WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		kind := workflow.KindParent
		if c.committee {
			kind = workflow.KindCommittee
		}
		status := map[string]string{"judged": workflow.StatusDecided, "withdrawn": workflow.StatusWithdrawn, "open": workflow.StatusInProgress}[c.state]
		exec(`UPDATE cases SET location = ?, kind = ?, status = ?, deadline_exceeded = ?, report_line = ? WHERE id = ?`,
			c.loc, kind, status, c.exceeded, c.line, id)
		if c.state == "judged" {
			exec(`UPDATE cases SET decided_at = ?, verdict = ? WHERE id = ?`, c.received.AddDate(0, 0, c.judgedDay).UTC(), c.verdict, id)
		}
		for _, cat := range c.cats {
			exec(`INSERT INTO case_categories (case_id, category, created_at) VALUES (?, ?, ?)`, id, cat, c.received.UTC())
		}
		for _, m := range c.measures {
			due := c.received.AddDate(0, 0, m.dueDays)
			var done any
			if m.done {
				done = due.AddDate(0, 0, -1).UTC()
			}
			exec(`INSERT INTO measures (case_id, description, due_date, created_at, done_at) VALUES (?, ?, ?, ?, ?)`,
				id, c.measureText, due.Format(time.DateOnly), c.received.UTC(), done)
		}
		for _, e := range c.esc {
			exec(`INSERT INTO escalations (case_id, body, filed_on, reference, note, outcome, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				id, e.body, e.filedOn, c.escRef, c.escNote, e.outcome, c.received.UTC(), c.received.UTC())
		}
	}
}

// expected is the report's numbers counted from the test's own data.
type expected struct {
	total, parents, committees int
	months                     [12]int
	cats                       map[string]int
	catVerdicts                map[string][3]int // upheld, partly, not upheld
	locs                       map[string]*expectedLoc
	kl, gck                    workflow.EscalationCount
}

type expectedLoc struct {
	total, parents, committees                          int
	upheld, partly, notUpheld, unrecorded               int
	judged, within, past, withdrawn, open, withMeasures int
	measures                                            int
	lines                                               []string
}

func expect(cs []yearCase, now time.Time) expected {
	e := expected{cats: map[string]int{}, catVerdicts: map[string][3]int{}, locs: map[string]*expectedLoc{}}
	for _, c := range cs {
		for _, x := range c.esc {
			if strings.HasPrefix(x.filedOn, "2026-") {
				n := &e.kl
				if x.body == workflow.BodyGeschillencommissie {
					n = &e.gck
				}
				n.Total++
				switch x.outcome {
				case workflow.VerdictUpheld:
					n.Upheld++
				case workflow.VerdictNotUpheld:
					n.NotUpheld++
				case workflow.OutcomeSettlement:
					n.Settled++
				default:
					n.InProgress++
				}
			}
		}
		if !c.in2026() {
			continue
		}
		e.total++
		e.months[c.received.Month()-1]++
		l := e.locs[c.loc]
		if l == nil {
			l = &expectedLoc{}
			e.locs[c.loc] = l
		}
		l.total++
		if c.committee {
			e.committees++
			l.committees++
		} else {
			e.parents++
			l.parents++
		}
		cats := c.cats
		if len(cats) == 0 {
			cats = []string{""}
		}
		for _, cat := range cats {
			e.cats[cat]++
			v := e.catVerdicts[cat]
			switch c.verdict {
			case workflow.VerdictUpheld:
				v[0]++
			case workflow.VerdictPartly:
				v[1]++
			case workflow.VerdictNotUpheld:
				v[2]++
			}
			e.catVerdicts[cat] = v
		}
		// Six weeks: 42 days; the test's dates stay clear of the boundary.
		deadline := c.received.AddDate(0, 0, 42)
		switch c.state {
		case "judged":
			l.judged++
			switch c.verdict {
			case workflow.VerdictUpheld:
				l.upheld++
			case workflow.VerdictPartly:
				l.partly++
			case workflow.VerdictNotUpheld:
				l.notUpheld++
			default:
				l.unrecorded++
			}
			if c.judgedDay <= 41 {
				l.within++
			}
			if len(c.measures) > 0 {
				l.withMeasures++
			}
		case "withdrawn":
			l.withdrawn++
		case "open":
			l.open++
		}
		if c.exceeded || (c.state == "judged" && c.judgedDay > 42) || (c.state == "open" && now.After(deadline)) {
			l.past++
		}
		l.measures += len(c.measures)
		if c.line != "" {
			l.lines = append(l.lines, c.line)
		}
	}
	return e
}
