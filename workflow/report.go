package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The annual complaints report (Wko art. 1.57b(4)–(9), complaint-law.md 2.8
// and R15). It is anonymised by construction (lid 5–6): the queries below read
// no name, address, e-mail address, subject, case reference, measure text or
// escalation note at all, so no renderer can show one. The only free text is
// a handler's own report line (#verslag), written for this report.

// ErrNoReport: the year had no complaints and no disputes, so no report is
// needed (art. 1.57b(9); complaint-law.md 2.8 reads the exemption narrowly,
// so a dispute alone still asks for one).
var ErrNoReport = errors.New("workflow: no complaints and no Klachtenloket or Geschillencommissie cases in that year: no report is needed (Wko art. 1.57b(9))")

// SmallCount is the number of complaints below which a location or category
// is shown as a count only: fewer than three could point to one family.
const SmallCount = 3

// AnnualReport is what the report of one calendar year says.
type AnnualReport struct {
	Organisation string
	Language     string
	Year         int
	Location     string    // "" for the whole organisation
	Made         time.Time // when it was drawn up, in the organisation's zone
	// Regulation (a), Informed (b) and ProcedureURL come from configuration.
	Regulation   string
	Informed     string
	ProcedureURL string
	// Missing lists configuration keys the report needs and did not get.
	Missing []string

	Total      int
	Parents    int // complaints by a parent
	Committees int // joint complaints by an oudercommissie
	ByMonth    [12]int
	Categories []CategoryCount // every category with at least one complaint
	Locations  []LocationReport
	Outcome    OutcomeCounts // over every complaint of the year
	// Klachtenloket and Geschillencommissie count the escalations filed in
	// the year (by their date), whatever year the complaint was from.
	Klachtenloket       EscalationCount
	Geschillencommissie EscalationCount
}

// CategoryCount is how many complaints were about one category. Small
// categories are counts only; larger ones also say how they were judged.
type CategoryCount struct {
	Name     string // "" for complaints without a category
	Count    int
	Detailed bool
	Verdicts VerdictCounts // zero unless Detailed
}

// VerdictCounts is the gist of the judgments (art. 1.57b(4)(d)).
type VerdictCounts struct {
	Upheld, Partly, NotUpheld, Unrecorded int
}

// Judged is the number of judgments counted.
func (v VerdictCounts) Judged() int { return v.Upheld + v.Partly + v.NotUpheld + v.Unrecorded }

// OutcomeCounts is how the complaints went against the six-week term.
type OutcomeCounts struct {
	Judged       int // a written judgment was given
	WithinTerm   int // ... within six weeks of receipt
	PastTerm     int // the six weeks passed before a judgment (or still open past them)
	Withdrawn    int
	Open         int // still being handled when the report was made
	WithMeasures int // judgments with at least one measure
}

// LocationReport is one location's part. A location with fewer than
// SmallCount complaints is a count only: its breakdowns stay empty.
type LocationReport struct {
	Name       string // "" for complaints whose location was never recorded
	Total      int
	Detailed   bool
	Parents    int
	Committees int
	Categories []CategoryCount
	Verdicts   VerdictCounts
	Outcome    OutcomeCounts
	Measures   []MeasureLine
	// ReportLines are the handlers' own lines for the report (#verslag),
	// sorted, so their order says nothing about which case was which.
	ReportLines []string
}

// MeasureLine is the nature of one measure: the categories of its
// complaint, its date and whether it was realised; never its text.
type MeasureLine struct {
	Categories []string // only categories with SmallCount complaints or more at the location
	Due        string   // YYYY-MM-DD
	Done       string   // YYYY-MM-DD, or "" while not realised
}

// EscalationCount is the number and outcomes of one kind of escalation.
type EscalationCount struct {
	Total                                  int
	Upheld, NotUpheld, Settled, InProgress int
}

// reportCase is what the report reads of a case: nothing personal.
type reportCase struct {
	ID               int64        `db:"id"`
	Kind             string       `db:"kind"`
	Location         string       `db:"location"`
	Status           string       `db:"status"`
	ReceivedAt       time.Time    `db:"received_at"`
	DeadlineAt       time.Time    `db:"deadline_at"`
	DeadlineExceeded bool         `db:"deadline_exceeded"`
	DecidedAt        sql.NullTime `db:"decided_at"`
	Verdict          string       `db:"verdict"`
	ReportLine       string       `db:"report_line"`
}

// BuildReport gathers the report of year, for one location or (location "")
// the whole organisation. It returns ErrNoReport for a year without
// complaints and disputes.
func (w *Workflow) BuildReport(ctx context.Context, year int, location string) (*AnnualReport, error) {
	if year < 2000 || year > 9999 {
		return nil, fmt.Errorf("workflow: report: year %d is not a calendar year", year)
	}
	d, err := w.reportData(ctx, year)
	if err != nil {
		return nil, err
	}
	org := w.set.Organisation
	r := &AnnualReport{
		Organisation: org.Name, Language: org.Language, Year: year, Location: location,
		Made: w.clock.Now().In(org.Location), Regulation: strings.TrimSpace(w.set.Report.RegulationSummary),
		Informed: strings.TrimSpace(w.set.Report.HowParentsInformed), ProcedureURL: org.ProcedureURL,
	}
	if r.Regulation == "" {
		r.Missing = append(r.Missing, "report.regulation_summary")
	}
	if r.Informed == "" {
		r.Missing = append(r.Missing, "report.how_parents_informed")
	}
	keep := func(loc string) bool { return location == "" || strings.EqualFold(loc, location) }
	var cases []reportCase
	for _, c := range d.cases {
		if keep(c.Location) {
			cases = append(cases, c)
		}
	}
	for _, e := range d.escalations {
		if keep(e.Location) {
			r.countEscalation(e)
		}
	}
	if len(cases) == 0 && r.Klachtenloket.Total == 0 && r.Geschillencommissie.Total == 0 {
		return nil, ErrNoReport
	}
	now := w.clock.Now()
	r.Total = len(cases)
	for _, c := range cases {
		r.ByMonth[c.ReceivedAt.In(org.Location).Month()-1]++
		if c.Kind == KindCommittee {
			r.Committees++
		} else {
			r.Parents++
		}
		r.Outcome.add(c, now, len(d.measures[c.ID]) > 0)
	}
	r.Categories = categoryCounts(cases, d.categories)
	for _, name := range w.reportLocations(cases, location) {
		r.Locations = append(r.Locations, locationReport(name, cases, d, now))
	}
	return r, nil
}

// add counts one case's course against the six-week term.
func (o *OutcomeCounts) add(c reportCase, now time.Time, measures bool) {
	decided := c.DecidedAt.Valid
	if decided {
		o.Judged++
		if !c.DecidedAt.Time.After(c.DeadlineAt) {
			o.WithinTerm++
		}
		if measures {
			o.WithMeasures++
		}
	}
	open := Case{Status: c.Status}.Open()
	if c.DeadlineExceeded || (decided && c.DecidedAt.Time.After(c.DeadlineAt)) || (open && !now.Before(c.DeadlineAt)) {
		o.PastTerm++
	}
	switch {
	case c.Status == StatusWithdrawn:
		o.Withdrawn++
	case open:
		o.Open++
	}
}

func (v *VerdictCounts) add(c reportCase) {
	if !c.DecidedAt.Valid {
		return
	}
	switch c.Verdict {
	case VerdictUpheld:
		v.Upheld++
	case VerdictPartly:
		v.Partly++
	case VerdictNotUpheld:
		v.NotUpheld++
	default:
		v.Unrecorded++
	}
}

func (r *AnnualReport) countEscalation(e reportEscalation) {
	n := &r.Klachtenloket
	if e.Body == BodyGeschillencommissie {
		n = &r.Geschillencommissie
	} else if e.Body != BodyKlachtenloket {
		return
	}
	n.Total++
	switch e.Outcome {
	case VerdictUpheld:
		n.Upheld++
	case VerdictNotUpheld:
		n.NotUpheld++
	case OutcomeSettlement:
		n.Settled++
	default:
		n.InProgress++
	}
}

// categoryCounts counts complaints per category; a complaint about two
// categories counts in both, one without any counts under "".
func categoryCounts(cases []reportCase, cats map[int64][]string) []CategoryCount {
	byName := map[string]*CategoryCount{}
	var order []string
	for _, c := range cases {
		names := cats[c.ID]
		if len(names) == 0 {
			names = []string{""}
		}
		for _, n := range names {
			cc := byName[n]
			if cc == nil {
				cc = &CategoryCount{Name: n}
				byName[n] = cc
				order = append(order, n)
			}
			cc.Count++
			cc.Verdicts.add(c)
		}
	}
	out := make([]CategoryCount, 0, len(order))
	for _, n := range order {
		cc := *byName[n]
		cc.Detailed = cc.Count >= SmallCount
		if !cc.Detailed {
			cc.Verdicts = VerdictCounts{}
		}
		out = append(out, cc)
	}
	// Most complaints first; the unnamed category last.
	slices.SortStableFunc(out, func(a, b CategoryCount) int {
		if (a.Name == "") != (b.Name == "") {
			if a.Name == "" {
				return 1
			}
			return -1
		}
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// reportLocations are the locations to report on: the configured ones (also
// without complaints, the GGD reads per location), then any other a case
// names, then "" when a case has none.
func (w *Workflow) reportLocations(cases []reportCase, only string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			out = append(out, name)
		}
	}
	if only != "" {
		for _, l := range w.set.Organisation.Locations {
			if strings.EqualFold(l, only) {
				only = l
			}
		}
		return []string{only}
	}
	for _, l := range w.set.Organisation.Locations {
		add(l)
	}
	var others []string
	for _, c := range cases {
		if c.Location != "" && !seen[strings.ToLower(c.Location)] && !slices.Contains(others, c.Location) {
			others = append(others, c.Location)
		}
	}
	slices.Sort(others)
	for _, l := range others {
		add(l)
	}
	for _, c := range cases {
		if c.Location == "" {
			add("")
			break
		}
	}
	return out
}

func locationReport(name string, all []reportCase, d *reportData, now time.Time) LocationReport {
	lr := LocationReport{Name: name}
	var cases []reportCase
	for _, c := range all {
		if strings.EqualFold(c.Location, name) {
			cases = append(cases, c)
		}
	}
	lr.Total = len(cases)
	lr.Detailed = lr.Total >= SmallCount
	if !lr.Detailed {
		return lr // a count only: fewer than three could point to one family
	}
	lr.Categories = categoryCounts(cases, d.categories)
	big := map[string]bool{}
	for _, cc := range lr.Categories {
		big[cc.Name] = cc.Detailed
	}
	for _, c := range cases {
		if c.Kind == KindCommittee {
			lr.Committees++
		} else {
			lr.Parents++
		}
		lr.Verdicts.add(c)
		lr.Outcome.add(c, now, len(d.measures[c.ID]) > 0)
		if line := strings.Join(strings.Fields(c.ReportLine), " "); line != "" {
			lr.ReportLines = append(lr.ReportLines, line)
		}
		var cats []string
		for _, n := range d.categories[c.ID] {
			if big[n] {
				cats = append(cats, n)
			}
		}
		for _, m := range d.measures[c.ID] {
			lr.Measures = append(lr.Measures, MeasureLine{Categories: cats, Due: m.Due, Done: m.Done})
		}
	}
	slices.Sort(lr.ReportLines)
	slices.SortStableFunc(lr.Measures, func(a, b MeasureLine) int { return strings.Compare(a.Due, b.Due) })
	return lr
}
