package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Four eyes on a judgment (complaint-law.md R12, optional): with
// trust.judgment_approval a judgment is held until a second handler, not
// its author, answers #akkoord. Nothing of it reaches the parent before;
// the six weeks keep running.

// PendingJudgment is a judgment waiting for #akkoord.
type PendingJudgment struct {
	CaseID     int64     `db:"case_id"`
	Author     string    `db:"author"` // the handler who wrote it
	Verdict    string    `db:"verdict"`
	Body       string    `db:"body"`
	Measures   string    `db:"measures"` // one per line: YYYY-MM-DD text
	NoMeasures bool      `db:"no_measures"`
	CreatedAt  time.Time `db:"created_at"`
}

// pendingJudgment is the judgment waiting on a case; ok is false when none.
func pendingJudgment(ctx context.Context, db Database, caseID int64) (pj PendingJudgment, ok bool, err error) {
	err = db.Get(ctx, &pj, `SELECT case_id, author, verdict, body, measures, no_measures, created_at
		FROM pending_judgments WHERE case_id = ?`, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return pj, false, nil
	}
	if err != nil {
		return pj, false, fmt.Errorf("workflow: waiting judgment of case %d: %w", caseID, err)
	}
	return pj, true, nil
}

// holdJudgment keeps a checked judgment for #akkoord instead of sending
// it; a new one from any handler replaces the one waiting. The plan then
// sends nothing.
func (w *Workflow) holdJudgment(ctx context.Context, c *Case, h Handler, p *plan) error {
	now := w.clock.Now()
	var lines []string
	for _, m := range p.measures {
		lines = append(lines, m.due.Format(time.DateOnly)+" "+m.text)
	}
	if _, err := w.db.Exec(ctx, `DELETE FROM pending_judgments WHERE case_id = ?`, c.ID); err != nil {
		return fmt.Errorf("workflow: hold judgment of %s: %w", c.Reference, err)
	}
	if _, err := w.db.Exec(ctx, `INSERT INTO pending_judgments (case_id, author, verdict, body, measures, no_measures, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, h.Email, p.rec.verdict, p.body, strings.Join(lines, "\n"), p.noMeasures, now); err != nil {
		return fmt.Errorf("workflow: hold judgment of %s: %w", c.Reference, err)
	}
	if err := addEvent(ctx, w.db, c.ID, now, EventJudgmentHeld, h.Email,
		"judgment ("+p.rec.verdict+") held until a second handler answers #akkoord; not sent to the complainant"); err != nil {
		return err
	}
	p.judgment, p.measures, p.noMeasures, p.body = false, nil, false, ""
	return nil
}

// dropPending discards a judgment that waits, if any, on the timeline.
func (w *Workflow) dropPending(ctx context.Context, c *Case, actor string, now time.Time) error {
	n, err := w.db.Exec(ctx, `DELETE FROM pending_judgments WHERE case_id = ?`, c.ID)
	if err != nil {
		return fmt.Errorf("workflow: drop waiting judgment of %s: %w", c.Reference, err)
	}
	if n == 0 {
		return nil
	}
	return addEvent(ctx, w.db, c.ID, now, EventJudgmentHeld, actor, "the judgment that waited for #akkoord was dropped: the complaint was withdrawn")
}

// planApprove checks an #akkoord line: a judgment waits, and the handler
// who approves it is neither its author nor someone the complaint is about.
func (w *Workflow) planApprove(pc *planning, cmd command) {
	p, c, h, concerns, refuse := pc.p, pc.c, pc.h, pc.concerns, pc.refuse
	pj := pc.rec.Pending
	switch {
	case pj == nil:
		refuse(cmd, w.phrase("refuse.approve_none"))
	case !c.Open():
		refuse(cmd, w.phrase("refuse.judgment_state", w.statusWord(c.Status)))
	case strings.EqualFold(pj.Author, h.Email):
		refuse(cmd, w.phrase("refuse.approve_author"))
	case concerned(concerns, h.Email):
		refuse(cmd, w.phrase("refuse.judge_concerned"))
	case concerned(concerns, pj.Author):
		refuse(cmd, w.phrase("refuse.approve_author_concerned", w.handlerName(pj.Author)))
	default:
		p.rec.approve = pj
		p.applied = append(p.applied, w.phrase("applied.approved", w.handlerName(pj.Author), w.verdictWord(pj.Verdict)))
	}
}

// applyApproval sends the approved judgment, in its author's name, as if
// the author had sent it just now.
func (w *Workflow) applyApproval(ctx context.Context, c *Case, approver Handler, p plan, in Message, view *CommandsView) error {
	pj := p.rec.approve
	if pj == nil {
		return nil
	}
	now := w.clock.Now()
	author, ok := w.set.handler(pj.Author)
	if !ok {
		author = Handler{Name: pj.Author, Email: pj.Author}
	}
	jp := plan{judgment: true, body: pj.Body, noMeasures: pj.NoMeasures}
	for _, l := range strings.Split(pj.Measures, "\n") {
		date, text, _ := strings.Cut(l, " ")
		due, err := time.ParseInLocation(time.DateOnly, date, w.set.Organisation.Location)
		if err != nil {
			continue // only lines we wrote ourselves; an empty list has one empty line
		}
		jp.measures = append(jp.measures, plannedMeasure{due: due, text: text})
	}
	if _, err := w.db.Exec(ctx, `DELETE FROM pending_judgments WHERE case_id = ?`, c.ID); err != nil {
		return fmt.Errorf("workflow: approve judgment of %s: %w", c.Reference, err)
	}
	if _, err := w.db.Exec(ctx, `UPDATE cases SET verdict = ?, updated_at = ? WHERE id = ?`, pj.Verdict, now, c.ID); err != nil {
		return fmt.Errorf("workflow: verdict of %s: %w", c.Reference, err)
	}
	c.Verdict = pj.Verdict
	if err := addEvent(ctx, w.db, c.ID, now, EventJudgmentApproved, approver.Email,
		"judgment of "+author.Email+" approved by "+approver.Email+"; sent to the complainant"); err != nil {
		return err
	}
	sent, err := w.applyPlan(ctx, c, author, jp, in)
	if err != nil {
		return err
	}
	view.Applied = append(view.Applied, sent.Applied...)
	view.Sent = append(view.Sent, sent.Sent...)
	return nil
}
