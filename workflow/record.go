package workflow

import (
	"context"
	"fmt"
	"strings"
)

// The record the law asks for (issue 13), kept by handlers' commands: the
// verdict of a judgment, the categories, external escalations, the line for
// the annual report, who the complaint is about and the second pair of eyes
// on a judgment. This file checks (for their entries in command_table.go)
// and applies those commands; each concern has its own file (verdict.go, categories.go, escalations.go,
// independence.go, approval.go).

// recordPlan is what the record's commands will change.
type recordPlan struct {
	verdict     string
	categories  []string
	escalations []plannedEscalation
	outcome     *plannedOutcome
	reportLine  string
	concerns    []Concern
	unassign    bool             // the assigned handler is named in #betreft
	hold        bool             // the judgment waits for #akkoord
	approve     *PendingJudgment // the judgment #akkoord sends
}

// CaseRecord is what a case's record holds besides its columns.
type CaseRecord struct {
	Categories  []string
	Escalations []EscalationEntry
	Concerns    []Concern
	Pending     *PendingJudgment // a judgment waiting for #akkoord
}

// CaseRecord reads the record of a case, for `cases show` and the commands.
func (w *Workflow) CaseRecord(ctx context.Context, caseID int64) (CaseRecord, error) {
	var r CaseRecord
	var err error
	if r.Categories, err = caseCategories(ctx, w.db, caseID); err != nil {
		return r, err
	}
	if r.Escalations, err = caseEscalations(ctx, w.db, caseID); err != nil {
		return r, err
	}
	if r.Concerns, err = caseConcerns(ctx, w.db, caseID); err != nil {
		return r, err
	}
	pj, ok, err := pendingJudgment(ctx, w.db, caseID)
	if ok {
		r.Pending = &pj
	}
	return r, err
}

func checkCategory(w *Workflow, pc *planning, cmd command) {
	cat, err := findCategory(w.set.Report.Categories, cmd.arg)
	if err != nil {
		pc.refuse(cmd, w.phrase("refuse.category", cmd.arg, strings.Join(w.set.Report.Categories, ", ")))
		return
	}
	pc.p.rec.categories = append(pc.p.rec.categories, cat)
	pc.confirm(w.phrase("applied.category", cat))
}

func checkEscalation(w *Workflow, pc *planning, cmd command) {
	e, why := w.planEscalation(cmd, pc.today)
	if why != "" {
		pc.refuse(cmd, why)
		return
	}
	pc.p.rec.escalations = append(pc.p.rec.escalations, e)
	pc.confirm(w.phrase("applied.escalation_"+e.body, e.filed))
}

func checkOutcome(w *Workflow, pc *planning, cmd command) {
	o, why := w.planOutcome(cmd, pc.rec.Escalations, pc.today)
	if why != "" {
		pc.refuse(cmd, why)
		return
	}
	pc.p.rec.outcome = &o
	pc.confirm(w.phrase("applied.outcome_"+o.e.Body, w.phrase("outcome."+o.outcome), o.on))
}

func checkReportLine(w *Workflow, pc *planning, cmd command) {
	if cmd.arg == "" {
		pc.refuse(cmd, w.phrase("refuse.report_line"))
		return
	}
	pc.p.rec.reportLine = cmd.arg
	pc.confirm(w.phrase("applied.report_line", cmd.arg))
}

// checkConcerns records who the complaint is about; the handler it is
// assigned to is no longer, unless the message assigns it.
func checkConcerns(w *Workflow, pc *planning, cmd command) {
	cn, ok := w.concernFor(cmd.arg)
	if !ok {
		pc.refuse(cmd, w.phrase("refuse.concerns"))
		return
	}
	pc.p.rec.concerns = append(pc.p.rec.concerns, cn)
	pc.concerns = append(pc.concerns, cn)
	pc.confirm(w.phrase("applied.concerns", cn.Name))
	if cn.Email != "" && strings.EqualFold(cn.Email, pc.c.Assignee) && pc.p.assign == nil {
		pc.p.rec.unassign = true
		pc.confirm(w.phrase("applied.unassigned", cn.Name))
	}
}

// checkVerdict: what the record asks of a judgment (planVerdict).
func checkVerdict(w *Workflow, pc *planning, j command) {
	if pc.p.judgment {
		w.planVerdict(pc.p, pc.c, pc.h, pc.rec, pc.concerns, j, pc.refuse)
	}
}

// checkApproveAlone: #akkoord sends a judgment of its own, so it never
// goes with another command that ends a stage of the case.
func checkApproveAlone(w *Workflow, pc *planning, a command) {
	for _, cmd := range w.commands().ending(pc.seen) {
		pc.refuse(a, w.phrase("refuse.ends", a.line, cmd.line))
	}
}

// planVerdict checks what a judgment needs besides its measures: the
// verdict on its line, a category, a judge the complaint is not about; and
// holds it for #akkoord when four eyes are configured.
func (w *Workflow) planVerdict(p *plan, c *Case, h Handler, rec CaseRecord, concerns []Concern, j command, refuse func(command, string)) {
	v, ok := parseVerdict(j.arg)
	switch {
	case j.arg == "":
		refuse(j, w.phrase("refuse.verdict_missing"))
	case !ok:
		refuse(j, w.phrase("refuse.verdict", j.arg))
	}
	if len(rec.Categories) == 0 && len(p.rec.categories) == 0 {
		refuse(j, w.phrase("refuse.judgment_category", strings.Join(w.set.Report.Categories, ", ")))
	}
	if concerned(concerns, h.Email) {
		refuse(j, w.phrase("refuse.judge_concerned"))
	}
	if !ok {
		return
	}
	p.rec.verdict = v
	n := w.measureCount(len(p.measures))
	if p.noMeasures {
		n = w.phrase("count.none")
	}
	sent := w.phrase("applied.judgment", n)
	p.rec.hold = w.set.Trust.JudgmentApproval
	for i, a := range p.applied {
		switch {
		case a != sent:
		case p.rec.hold:
			p.applied[i] = w.phrase("applied.held", w.verdictWord(v), n)
		default:
			p.applied[i] = w.phrase("applied.judgment_verdict", w.verdictWord(v), n)
		}
	}
}

// applyRecord writes what the record's commands changed; it runs before
// applyPlan, so a judgment sent by it carries its verdict.
func (w *Workflow) applyRecord(ctx context.Context, c *Case, h Handler, p *plan) error {
	now := w.clock.Now()
	for _, cat := range p.rec.categories {
		if err := addCategory(ctx, w.db, c.ID, cat, h.Email, now); err != nil {
			return err
		}
	}
	for _, e := range p.rec.escalations {
		if err := w.addEscalation(ctx, c, e, h.Email, now); err != nil {
			return err
		}
	}
	if p.rec.outcome != nil {
		if err := w.setOutcome(ctx, c, *p.rec.outcome, h.Email, now); err != nil {
			return err
		}
	}
	if p.rec.reportLine != "" {
		if _, err := w.db.Exec(ctx, `UPDATE cases SET report_line = ?, updated_at = ? WHERE id = ?`, p.rec.reportLine, now, c.ID); err != nil {
			return fmt.Errorf("workflow: report line of %s: %w", c.Reference, err)
		}
		c.ReportLine = p.rec.reportLine
		if err := addEvent(ctx, w.db, c.ID, now, EventReportLine, h.Email, p.rec.reportLine); err != nil {
			return err
		}
	}
	for _, cn := range p.rec.concerns {
		if err := addConcern(ctx, w.db, c.ID, cn, h.Email, now); err != nil {
			return err
		}
	}
	if p.rec.unassign {
		if err := setCaseField(ctx, w.db, c, "assignee", "", h.Email, now); err != nil {
			return err
		}
		c.Assignee = ""
	}
	if p.rec.hold {
		return w.holdJudgment(ctx, c, h, p)
	}
	if p.withdrawn {
		// A withdrawn complaint gets no judgment: one waiting is dropped.
		if err := w.dropPending(ctx, c, h.Email, now); err != nil {
			return err
		}
	}
	if p.rec.verdict != "" && p.judgment {
		if _, err := w.db.Exec(ctx, `UPDATE cases SET verdict = ?, updated_at = ? WHERE id = ?`, p.rec.verdict, now, c.ID); err != nil {
			return fmt.Errorf("workflow: verdict of %s: %w", c.Reference, err)
		}
		c.Verdict = p.rec.verdict
	}
	return nil
}

// Event kinds of the record on a case's timeline.
const (
	EventCategory         = "category"          // #categorie
	EventEscalation       = "escalation"        // #klachtenloket, #geschillencommissie, #uitspraak
	EventReportLine       = "report_line"       // #verslag
	EventConcerns         = "concerns"          // #betreft
	EventJudgmentHeld     = "judgment_held"     // a judgment waits for #akkoord
	EventJudgmentApproved = "judgment_approved" // #akkoord sent it
)

// RecordView is what the record asks of, or suggests to, a handler in a
// message: a category still missing, who a new complaint may be about, a
// judgment waiting for their #akkoord.
type RecordView struct {
	// NeedCategory: the case has no category yet; Categories are the ones
	// to choose from.
	NeedCategory bool
	Categories   []string
	// Suggest are handlers the parent's text names ("Name <address>"),
	// with the line that records it.
	Suggest []Suggestion
	// Waiting is the judgment that waits for a second handler's #akkoord.
	Waiting *PendingView
}

// Suggestion is a handler a new complaint may be about.
type Suggestion struct {
	Name, Email string
}

// PendingView is a judgment waiting for #akkoord.
type PendingView struct {
	Author  string // the author's name
	Verdict string
}

// askApproval adds to the other handlers' copies of a judgment that waits
// that it needs their #akkoord.
func (w *Workflow) askApproval(notes []draft, c *Case, h Handler, p plan) {
	if !p.rec.hold {
		return
	}
	for i := range notes {
		notes[i].letter.Record = &RecordView{Waiting: &PendingView{Author: h.Name, Verdict: p.rec.verdict}}
	}
}

// suggestConcerns adds to the handlers' notifications of a new complaint
// the handlers its text names (handlersNamedAbout), to record with #betreft.
func (w *Workflow) suggestConcerns(notes []draft, named []Handler) {
	if len(named) == 0 {
		return
	}
	var s []Suggestion
	for _, h := range named {
		s = append(s, Suggestion{Name: h.Name, Email: h.Email})
	}
	for i := range notes {
		notes[i].letter.Record = &RecordView{Suggest: s}
	}
}

// askCategory adds to reminders that the case still needs a category, and
// that a judgment waits for #akkoord.
func (w *Workflow) askCategory(ctx context.Context, drafts []draft, c *Case) error {
	rec, err := w.CaseRecord(ctx, c.ID)
	if err != nil {
		return err
	}
	var v RecordView
	if len(rec.Categories) == 0 {
		v.NeedCategory, v.Categories = true, w.set.Report.Categories
	}
	if pj := rec.Pending; pj != nil {
		v.Waiting = &PendingView{Author: w.handlerName(pj.Author), Verdict: pj.Verdict}
	}
	if !v.NeedCategory && v.Waiting == nil {
		return nil
	}
	for i := range drafts {
		drafts[i].letter.Record = &v
	}
	return nil
}
