package workflow

import (
	"context"
	"strings"
)

// managerCommand is the part of a command's entry (command_table.go) for
// managers: what it does when a manager writes it. Unlike a handler's, a
// manager's lines are not all-or-nothing: each names its own case and is
// answered on its own line.
type managerCommand struct {
	// caseless commands are about no single case (run gets c == nil);
	// the others are refused unless they name a case of the manager's
	// locations.
	caseless bool
	// run carries out one line; nil for a command answered on a path of
	// its own before a message is matched to a case (the annual report's
	// #verslag-verzonden), which the table names all the same.
	run func(w *Workflow, ctx context.Context, req *managerRequest, cmd command, c *Case) (ManagerResult, error)
}

// managerCommandNamed finds the entry of the command a manager's line
// names.
func (w *Workflow) managerCommandNamed(cmd command) (*commandSpec, bool) {
	word, _, _ := strings.Cut(strings.TrimLeft(strings.TrimPrefix(cmd.line, "#"), " "), " ")
	s, ok := w.commands().managerCommand(strings.TrimRight(word, ":"))
	return s, ok && s.manager.run != nil
}

// managerCommand carries out one command line of a verified manager, or
// says why not. Every line about a known case is on its timeline.
func (w *Workflow) managerCommand(ctx context.Context, req *managerRequest, cmd command) (ManagerResult, *Case, error) {
	r := ManagerResult{Line: cmd.line}
	spec, ok := w.managerCommandNamed(cmd)
	var mc managerCommand
	if ok {
		mc = *spec.manager
	}
	if !ok {
		r.Why = RefuseUnknownCommand
	}
	var c *Case
	if ok && !mc.caseless {
		var err error
		if c, err = w.requestCase(ctx, req, cmd); err != nil {
			return r, nil, err
		}
		switch {
		case c == nil && managerReference(cmd) != "":
			r.Why, r.Reference = RefuseUnknownCase, managerReference(cmd)
		case c == nil:
			r.Why = RefuseNoCase
		case !managesLocation(req.mgr, c.Location):
			r.Why, r.Reference = RefuseNotYours, c.Reference
			r.Detail = strings.Join(req.mgr.Locations, ", ")
		}
	}
	if r.Why == "" {
		var err error
		if r, err = mc.run(w, ctx, req, cmd, c); err != nil {
			return r, nil, err
		}
		r.Line = cmd.line
	}
	if ok {
		r.Command = spec.name
	}
	if c != nil {
		r.Reference = c.Reference
		what := "done: " + cmd.line
		if !r.Done {
			what = "refused (" + r.Why + "): " + cmd.line
		}
		if err := addEvent(ctx, w.db, c.ID, w.clock.Now(), EventManagerRequest, req.mgr.Email,
			what+" (verified by "+req.how+")"); err != nil {
			return r, nil, err
		}
	} else if r.Why != "" {
		w.log.Info("a manager's request refused", "manager", req.mgr.Email, "why", r.Why, "reference", r.Reference)
	}
	return r, c, nil
}

// managerCaseFile attaches the case file of c to the answer (#dossier).
func (w *Workflow) managerCaseFile(ctx context.Context, req *managerRequest, _ command, c *Case) (ManagerResult, error) {
	f, err := w.caseFile(ctx, c, req.mgr)
	if err != nil {
		return ManagerResult{}, err
	}
	req.files = append(req.files, f)
	return ManagerResult{Done: true, File: f.Name}, nil
}

// managerAssign gives c to a handler (#toewijzen ADRES): the handlers of
// the case see the manager's message, as they see every message.
func (w *Workflow) managerAssign(ctx context.Context, req *managerRequest, cmd command, c *Case) (ManagerResult, error) {
	who := strings.TrimSpace(referencePattern.ReplaceAllString(cmd.arg, ""))
	h, ok := w.findHandler(who)
	switch {
	case !ok:
		return ManagerResult{Why: RefuseUnknownHandler, Detail: w.handlerList()}, nil
	case !c.Open() && c.Status != StatusDecided:
		return ManagerResult{Why: RefuseClosed}, nil
	}
	if err := setCaseField(ctx, w.db, c, "assignee", h.Email, req.mgr.Email, w.clock.Now()); err != nil {
		return ManagerResult{}, err
	}
	c.Assignee = h.Email
	if err := w.tellHandlers(ctx, req, c); err != nil {
		return ManagerResult{}, err
	}
	return ManagerResult{Done: true, Note: h.Name + " <" + h.Email + ">"}, nil
}

// managerNote keeps the text (on the line and below the commands) as an
// internal note on c (#intern); it never reaches the parent.
func (w *Workflow) managerNote(ctx context.Context, req *managerRequest, cmd command, c *Case) (ManagerResult, error) {
	text := strings.TrimSpace(strings.TrimSpace(referencePattern.ReplaceAllString(cmd.arg, "")) + "\n\n" + req.body)
	if text == "" {
		return ManagerResult{Why: RefuseEmpty}, nil
	}
	if err := addEvent(ctx, w.db, c.ID, w.clock.Now(), EventNote, req.mgr.Email, text); err != nil {
		return ManagerResult{}, err
	}
	if err := w.tellHandlers(ctx, req, c); err != nil {
		return ManagerResult{}, err
	}
	return ManagerResult{Done: true}, nil
}

// tellHandlers records the manager's message on c (once) and passes it to
// the case's handlers, as every message on a case is.
func (w *Workflow) tellHandlers(ctx context.Context, req *managerRequest, c *Case) error {
	if _, done := req.recorded[c.ID]; done {
		return nil
	}
	in, err := w.recordInbound(ctx, c, req.a, MsgManagerRequest)
	if err != nil {
		return err
	}
	req.recorded[c.ID] = in
	notes, err := w.handlerNotes(ctx, c, MsgCaseReply, req.a, in, req.mgr.Email, nil)
	if err != nil {
		return err
	}
	return w.queue(ctx, notes...)
}
