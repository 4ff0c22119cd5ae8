package workflow

import (
	"context"
	"errors"
	"net/mail"
	"strings"
)

// Managers act by mail too (issue 11): a verified manager's message with
// command lines (#dossier, #toewijzen, #intern: the entries of command_table.go
// with a manager part) is
// answered with what was done or refused, and every request about a case
// is on that case's timeline.

// Message kinds and the timeline event of managers' requests.
const (
	MsgManagerRequest   = "manager_request" // a verified manager's message on a case (#toewijzen, #intern)
	MsgManagerResult    = "manager_result"  // our answer to a manager's message with commands
	EventManagerRequest = "manager_request" // a manager asked something of a case, done or refused
)

// ManagerView is what came of a manager's message, for the answer.
type ManagerView struct {
	// Unverified: nothing was done, since the message could not be shown
	// to come from the manager (their reply token, or DMARC as for handlers).
	Unverified bool
	// NoCommand: the message had no command line; the answer lists them.
	NoCommand bool
	Results   []ManagerResult
}

// ManagerResult is the outcome of one command line of a manager.
type ManagerResult struct {
	Line string
	// Command is the command's first (Dutch) name, "" when unknown: the
	// template words each command's outcome by it.
	Command   string
	Reference string // the case it was about, when known
	Done      bool
	// Why it was refused (one of the Refuse… codes; "" when done), with
	// Detail (the manager's locations, the known handlers) for the words.
	Why    string
	Detail string
	File   string // the name of the attached case file (#dossier)
	Note   string // what was done, for #toewijzen: the handler's name and address
}

// Why a manager's command was refused; the template says it in words.
const (
	RefuseUnknownCommand = "unknown_command" // not a manager's command
	RefuseNoCase         = "no_case"         // names no case, and the message is in no case's thread
	RefuseUnknownCase    = "unknown_case"    // no case has that reference
	RefuseNotYours       = "not_yours"       // the case is of a location the manager does not manage
	RefuseUnknownHandler = "unknown_handler" // #toewijzen names nobody we know
	RefuseClosed         = "closed"          // the case is closed or withdrawn
	RefuseEmpty          = "empty"           // #intern without text
)

// onManager handles a message from a configured manager's address. It
// reports handled=false for a message it leaves to the usual path: an
// unverified one without command lines in a case's thread. It
// is the entry point for every command a manager may write: add new ones
// to the command table
// (command_table.go).
func (w *Workflow) onManager(ctx context.Context, a *arrival, cm caseMatch, mgr Manager) (res result, handled bool, err error) {
	cmds, body := w.commands().parse(replyText(a.mail.Text()))
	req := &managerRequest{a: a, cm: cm, mgr: mgr, body: body, recorded: map[int64]Message{}}
	verified, how := w.verifyManager(a.mail, mgr)
	req.how = how
	if len(cmds) == 0 && cm.c != nil {
		if !verified {
			return result{}, false, nil // a message from outside, as any other
		}
		// A manager's words on a case (an answer to a deadline notice):
		// kept with the case and passed to its handlers, never the parent.
		if err := addEvent(ctx, w.db, cm.c.ID, w.clock.Now(), EventMessage, mgr.Email,
			"message of manager "+mgr.Name+" (verified by "+how+"), passed to the handlers"); err != nil {
			return result{}, true, err
		}
		return result{caseID: cm.c.ID}, true, w.tellHandlers(ctx, req, cm.c)
	}
	view := &ManagerView{}
	switch {
	case !verified:
		w.log.Warn("unverified message in a manager's name: nothing done", "manager", mgr.Email, "why", how)
		view.Unverified = true
		for _, cmd := range cmds {
			// Only the reference is looked up, so the timeline of a named
			// case shows the attempt; nothing of the case goes out.
			if c, err := w.requestCase(ctx, req, cmd); err != nil {
				return result{}, true, err
			} else if c != nil {
				res.caseID = c.ID
				if err := addEvent(ctx, w.db, c.ID, w.clock.Now(), EventManagerRequest, mgr.Email,
					"refused, nothing done: "+cmd.line+" (the message could not be verified as "+mgr.Email+"'s: "+how+")"); err != nil {
					return result{}, true, err
				}
			}
		}
		if res.caseID == 0 {
			res.ignored = "an unverified message in the name of manager " + mgr.Email + " (" + how + "); nothing done, the manager was told"
		}
	case len(cmds) == 0:
		view.NoCommand = true
		res.ignored = "a manager's message without commands and about no case; answered with the commands managers may write"
	default:
		for _, cmd := range cmds {
			r, c, err := w.managerCommand(ctx, req, cmd)
			if err != nil {
				return result{}, true, err
			}
			view.Results = append(view.Results, r)
			if c != nil {
				res.caseID = c.ID
			}
		}
		if res.caseID == 0 {
			res.ignored = "a manager's request about no known case; the manager was told why"
		}
	}
	if err := w.answerManager(ctx, req, view, verified); err != nil {
		return result{}, true, err
	}
	return res, true, nil
}

// managerRequest is a manager's message being acted on.
type managerRequest struct {
	a        *arrival
	cm       caseMatch
	mgr      Manager
	how      string // how it was verified ("token", "dmarc", "dkim"), or why not
	body     string // the text below the command lines
	files    []File // case files to attach to the answer
	recorded map[int64]Message
}

// verifyManager decides, as verifyHandler does for handlers and under the
// same trust.policy, whether a message in a manager's name comes from
// them: it carries the manager's own reply token (every digest and notice
// to them has one), or our receiving server recorded DMARC pass (or an
// aligned DKIM pass) for their domain.
func (w *Workflow) verifyManager(m Mail, mgr Manager) (bool, string) {
	if why := singleFrom(m); why != "" {
		return false, why
	}
	policy := w.set.Trust.Policy
	var why []string
	if policy == TrustToken || policy == TrustTokenOrDMARC {
		if w.managerTokenOf(m, mgr.Email) {
			return true, "token"
		}
		why = append(why, "no reply token of "+mgr.Email)
	}
	if policy == TrustDMARC || policy == TrustTokenOrDMARC {
		if w.set.Trust.AuthservID == "" {
			why = append(why, "no trusted authserv-id is configured")
		} else if how, ok, detail := authenticated(m.Header().Values("Authentication-Results"), w.set.Trust.AuthservID, domainOf(mgr.Email)); ok {
			return true, how
		} else {
			why = append(why, detail)
		}
	}
	return false, strings.Join(why, "; ")
}

// requestCase finds the case a manager's command line is about: the
// reference on the line, else the case whose thread the message answers,
// else a reference in the subject. nil when none is named or known.
func (w *Workflow) requestCase(ctx context.Context, req *managerRequest, cmd command) (*Case, error) {
	ref := managerReference(cmd)
	if ref == "" && req.cm.c != nil {
		return req.cm.c, nil
	}
	if ref == "" {
		if refs := subjectReferences(req.a.mail.Subject()); len(refs) > 0 {
			ref = refs[0]
		}
	}
	if ref == "" {
		return nil, nil
	}
	c, err := caseByReference(ctx, w.db, ref)
	if err != nil {
		if errors.Is(err, ErrCaseNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return &c, nil
}

// managerReference is the case reference written on a command line.
func managerReference(cmd command) string {
	return strings.ToUpper(referencePattern.FindString(cmd.arg))
}

// answerManager replies to the manager in their message's thread, with the
// case files asked for. A verified manager asked for it: their answer is
// never held back by the loop breaker; a refusal to an unverified message
// is automatic mail like any other.
func (w *Workflow) answerManager(ctx context.Context, req *managerRequest, view *ManagerView, verified bool) error {
	m := req.a.mail
	l := Letter{Org: w.set.Organisation, To: req.mgr.Name, Subject: m.Subject(), Manager: view}
	return w.queue(ctx, draft{
		kind: MsgManagerResult, template: MsgManagerResult, lang: w.set.Organisation.Language,
		to: &mail.Address{Name: req.mgr.Name, Address: req.mgr.Email}, letter: l, auto: autoReplied,
		inReplyTo: m.MessageID(), refs: m.References(), essential: verified, files: req.files,
		token: w.tokens.managerToken(0, req.mgr.Email, w.clock.Now()),
	})
}
