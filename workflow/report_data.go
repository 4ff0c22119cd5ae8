package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// reportData is everything the report of a year reads, all of it free of
// personal data: see reportCase.
type reportData struct {
	cases       []reportCase
	categories  map[int64][]string
	measures    map[int64][]reportMeasure
	escalations []reportEscalation
}

type reportMeasure struct {
	Due  string // YYYY-MM-DD
	Done string // YYYY-MM-DD or ""
}

type reportEscalation struct {
	Body     string `db:"body"`
	Outcome  string `db:"outcome"`
	Location string `db:"location"`
}

// reportData reads the complaints received in year (in the organisation's
// zone) and the escalations filed in it.
func (w *Workflow) reportData(ctx context.Context, year int) (*reportData, error) {
	loc := w.set.Organisation.Location
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc).UTC()
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc).UTC()
	d := &reportData{categories: map[int64][]string{}, measures: map[int64][]reportMeasure{}}
	if err := w.db.Select(ctx, &d.cases, `SELECT id, kind, location, status, received_at, deadline_at, deadline_exceeded,
		decided_at, verdict, report_line FROM cases WHERE received_at >= ? AND received_at < ? ORDER BY id`, from, to); err != nil {
		return nil, fmt.Errorf("workflow: report %d: %w", year, err)
	}
	var cats []struct {
		CaseID   int64  `db:"case_id"`
		Category string `db:"category"`
	}
	if err := w.db.Select(ctx, &cats, `SELECT k.case_id, k.category FROM case_categories k JOIN cases c ON c.id = k.case_id
		WHERE c.received_at >= ? AND c.received_at < ? ORDER BY k.case_id, k.category`, from, to); err != nil {
		return nil, fmt.Errorf("workflow: report %d categories: %w", year, err)
	}
	for _, k := range cats {
		d.categories[k.CaseID] = append(d.categories[k.CaseID], k.Category)
	}
	var ms []struct {
		CaseID int64        `db:"case_id"`
		Due    string       `db:"due_date"`
		DoneAt sql.NullTime `db:"done_at"`
	}
	if err := w.db.Select(ctx, &ms, `SELECT m.case_id, m.due_date, m.done_at FROM measures m JOIN cases c ON c.id = m.case_id
		WHERE c.received_at >= ? AND c.received_at < ? ORDER BY m.case_id, m.due_date, m.id`, from, to); err != nil {
		return nil, fmt.Errorf("workflow: report %d measures: %w", year, err)
	}
	for _, m := range ms {
		rm := reportMeasure{Due: m.Due}
		if m.DoneAt.Valid {
			rm.Done = m.DoneAt.Time.In(loc).Format(time.DateOnly)
		}
		d.measures[m.CaseID] = append(d.measures[m.CaseID], rm)
	}
	// Escalation dates are YYYY-MM-DD text, so the year is a text range.
	if err := w.db.Select(ctx, &d.escalations, `SELECT e.body, e.outcome, c.location FROM escalations e JOIN cases c ON c.id = e.case_id
		WHERE e.filed_on >= ? AND e.filed_on < ? ORDER BY e.id`, strconv.Itoa(year)+"-01-01", strconv.Itoa(year+1)+"-01-01"); err != nil {
		return nil, fmt.Errorf("workflow: report %d escalations: %w", year, err)
	}
	return d, nil
}
