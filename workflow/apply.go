package workflow

import (
	"context"
	"fmt"
	"time"
)

// Carrying out a handler's checked commands. The built-in commands' checks
// set the plan's fields (command_table.go); applyRecord (record.go) and
// applyPlan carry them out in the case's fixed order, the order of its
// timeline: the record first, then the case's fields and measures, then
// what goes to the parent. An approved judgment goes through applyPlan
// too (approval.go). A command whose entry has an apply of its own runs
// last (applyEntries).

// applyEntries carries out the lines of commands whose entry has an
// effect of its own (commandSpec.apply), in the order of the message.
func (w *Workflow) applyEntries(ctx context.Context, c *Case, h Handler, p plan, view *CommandsView) error {
	t := w.commands()
	a := &applying{c: c, h: h, view: view, now: w.clock.Now()}
	for _, cmd := range p.lines {
		if s := t.spec(cmd.name); s != nil && s.apply != nil {
			if err := s.apply(w, ctx, a, cmd); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyPlan carries out the checked built-in commands, in the case's
// fixed order: what the plan's fields say.
func (w *Workflow) applyPlan(ctx context.Context, c *Case, h Handler, p plan, in Message) (*CommandsView, error) {
	now := w.clock.Now()
	view := &CommandsView{Applied: p.applied}
	if p.assign != nil {
		if err := setCaseField(ctx, w.db, c, "assignee", p.assign.Email, h.Email, now); err != nil {
			return nil, err
		}
		c.Assignee = p.assign.Email
	}
	if p.location != "" {
		if err := setCaseField(ctx, w.db, c, "location", p.location, h.Email, now); err != nil {
			return nil, err
		}
		c.Location = p.location
	}
	if err := w.applySafeguard(ctx, c, h, p); err != nil {
		return nil, err
	}
	if p.reachable {
		if err := clearUnreachable(ctx, w.db, c, h.Email, h.Name+" says the complainant can be reached by email again (#bereikbaar)", now); err != nil {
			return nil, err
		}
	}
	if p.status != "" {
		if err := setStatus(ctx, w.db, c, p.status, h.Email, now); err != nil {
			return nil, err
		}
	}
	var added []MeasureView
	for _, m := range p.measures {
		if err := insertMeasure(ctx, w.db, c.ID, m.text, m.due, now); err != nil {
			return nil, err
		}
		if !p.judgment {
			added = append(added, MeasureView{Description: m.text, Due: m.due})
		}
	}
	for _, m := range p.done {
		if _, err := w.db.Exec(ctx, `UPDATE measures SET done_at = ? WHERE id = ? AND done_at IS NULL`, now, m.ID); err != nil {
			return nil, fmt.Errorf("workflow: measure %d done: %w", m.ID, err)
		}
	}
	for _, mv := range p.moves {
		if _, err := w.db.Exec(ctx, `UPDATE measures SET due_date = ? WHERE id = ?`, mv.due.Format(time.DateOnly), mv.m.ID); err != nil {
			return nil, fmt.Errorf("workflow: measure %d: %w", mv.m.ID, err)
		}
	}
	ends := p.judgment || p.withdrawn || p.close
	toParent := len(p.moves) > 0 || len(added) > 0 || len(p.done) > 0
	if p.body != "" && !ends && !toParent {
		// Only a judgment, a withdrawal or a closing sends its text to the
		// parent; text under other commands stays inside, said so in the
		// confirmation, so staff chatter never reaches a parent by accident.
		view.NoteKept = !p.internal
		if view.NoteKept {
			view.Applied = append(view.Applied, w.phrase("applied.note_kept"))
		}
		if err := addEvent(ctx, w.db, c.ID, now, EventNote, h.Email, p.body); err != nil {
			return nil, err
		}
	}
	if !ends && p.status == "" && (c.Status == StatusReceived || c.Status == StatusAcknowledged) {
		if err := setStatus(ctx, w.db, c, StatusInProgress, h.Email, now); err != nil {
			return nil, err
		}
	}
	if len(p.moves) > 0 || len(added) > 0 {
		if err := w.measuresMoved(ctx, c, h, p.moves, added, p.body); err != nil {
			return nil, err
		}
		if len(p.moves) > 0 {
			view.Sent = append(view.Sent, w.phrase("sent.moved"))
		}
		if len(added) > 0 {
			view.Sent = append(view.Sent, w.phrase("sent.added"))
		}
	}
	if len(p.done) > 0 {
		if err := w.measuresDone(ctx, c, h, p.done, p.body, view); err != nil {
			return nil, err
		}
	}
	switch {
	case p.judgment:
		if c.Assignee == "" {
			// Whoever decides an unassigned case handles it from now on: the
			// judgment names them, and reminders and questions reach them.
			if err := setCaseField(ctx, w.db, c, "assignee", h.Email, h.Email, now); err != nil {
				return nil, err
			}
			c.Assignee = h.Email
			view.Applied = append(view.Applied, w.phrase("applied.assign_self"))
		}
		if _, err := w.db.Exec(ctx, `UPDATE cases SET decided_at = ?, updated_at = ? WHERE id = ?`, now, now, c.ID); err != nil {
			return nil, fmt.Errorf("workflow: judgment: %w", err)
		}
		if err := setStatus(ctx, w.db, c, StatusDecided, h.Email, now); err != nil {
			return nil, err
		}
		if err := w.toComplainantFiles(ctx, c, h, MsgJudgment, p.body, true, in, view); err != nil {
			return nil, err
		}
		view.Sent = append(view.Sent, w.phrase("sent.judgment"))
	case p.withdrawn:
		if err := w.closeCase(ctx, c, StatusWithdrawn, h.Email, now); err != nil {
			return nil, err
		}
		if err := w.toComplainantFiles(ctx, c, h, MsgWithdrawn, p.body, false, in, view); err != nil {
			return nil, err
		}
		view.Sent = append(view.Sent, w.phrase("sent.withdrawn"))
	case p.close:
		if _, err := w.db.Exec(ctx, `UPDATE measures SET done_at = ? WHERE case_id = ? AND done_at IS NULL`, now, c.ID); err != nil {
			return nil, fmt.Errorf("workflow: close: %w", err)
		}
		if err := w.closeCase(ctx, c, StatusClosed, h.Email, now); err != nil {
			return nil, err
		}
		if err := w.toComplainantFiles(ctx, c, h, MsgClosed, p.body, true, in, view); err != nil {
			return nil, err
		}
		view.Sent = append(view.Sent, w.phrase("sent.closed"))
	}
	return view, nil
}

// closeCase ends a case: withdrawn or closed.
func (w *Workflow) closeCase(ctx context.Context, c *Case, status, actor string, now time.Time) error {
	if _, err := w.db.Exec(ctx, `UPDATE cases SET closed_at = ?, updated_at = ? WHERE id = ?`, now, now, c.ID); err != nil {
		return fmt.Errorf("workflow: close %s: %w", c.Reference, err)
	}
	return setStatus(ctx, w.db, c, status, actor, now)
}
