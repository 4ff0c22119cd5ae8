package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/complaintd/complaintd/workflow"
)

// renderCSV writes the report's numbers as rows of year, location, section,
// item and value, for a spreadsheet. Location "" is the whole organisation.
func renderCSV(r *workflow.AnnualReport) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	y := strconv.Itoa(r.Year)
	rows := [][]string{{"year", "location", "section", "item", "value"}}
	add := func(loc, section, item string, value any) {
		rows = append(rows, []string{y, cell(loc), section, cell(item), cell(fmt.Sprint(value))})
	}
	add(r.Location, "total", "complaints", r.Total)
	add(r.Location, "kind", workflow.KindParent, r.Parents)
	add(r.Location, "kind", workflow.KindCommittee, r.Committees)
	for i, n := range r.ByMonth {
		add(r.Location, "month", fmt.Sprintf("%s-%02d", y, i+1), n)
	}
	for _, c := range r.Categories {
		add(r.Location, "category", c.Name, c.Count)
		if c.Detailed {
			verdictRows(add, r.Location, "category_verdict", c.Name+"/", c.Verdicts)
		}
	}
	for _, lr := range r.Locations {
		add(lr.Name, "total", "complaints", lr.Total)
		if !lr.Detailed {
			continue
		}
		add(lr.Name, "kind", workflow.KindParent, lr.Parents)
		add(lr.Name, "kind", workflow.KindCommittee, lr.Committees)
		verdictRows(add, lr.Name, "verdict", "", lr.Verdicts)
		o := lr.Outcome
		for _, kv := range []struct {
			k string
			n int
		}{{"judged", o.Judged}, {"within_term", o.WithinTerm}, {"past_term", o.PastTerm}, {"withdrawn", o.Withdrawn},
			{"open", o.Open}, {"with_measures", o.WithMeasures}} {
			add(lr.Name, "outcome", kv.k, kv.n)
		}
		for _, c := range lr.Categories {
			add(lr.Name, "category", c.Name, c.Count)
		}
		for _, m := range lr.Measures {
			done := m.Done
			if done == "" {
				done = "open"
			}
			add(lr.Name, "measure", strings.Join(m.Categories, "; "), m.Due+" "+done)
		}
		for _, line := range lr.ReportLines {
			add(lr.Name, "report_line", "", line)
		}
	}
	for _, e := range []struct {
		body string
		n    workflow.EscalationCount
	}{{workflow.BodyKlachtenloket, r.Klachtenloket}, {workflow.BodyGeschillencommissie, r.Geschillencommissie}} {
		add(r.Location, e.body, "total", e.n.Total)
		add(r.Location, e.body, workflow.VerdictUpheld, e.n.Upheld)
		add(r.Location, e.body, workflow.VerdictNotUpheld, e.n.NotUpheld)
		add(r.Location, e.body, workflow.OutcomeSettlement, e.n.Settled)
		add(r.Location, e.body, "in_progress", e.n.InProgress)
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, fmt.Errorf("report: csv: %w", err)
	}
	return b.Bytes(), nil
}

func verdictRows(add func(loc, section, item string, value any), loc, section, prefix string, v workflow.VerdictCounts) {
	add(loc, section, prefix+workflow.VerdictUpheld, v.Upheld)
	add(loc, section, prefix+workflow.VerdictPartly, v.Partly)
	add(loc, section, prefix+workflow.VerdictNotUpheld, v.NotUpheld)
	if v.Unrecorded > 0 {
		add(loc, section, prefix+"unrecorded", v.Unrecorded)
	}
}

// cell keeps a spreadsheet from reading text as a formula (a report line
// that starts with "=" stays text).
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
