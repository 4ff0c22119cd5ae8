package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// MsgCaseFile is the template of a case file: a self-contained HTML
// document (no scripts, no external resources) sent to a manager as an
// attachment (#dossier). Everything in it from mail is escaped by the
// template engine.
const MsgCaseFile = "case_file"

// CaseFileView is everything on record about a case, for its case file.
type CaseFileView struct {
	Made     time.Time // when the file was made, in the organisation's zone
	For      string    // the manager it was made for
	Flags    CaseFlags
	Measures []CaseFileMeasure
	Timeline []CaseFileEntry   // events and messages, in order
	Messages []CaseFileMessage // every message in and out, with its text and delivery
}

// CaseFlags are the marks on a case.
type CaseFlags struct {
	DeadlineExceeded, Unreachable, Safeguarding bool
	Decided, Closed                             time.Time // zero when not (yet)
}

// CaseFileMeasure is a measure and whether it was carried out.
type CaseFileMeasure struct {
	Description string
	Due         time.Time
	Done        time.Time // zero while open
}

// CaseFileEntry is one line of the timeline. What, Detail and Delivery are
// in the reader's language (casefile_words.go).
type CaseFileEntry struct {
	At       time.Time
	Kind     string // an event kind, or "in"/"out" for a message
	What     string // the kind in words
	Actor    string
	Detail   string
	Text     string // a note's text
	Delivery string // the outbox state of an outgoing message
}

// CaseFileMessage is one message of the case.
type CaseFileMessage struct {
	At          time.Time
	In          bool // received; otherwise sent by us
	Kind        string
	From, To    string
	Subject     string
	Text        string
	Attachments []string
	Unverified  bool
	// Delivery of an outgoing message: its outbox state in words ("sent",
	// "queued", "failed", "held" said in the reader's language) and every
	// attempt with the server's answer (its outcome in words).
	State     string
	LastError string
	Attempts  []DeliveryAttempt
}

// buildCaseFile gathers the case file of c.
func (w *Workflow) buildCaseFile(ctx context.Context, c *Case, forName string) (*CaseFileView, error) {
	loc := w.set.Organisation.Location
	v := &CaseFileView{Made: w.clock.Now().In(loc), For: forName, Flags: CaseFlags{
		DeadlineExceeded: c.DeadlineExceeded, Unreachable: c.Unreachable, Safeguarding: c.Safeguarding,
	}}
	if c.DecidedAt.Valid {
		v.Flags.Decided = c.DecidedAt.Time.In(loc)
	}
	if c.ClosedAt.Valid {
		v.Flags.Closed = c.ClosedAt.Time.In(loc)
	}
	ms, err := caseMeasures(ctx, w.db, c.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		due, _ := time.ParseInLocation(time.DateOnly, m.DueDate, loc)
		cm := CaseFileMeasure{Description: m.Description, Due: due}
		if m.DoneAt.Valid {
			cm.Done = m.DoneAt.Time.In(loc)
		}
		v.Measures = append(v.Measures, cm)
	}
	_, tl, err := w.Timeline(ctx, c.Reference)
	if err != nil {
		return nil, err
	}
	for _, e := range tl {
		ce := CaseFileEntry{At: e.At.In(loc), Kind: e.Kind, What: w.caseFileKind(e.Kind), Actor: e.Actor}
		switch {
		case e.msg != nil: // a message's words are under Messages, once
			ce.Detail, ce.Delivery = w.caseFileMessageDetail(e.msg)
			if twice := w.deliveredTwice(e.Attempts); twice != "" {
				ce.Delivery += "; " + twice
			}
		case e.event != nil:
			ce.Detail, ce.Text = w.caseFileEvent(*e.event)
		}
		v.Timeline = append(v.Timeline, ce)
	}
	if v.Messages, err = w.caseFileMessages(ctx, c); err != nil {
		return nil, err
	}
	return v, nil
}

// caseFileMessages are the messages of a case with their words: what came
// in as recorded, what we sent as read back from the exact bytes sent.
func (w *Workflow) caseFileMessages(ctx context.Context, c *Case) ([]CaseFileMessage, error) {
	loc := w.set.Organisation.Location
	var rows []struct {
		Message
		Raw       []byte         `db:"raw"`
		State     sql.NullString `db:"state"`
		LastError sql.NullString `db:"last_error"`
	}
	if err := w.db.Select(ctx, &rows, `SELECT m.id, m.case_id, m.direction, m.kind, m.message_id, m.in_reply_to,
		m.refs, m.from_addr, m.to_addr, m.subject, m.body_sha256, m.full_text, m.new_text, m.attachments,
		m.ledger_id, m.outbox_id, m.created_at, m.unverified, o.raw, o.state, o.last_error
		FROM messages m LEFT JOIN outbox o ON o.id = m.outbox_id WHERE m.case_id = ? ORDER BY m.created_at, m.id`, c.ID); err != nil {
		return nil, fmt.Errorf("workflow: case file %s: %w", c.Reference, err)
	}
	out := make([]CaseFileMessage, 0, len(rows))
	for _, r := range rows {
		m := CaseFileMessage{
			At: r.CreatedAt.In(loc), In: r.Direction == DirIn, Kind: r.Kind, From: r.FromAddr, To: r.ToAddr,
			Subject: r.Subject, Unverified: r.Unverified, State: w.deliveryState(r.State.String), LastError: r.LastError.String,
		}
		if r.Attachments != "" {
			m.Attachments = strings.Split(r.Attachments, "\n")
		}
		if m.In {
			m.Text = r.NewText
			if strings.TrimSpace(m.Text) == "" {
				m.Text = r.FullText
			}
		} else if len(r.Raw) > 0 {
			if pm, err := w.parse(r.Raw); err == nil {
				m.Text = pm.Text()
				m.Attachments = w.attachmentList(pm)
			}
		}
		m.Text = excerpt(m.Text)
		if r.OutboxID.Valid {
			var err error
			if m.Attempts, err = w.deliveryAttempts(ctx, r.OutboxID.Int64); err != nil {
				return nil, err
			}
			for i := range m.Attempts {
				m.Attempts[i].At = m.Attempts[i].At.In(loc)
				m.Attempts[i].Outcome = w.word("file.attempt."+m.Attempts[i].Outcome, m.Attempts[i].Outcome)
				switch m.Attempts[i].Answer { // our own words, not a server's: said by the outcome
				case acceptedAnswer:
					m.Attempts[i].Answer = ""
				case unknownAnswer:
					m.Attempts[i].Answer = w.phrase("file.answer_unknown")
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// caseFile renders the case file of c as an HTML attachment for manager.
func (w *Workflow) caseFile(ctx context.Context, c *Case, manager Manager) (File, error) {
	v, err := w.buildCaseFile(ctx, c, manager.Name)
	if err != nil {
		return File{}, err
	}
	l := w.letter(c, manager.Name)
	l.CaseFile = v
	_, _, html, err := w.render.Render(MsgCaseFile, w.set.Organisation.Language, l)
	if err != nil {
		return File{}, fmt.Errorf("workflow: case file %s: %w", c.Reference, err)
	}
	return File{Name: "dossier-" + c.Reference + ".html", ContentType: "text/html; charset=utf-8", Data: []byte(html)}, nil
}
