package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Measure is what a judgment promises, and the date by which it will be
// realised.
type Measure struct {
	ID          int64        `db:"id"`
	CaseID      int64        `db:"case_id"`
	Description string       `db:"description"`
	DueDate     string       `db:"due_date"` // YYYY-MM-DD in the organisation's zone
	CreatedAt   time.Time    `db:"created_at"`
	DoneAt      sql.NullTime `db:"done_at"`
}

func insertMeasure(ctx context.Context, db Database, caseID int64, description string, due time.Time, now time.Time) error {
	if _, err := db.Exec(ctx, `INSERT INTO measures (case_id, description, due_date, created_at) VALUES (?, ?, ?, ?)`,
		caseID, description, due.Format(time.DateOnly), now); err != nil {
		return fmt.Errorf("workflow: measure: %w", err)
	}
	return nil
}

// Measures lists a case's measures by due date.
func (w *Workflow) Measures(ctx context.Context, caseID int64) ([]Measure, error) {
	return caseMeasures(ctx, w.db, caseID)
}

func caseMeasures(ctx context.Context, db Database, caseID int64) ([]Measure, error) {
	var ms []Measure
	if err := db.Select(ctx, &ms, `SELECT id, case_id, description, due_date, created_at, done_at FROM measures
		WHERE case_id = ? ORDER BY due_date, id`, caseID); err != nil {
		return nil, fmt.Errorf("workflow: measures: %w", err)
	}
	return ms, nil
}

// measureViews turns stored measures into what templates show.
// judgmentView is the judgment of c as a letter shows it: its date (now,
// while it is being given) and its measures.
func judgmentView(c *Case, ms []Measure, now time.Time, loc *time.Location) *JudgmentView {
	decided := now
	if c.DecidedAt.Valid {
		decided = c.DecidedAt.Time
	}
	return &JudgmentView{Date: decided.In(loc), Measures: measureViews(ms, loc), NoMeasures: len(ms) == 0, Verdict: c.Verdict}
}

func measureViews(ms []Measure, loc *time.Location) []MeasureView {
	out := make([]MeasureView, 0, len(ms))
	for _, m := range ms {
		due, _ := time.ParseInLocation(time.DateOnly, m.DueDate, loc)
		out = append(out, MeasureView{Description: m.Description, Due: due, Done: m.DoneAt.Valid})
	}
	return out
}

// measuresDone tells the complainant that measures were carried out
// (complaint-law.md 9.5). When none is left open the case is closed, and
// the parent gets the closing letter instead (8.2: measures_in_progress
// becomes closed when all measures are done).
func (w *Workflow) measuresDone(ctx context.Context, c *Case, h Handler, done []Measure, text string, view *CommandsView) error {
	now := w.clock.Now()
	ms, err := caseMeasures(ctx, w.db, c.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ms, func(m Measure) bool { return !m.DoneAt.Valid }) {
		if err := w.closeCase(ctx, c, StatusClosed, h.Email, now); err != nil {
			return err
		}
		if err := w.toComplainant(ctx, c, h, MsgClosed, text, true); err != nil {
			return err
		}
		view.Applied = append(view.Applied, w.phrase("applied.all_done"))
		view.Sent = append(view.Sent, w.phrase("sent.closed"))
		return nil
	}
	loc := w.set.Organisation.Location
	d, err := w.complainantDraft(ctx, c, MsgMeasureDone)
	if err != nil {
		return err
	}
	d.letter.Text, d.letter.Writer = withoutSalutation(text, h.Name), h.Name
	d.letter.Done = measureViews(done, loc)
	d.letter.Judgment = judgmentView(c, ms, now, loc)
	if err := w.queue(ctx, d); err != nil {
		return err
	}
	view.Sent = append(view.Sent, w.phrase("sent.done"))
	return nil
}
