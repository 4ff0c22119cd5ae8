package workflow

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// onHandler handles a message whose From is a handler's address. Only a
// verified one acts as the handler; anything else is treated as a message
// from outside, flagged, and the real handler is told.
func (w *Workflow) onHandler(ctx context.Context, a *arrival, cm caseMatch, h Handler) (result, error) {
	v, err := w.verifyHandler(ctx, a.mail, h, cm)
	if err != nil {
		return result{}, err
	}
	if !v.verified {
		return w.onSpoofed(ctx, a, cm, h, v.how, v.told)
	}
	if cm.c == nil {
		return result{ignored: "a handler's message that names no case; asked which case it is about"}, w.askWhichCase(ctx, h, a)
	}
	if err := w.noteForged(ctx, cm.c, cm.forged, h.Email); err != nil {
		return result{}, err
	}
	return result{caseID: cm.c.ID}, w.onHandlerReply(ctx, cm.c, a, h, v.how)
}

// onHandlerReply acts on a verified handler's message on a case: without
// command lines it is relayed to the complainant; with them, the commands
// are applied all together or, if any line is wrong, not at all.
func (w *Workflow) onHandlerReply(ctx context.Context, c *Case, a *arrival, h Handler, how string) error {
	in, err := w.recordInbound(ctx, c, a, MsgHandlerReply)
	if err != nil {
		return err
	}
	cmds, body := w.commands().parse(in.NewText)
	body, cut, err := w.cutOurQuote(ctx, c, h.Email, body)
	if err != nil {
		return err
	}
	if cut {
		w.log.Warn("a handler's message quoted our mail in a shape not recognised; the quote was left out", "case", c.Reference, "handler", h.Email)
	}
	if len(cmds) == 0 {
		return w.relay(ctx, c, a, h, in, body)
	}
	now := w.clock.Now()
	loc := w.set.Organisation.Location
	y, m, d := now.In(loc).Date()
	var open []Measure
	if c.Status == StatusDecided {
		ms, err := caseMeasures(ctx, w.db, c.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if !m.DoneAt.Valid {
				open = append(open, m)
			}
		}
	}
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	p := w.planCommands(c, open, cmds, body, today)
	rec, err := w.CaseRecord(ctx, c.ID)
	if err != nil {
		return err
	}
	w.planRecord(&p, c, h, rec, cmds, today)
	if len(p.refused) > 0 {
		var lines []string
		for _, r := range p.refused {
			lines = append(lines, r.Line+": "+r.Why)
		}
		if err := addEvent(ctx, w.db, c.ID, now, EventCommandsRefused, h.Email, strings.Join(lines, "\n")); err != nil {
			return err
		}
		return w.commandResult(ctx, c, h, in, &CommandsView{Refused: p.refused})
	}
	for _, cmd := range cmds {
		if err := addEvent(ctx, w.db, c.ID, now, EventCommand, h.Email, cmd.line+" (verified by "+how+")"); err != nil {
			return err
		}
	}
	if err := w.applyRecord(ctx, c, h, &p); err != nil {
		return err
	}
	view, err := w.applyPlan(ctx, c, h, p, in)
	if err != nil {
		return err
	}
	if err := w.applyApproval(ctx, c, h, p, in, view); err != nil {
		return err
	}
	if err := w.applyEntries(ctx, c, h, p, view); err != nil {
		return err
	}
	if err := w.commandResult(ctx, c, h, in, view); err != nil {
		return err
	}
	// The other handlers see what was done, as they see every message.
	notes, err := w.handlerNotes(ctx, c, MsgCaseReply, a, in, h.Email, nil)
	if err != nil {
		return err
	}
	w.askApproval(notes, c, h, p)
	return w.queue(ctx, notes...)
}

// relay sends a handler's answer to the complainant, as a message from the
// organisation in the complainant's thread, and records it as a progress
// update. Quoted history from the handler's mail client is not relayed.
func (w *Workflow) relay(ctx context.Context, c *Case, a *arrival, h Handler, in Message, body string) error {
	now := w.clock.Now()
	if body == "" {
		// Nothing above the quote: an empty reply, or one written below the
		// quoted notification, which is never relayed. The handler is told.
		if err := addEvent(ctx, w.db, c.ID, now, EventRelay, h.Email,
			"not relayed: the answer held no new text above the quoted message; the handler was told"); err != nil {
			return err
		}
		return w.commandResult(ctx, c, h, in, &CommandsView{EmptyAnswer: true})
	}
	view := &CommandsView{Relayed: true}
	if err := w.toComplainantFiles(ctx, c, h, MsgRelay, body, false, in, view); err != nil {
		return err
	}
	if len(view.Files) > 0 {
		// The handler learns which of their files reached the parent.
		if err := w.commandResult(ctx, c, h, in, view); err != nil {
			return err
		}
	}
	if err := addEvent(ctx, w.db, c.ID, now, EventRelay, h.Email, "answer of "+h.Name+" sent to the complainant"); err != nil {
		return err
	}
	if c.Status == StatusReceived || c.Status == StatusAcknowledged {
		if err := setStatus(ctx, w.db, c, StatusInProgress, h.Email, now); err != nil {
			return err
		}
	}
	notes, err := w.handlerNotes(ctx, c, MsgCaseReply, a, in, h.Email, nil)
	if err != nil {
		return err
	}
	return w.queue(ctx, notes...)
}

// toComplainant sends the complainant a message with a handler's words,
// in their thread, with their reply token. Such mail was written by a
// person: it is not automatic and never held back by the loop breaker.
func (w *Workflow) toComplainant(ctx context.Context, c *Case, h Handler, kind, text string, withJudgment bool) error {
	return w.toComplainantFiles(ctx, c, h, kind, text, withJudgment, Message{}, nil)
}

// toComplainantFiles is toComplainant with the handler's files of message
// in attached (see passOn), listed in view for the handler.
func (w *Workflow) toComplainantFiles(ctx context.Context, c *Case, h Handler, kind, text string, withJudgment bool, in Message, view *CommandsView) error {
	now := w.clock.Now()
	loc := w.set.Organisation.Location
	d, err := w.complainantDraft(ctx, c, kind)
	if err != nil {
		return err
	}
	d.letter.Text, d.letter.Writer = withoutSalutation(text, h.Name), h.Name
	if withJudgment {
		ms, err := caseMeasures(ctx, w.db, c.ID)
		if err != nil {
			return err
		}
		d.letter.Judgment = judgmentView(c, ms, now, loc)
	}
	files, notes, err := w.handlerFiles(ctx, in)
	if err != nil {
		return err
	}
	d.files = files
	if view != nil {
		view.Files = notes
	}
	return w.queue(ctx, d)
}

// complainantDraft drafts a message to the complainant of c: in their
// thread (answering our last message to them), with their reply token.
func (w *Workflow) complainantDraft(ctx context.Context, c *Case, kind string) (draft, error) {
	now := w.clock.Now()
	partID, err := addParticipant(ctx, w.db, c.ID, RoleComplainant, c.ComplainantEmail, c.ComplainantName, now)
	if err != nil {
		return draft{}, err
	}
	l := w.letter(c, c.ComplainantName)
	l.At = now.In(w.set.Organisation.Location)
	d := draft{
		c: c, partID: partID, kind: kind, template: kind, lang: c.Language,
		to: &mail.Address{Name: c.ComplainantName, Address: c.ComplainantEmail}, letter: l,
	}
	// Our last message to them, never their own last message: that can be
	// an out-of-office reply, which their client may not even show.
	last, ok, err := lastSentTo(ctx, w.db, c.ID, c.ComplainantEmail)
	if err == nil && !ok {
		last, ok, err = lastInThread(ctx, w.db, c.ID, c.ComplainantEmail)
	}
	if err != nil {
		return d, err
	}
	if ok {
		d.inReplyTo, d.refs = last.MessageID, strings.Fields(last.Refs)
	}
	return d, nil
}

// commandResult confirms or refuses a handler's commands, in reply to them.
func (w *Workflow) commandResult(ctx context.Context, c *Case, h Handler, in Message, view *CommandsView) error {
	ids, err := w.handlerParticipants(ctx, c)
	if err != nil {
		return err
	}
	l := w.letter(c, h.Name)
	l.Commands = view
	return w.queue(ctx, draft{
		c: c, partID: ids[h.Email], kind: MsgCommandResult, template: MsgCommandResult, lang: w.set.Organisation.Language,
		to: &mail.Address{Name: h.Name, Address: h.Email}, letter: l, auto: autoReplied,
		inReplyTo: in.MessageID, refs: strings.Fields(in.Refs),
	})
}

// onSpoofed handles a message in a handler's name that failed verification:
// nothing it asks is done. On a case it is kept as a message from outside
// and flagged; the real handler is told by email either way, with told:
// why, in the organisation's language (why is the same for the log).
func (w *Workflow) onSpoofed(ctx context.Context, a *arrival, cm caseMatch, h Handler, why, told string) (result, error) {
	now := w.clock.Now()
	w.log.Warn("unverified message in a handler's name", "handler", h.Email, "why", why)
	l := Letter{Org: w.set.Organisation, To: h.Name}
	res := result{ignored: "an unverified message in the name of handler " + h.Email + " (" + why + ")"}
	if cm.c != nil {
		l = w.letter(cm.c, h.Name)
		res = result{caseID: cm.c.ID}
	}
	l.Spoof = &SpoofView{Claimed: h.Email, At: a.InternalDate.In(w.set.Organisation.Location), Subject: a.mail.Subject(), Why: told}
	alert := draft{
		c: cm.c, kind: MsgSpoofAlert, template: MsgSpoofAlert, lang: w.set.Organisation.Language,
		to: &mail.Address{Name: h.Name, Address: h.Email}, letter: l, auto: autoGenerated,
	}
	if cm.c != nil {
		if err := addEvent(ctx, w.db, cm.c.ID, now, EventSuspectedSpoof, h.Email,
			"a message claiming to come from "+h.Email+" could not be verified ("+why+"); it was kept as a message from outside and nothing it asked was done"); err != nil {
			return result{}, err
		}
		a.spoofed = true
		if err := w.addReply(ctx, cm.c, a); err != nil {
			return result{}, err
		}
		ids, err := w.handlerParticipants(ctx, cm.c)
		if err != nil {
			return result{}, err
		}
		alert.partID = ids[h.Email]
	}
	// A flood of forgeries must not become a flood of alerts (issue 9): one
	// per handler per hour, the next one counting those held back.
	due, suppressed, previous, err := w.spoofAlertDue(ctx, h.Email, a.entry.ID)
	if err != nil {
		return result{}, err
	}
	if !due {
		w.log.Warn("spoof alert held back: one went to the handler less than an hour ago", "handler", h.Email)
		if res.ignored != "" {
			res.ignored += "; the alert was held back (one per hour) and is counted in the next"
		}
		return res, nil
	}
	if res.ignored != "" {
		res.ignored += "; the handler was told"
	}
	l.Spoof.Suppressed, l.Spoof.Previous = suppressed, previous.In(w.set.Organisation.Location)
	alert.letter = l
	return res, w.queue(ctx, alert)
}

// setCaseField changes the assignee or location of a case and records it.
func setCaseField(ctx context.Context, db Database, c *Case, field, value, actor string, now time.Time) error {
	if field != "assignee" && field != "location" {
		return fmt.Errorf("workflow: cannot set case field %q", field)
	}
	if _, err := db.Exec(ctx, `UPDATE cases SET `+field+` = ?, updated_at = ? WHERE id = ?`, value, now, c.ID); err != nil {
		return fmt.Errorf("workflow: case %s %s: %w", c.Reference, field, err)
	}
	return addEvent(ctx, db, c.ID, now, field, actor, value)
}
