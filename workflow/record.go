package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The record the law asks for (issue 13), kept by handlers' commands: the
// verdict of a judgment, the categories, external escalations, the line for
// the annual report, who the complaint is about and the second pair of eyes
// on a judgment. This file checks and applies those commands; each concern
// has its own file (verdict.go, categories.go, escalations.go,
// independence.go, approval.go).

// Command names of the record.
const (
	cmdCategory      = "categorie"
	cmdKlachtenloket = "klachtenloket"
	cmdGeschillen    = "geschillencommissie"
	cmdOutcome       = "uitspraak"
	cmdReportLine    = "verslag"
	cmdConcerns      = "betreft"
	cmdApprove       = "akkoord"
)

// recordCommandName maps what a handler may write after '#' to one of the
// record's commands.
func recordCommandName(word string) (string, bool) {
	switch dashed(word) {
	case "categorie", "category", "categorieen":
		return cmdCategory, true
	case "klachtenloket", "complaints-desk":
		return cmdKlachtenloket, true
	case "geschillencommissie", "disputes-committee":
		return cmdGeschillen, true
	case "uitspraak", "ruling", "outcome":
		return cmdOutcome, true
	case "verslag", "report", "report-line", "jaarverslag":
		return cmdReportLine, true
	case "betreft", "concerns", "about":
		return cmdConcerns, true
	case "akkoord", "approve", "approved":
		return cmdApprove, true
	}
	return "", false
}

// repeatable commands may be given more than once in one message.
func repeatable(name string) bool {
	switch name {
	case cmdMeasure, cmdDone, cmdCategory, cmdConcerns, "":
		return true
	}
	return false
}

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

// planRecord checks the record's command lines, and what the record asks of
// a judgment: a verdict, a category, a judge the complaint is not about.
// It runs after planCommands, on the same plan.
func (w *Workflow) planRecord(p *plan, c *Case, h Handler, rec CaseRecord, cmds []command, today time.Time) {
	refuse := func(cmd command, why string) {
		p.refused = append(p.refused, Refusal{Line: cmd.line, Why: why})
	}
	concerns := append([]Concern(nil), rec.Concerns...)
	seen := map[string]command{}
	for _, cmd := range cmds {
		if _, ok := seen[cmd.name]; !ok {
			seen[cmd.name] = cmd
		}
		switch cmd.name {
		case cmdCategory:
			cat, err := findCategory(w.set.Report.Categories, cmd.arg)
			if err != nil {
				refuse(cmd, w.phrase("refuse.category", cmd.arg, strings.Join(w.set.Report.Categories, ", ")))
				continue
			}
			p.rec.categories = append(p.rec.categories, cat)
			p.applied = append(p.applied, w.phrase("applied.category", cat))
		case cmdKlachtenloket, cmdGeschillen:
			e, why := w.planEscalation(cmd, today)
			if why != "" {
				refuse(cmd, why)
				continue
			}
			p.rec.escalations = append(p.rec.escalations, e)
			p.applied = append(p.applied, w.phrase("applied.escalation_"+e.body, e.filed))
		case cmdOutcome:
			o, why := w.planOutcome(cmd, rec.Escalations, today)
			if why != "" {
				refuse(cmd, why)
				continue
			}
			p.rec.outcome = &o
			p.applied = append(p.applied, w.phrase("applied.outcome_"+o.e.Body, w.phrase("outcome."+o.outcome), o.on))
		case cmdReportLine:
			if cmd.arg == "" {
				refuse(cmd, w.phrase("refuse.report_line"))
				continue
			}
			p.rec.reportLine = cmd.arg
			p.applied = append(p.applied, w.phrase("applied.report_line", cmd.arg))
		case cmdConcerns:
			cn, ok := w.concernFor(cmd.arg)
			if !ok {
				refuse(cmd, w.phrase("refuse.concerns"))
				continue
			}
			p.rec.concerns = append(p.rec.concerns, cn)
			concerns = append(concerns, cn)
			p.applied = append(p.applied, w.phrase("applied.concerns", cn.Name))
			if cn.Email != "" && strings.EqualFold(cn.Email, c.Assignee) && p.assign == nil {
				p.rec.unassign = true
				p.applied = append(p.applied, w.phrase("applied.unassigned", cn.Name))
			}
		case cmdApprove:
			w.planApprove(p, c, h, rec, concerns, cmd, refuse)
		}
	}
	if p.assign != nil && concerned(concerns, p.assign.Email) {
		refuse(seen[cmdAssign], w.phrase("refuse.assign_concerned", p.assign.Name))
	}
	if j, ok := seen[cmdJudgment]; ok && p.judgment {
		w.planVerdict(p, c, h, rec, concerns, j, refuse)
	}
	if a, ok := seen[cmdApprove]; ok {
		for _, n := range []string{cmdJudgment, cmdWithdrawn, cmdClose} {
			if _, both := seen[n]; both {
				refuse(a, w.phrase("refuse.ends", a.line, seen[n].line))
			}
		}
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
// the handlers its text names, to record with #betreft.
func (w *Workflow) suggestConcerns(notes []draft, text string) {
	named := w.handlersNamed(text)
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
