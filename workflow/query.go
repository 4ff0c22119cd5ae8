package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// CaseFilter narrows Cases.
type CaseFilter struct {
	OpenOnly bool
}

// Cases lists cases, the most urgent (earliest deadline) first.
func (w *Workflow) Cases(ctx context.Context, f CaseFilter) ([]Case, error) {
	q := `SELECT ` + caseColumns + ` FROM cases`
	var args []any
	if f.OpenOnly {
		q += ` WHERE status IN (?, ?, ?)`
		args = append(args, StatusReceived, StatusAcknowledged, StatusInProgress)
	}
	var cs []Case
	if err := w.db.Select(ctx, &cs, q+` ORDER BY deadline_at, id`, args...); err != nil {
		return nil, fmt.Errorf("workflow: list cases: %w", err)
	}
	return cs, nil
}

// CaseByReference finds one case.
func (w *Workflow) CaseByReference(ctx context.Context, ref string) (Case, error) {
	return caseByReference(ctx, w.db, ref)
}

// TimelineEntry is one line of a case's history.
type TimelineEntry struct {
	At     time.Time
	Kind   string // an event kind, or "in"/"out" for a message
	Actor  string
	Detail string
	Text   string // a message's new text
	// Delivery is the outbox state of an outgoing message, with its last error.
	Delivery string
	// Attempts are every attempt to send an outgoing message, with the
	// server's answer to each.
	Attempts []DeliveryAttempt

	// What the entry was made of, for the case file to say it in the
	// reader's language (casefile_words.go): the event as stored, or the
	// message with its outbox row.
	event *Event
	msg   *timelineMessage
}

// timelineMessage is a message of the timeline with its delivery.
type timelineMessage struct {
	Message
	State     string
	SentAt    sql.NullTime
	LastError string
	Attempts  int64
}

// Timeline returns a case and everything that happened to it, in order.
func (w *Workflow) Timeline(ctx context.Context, ref string) (Case, []TimelineEntry, error) {
	c, err := caseByReference(ctx, w.db, ref)
	if err != nil {
		return c, nil, err
	}
	if err := writeDeferredEvents(ctx, w.db); err != nil {
		return c, nil, err
	}
	var events []Event
	if err := w.db.Select(ctx, &events, `SELECT id, case_id, at, kind, actor, detail FROM events
		WHERE case_id = ? ORDER BY id`, c.ID); err != nil {
		return c, nil, fmt.Errorf("workflow: timeline %s: %w", ref, err)
	}
	var msgs []struct {
		Message
		State     sql.NullString `db:"state"`
		SentAt    sql.NullTime   `db:"sent_at"`
		LastError sql.NullString `db:"last_error"`
		Attempts  sql.NullInt64  `db:"attempts"`
	}
	if err := w.db.Select(ctx, &msgs, `SELECT m.id, m.case_id, m.direction, m.kind, m.message_id, m.in_reply_to,
		m.refs, m.from_addr, m.to_addr, m.subject, m.body_sha256, m.full_text, m.new_text, m.attachments,
		m.ledger_id, m.outbox_id, m.created_at, m.unverified, o.state, o.sent_at, o.last_error, o.attempts
		FROM messages m LEFT JOIN outbox o ON o.id = m.outbox_id WHERE m.case_id = ? ORDER BY m.id`, c.ID); err != nil {
		return c, nil, fmt.Errorf("workflow: timeline %s: %w", ref, err)
	}
	// Things written in one transaction share a time; show them as they
	// happen: the message that came in, what it changed, what went out.
	loc := w.set.Organisation.Location
	type keyed struct {
		TimelineEntry
		rank int
		id   int64
	}
	var all []keyed
	for _, e := range events {
		t := TimelineEntry{At: e.At, Kind: e.Kind, Actor: e.Actor, Detail: e.Detail, event: &e}
		switch e.Kind {
		case EventNote: // several lines: shown as text
			t.Detail, t.Text = "internal note", e.Detail
		case EventCommandsRefused:
			t.Detail, t.Text = "commands refused, nothing changed", e.Detail
		}
		all = append(all, keyed{t, 1, e.ID})
	}
	for _, m := range msgs {
		t := TimelineEntry{At: m.CreatedAt, Kind: m.Direction, Text: m.NewText, msg: &timelineMessage{Message: m.Message,
			State: m.State.String, SentAt: m.SentAt, LastError: m.LastError.String, Attempts: m.Attempts.Int64}}
		if m.Direction == DirIn {
			t.Actor = m.FromAddr
			t.Detail = fmt.Sprintf("%s: %s", m.Kind, m.Subject)
			if m.Unverified {
				t.Detail += " " + UnverifiedMark
			}
		} else {
			t.Actor = m.ToAddr
			t.Detail = fmt.Sprintf("%s to %s: %s", m.Kind, m.ToAddr, m.Subject)
			t.Text = ""
			t.Delivery = m.State.String
			if m.SentAt.Valid {
				t.Delivery += " " + m.SentAt.Time.In(loc).Format("2006-01-02 15:04")
			}
			if m.LastError.String != "" {
				t.Delivery += fmt.Sprintf(" (attempt %d: %s)", m.Attempts.Int64, m.LastError.String)
			}
			if m.OutboxID.Valid {
				if t.Attempts, err = w.deliveryAttempts(ctx, m.OutboxID.Int64); err != nil {
					return c, nil, err
				}
				if twice := secondDelivery(t.Attempts); twice != "" {
					t.Delivery += "; " + twice
				}
			}
		}
		if m.Attachments != "" {
			t.Detail += " [attachments: " + m.Attachments + "]"
		}
		rank := 0
		if m.Direction == DirOut {
			rank = 2
		}
		all = append(all, keyed{t, rank, m.ID})
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return a.id < b.id
	})
	out := make([]TimelineEntry, len(all))
	for i, k := range all {
		out[i] = k.TimelineEntry
	}
	return c, out, nil
}
