package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Why a case was anonymised.
const (
	ReasonRetention = "retention period over"
	ReasonErasure   = "erasure request (AVG art. 17)"
)

// EventAnonymised records an anonymisation on the case's timeline, with
// what was removed (counts, never the content).
const EventAnonymised = "anonymised"

// Anonymisation is what an anonymisation removed from one case: counts,
// never the content.
type Anonymisation struct {
	Reference    string
	Reason       string
	At           time.Time
	Messages     int   // messages whose addresses, subject, text and attachment list were removed
	Attachments  int   // of those, messages that had attachments
	RawInbound   int   // inbound raw messages (with their attachments) emptied in the ledger
	RawOutbound  int   // outgoing raw messages emptied in the outbox
	RawBytes     int64 // bytes of raw mail removed, in and out
	Participants int   // participants whose name and address were removed
	Measures     int   // measure descriptions removed
	Events       int   // timeline details or actors removed
	Escalations  int   // escalation references or notes removed
	Concerns     int   // people the complaint was about (#betreft) removed
	Pending      int   // judgments that waited for #akkoord removed
}

// String is the line kept on the case's timeline and in the log.
func (a Anonymisation) String() string {
	return fmt.Sprintf("%s: removed the complainant's name and address, the subject and the handler; %d message(s) "+
		"(addresses, subject, text; %d with attachments), %d raw inbound and %d raw outgoing message(s) (%d bytes), "+
		"%d participant(s), %d measure description(s), %d timeline detail(s), %d escalation note(s), "+
		"%d person(s) the complaint was about, %d judgment(s) waiting for approval; "+
		"kept: kind, location, dates, status, verdict, categories, report line, escalations' dates and outcomes, "+
		"measures' dates, deadline-exceeded",
		a.Reason, a.Messages, a.Attachments, a.RawInbound, a.RawOutbound, a.RawBytes, a.Participants, a.Measures, a.Events, a.Escalations, a.Concerns, a.Pending)
}

// keptEventDetails are the event kinds whose detail is about the case's
// course, never about a person: they stay readable.
var keptEventDetails = []string{EventStatus, EventDeadlineExceeded, EventAnonymised}

// anonymise removes a case's personal data, in one transaction: raw mail
// in and out (with its attachments), names and addresses, free text. What
// the annual report counts stays: kind, location, dates, status, verdict,
// categories, the handler's report line (written to be anonymous),
// escalations' bodies, dates and outcomes, measures' dates, the deadline
// flag. The ledger keeps its rows (key, digest, size, state): it is still
// the record that each message was acted on exactly once. actor is who
// asked ("" for the scheduler).
func (w *Workflow) anonymise(ctx context.Context, c *Case, reason, actor string) (Anonymisation, error) {
	now := w.clock.Now()
	a := Anonymisation{Reference: c.Reference, Reason: reason, At: now}
	forgetGroupChecks(ctx) // addresses go: a group's counts no longer hold
	err := w.db.InTx(ctx, func(ctx context.Context) error {
		// First, so that two daemons (or the scheduler and an erasure)
		// never both do it: the second finds it done.
		n, err := w.db.Exec(ctx, `UPDATE cases SET complainant_name = '', complainant_email = '', committee = '', subject = '',
			assignee = '', anonymised_at = ?, updated_at = ? WHERE id = ? AND anonymised_at IS NULL`, now, now, c.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: %s", ErrAnonymised, c.Reference)
		}
		var raw struct {
			N     int   `db:"n"`
			Bytes int64 `db:"bytes"`
		}
		// Every message acted on for the case: its own messages, and those
		// kept only as an event (a refused request, a forged token).
		inbound := `anonymised_at IS NULL AND (case_id = ? OR id IN (SELECT ledger_id FROM messages WHERE case_id = ? AND ledger_id IS NOT NULL))`
		if err := w.db.Get(ctx, &raw, `SELECT COUNT(*) AS n, COALESCE(SUM(length(raw)), 0) AS bytes FROM ledger WHERE `+inbound, c.ID, c.ID); err != nil {
			return err
		}
		a.RawInbound, a.RawBytes = raw.N, raw.Bytes
		// The key, digest, size and state stay: a copy of the message
		// that turns up again is still known as one acted on.
		if _, err := w.db.Exec(ctx, `UPDATE ledger SET raw = ?, anonymised_at = ?,
			reason = CASE WHEN reason LIKE '%@%' THEN 'anonymised' ELSE reason END WHERE `+inbound,
			[]byte{}, now, c.ID, c.ID); err != nil {
			return err
		}
		if err := w.db.Get(ctx, &raw, `SELECT COUNT(*) AS n, COALESCE(SUM(length(raw)), 0) AS bytes FROM outbox
			WHERE case_id = ? AND length(raw) > 0`, c.ID); err != nil {
			return err
		}
		a.RawOutbound, a.RawBytes = raw.N, a.RawBytes+raw.Bytes
		if _, err := w.db.Exec(ctx, `UPDATE outbox SET raw = ?, rcpt_to = '', last_error = '' WHERE case_id = ?`, []byte{}, c.ID); err != nil {
			return err
		}
		if _, err := w.db.Exec(ctx, `UPDATE outbox_attempts SET answer = '' WHERE outbox_id IN (SELECT id FROM outbox WHERE case_id = ?)`, c.ID); err != nil {
			return err
		}
		if err := w.db.Get(ctx, &a.Attachments, `SELECT COUNT(*) FROM messages WHERE case_id = ? AND attachments <> ''`, c.ID); err != nil {
			return err
		}
		steps := []struct {
			n     *int
			query string
		}{
			{&a.Messages, `UPDATE messages SET from_addr = '', to_addr = '', subject = '', full_text = '', new_text = '',
				attachments = '', in_reply_to = '', refs = '' WHERE case_id = ?`},
			{&a.Participants, `UPDATE participants SET email = 'removed-' || CAST(id AS TEXT), name = '' WHERE case_id = ?`},
			{&a.Measures, `UPDATE measures SET description = '' WHERE case_id = ? AND description <> ''`},
			{&a.Escalations, `UPDATE escalations SET reference = '', note = '' WHERE case_id = ? AND (reference <> '' OR note <> '')`},
			{&a.Concerns, `DELETE FROM case_concerns WHERE case_id = ?`},
			{&a.Pending, `DELETE FROM pending_judgments WHERE case_id = ?`},
			{&a.Events, `UPDATE events SET actor = '', detail = CASE WHEN kind IN (` + placeholders(len(keptEventDetails)) + `) THEN detail ELSE '' END
				WHERE case_id = ? AND (actor <> '' OR (detail <> '' AND kind NOT IN (` + placeholders(len(keptEventDetails)) + `)))`},
		}
		for _, s := range steps {
			args := []any{c.ID}
			if strings.Contains(s.query, "kind IN") {
				args = nil
				for _, k := range keptEventDetails {
					args = append(args, k)
				}
				args = append(args, c.ID)
				for _, k := range keptEventDetails {
					args = append(args, k)
				}
			}
			n, err := w.db.Exec(ctx, s.query, args...)
			if err != nil {
				return err
			}
			*s.n = int(n)
		}
		return addEvent(ctx, w.db, c.ID, now, EventAnonymised, actor, a.String())
	})
	if err != nil {
		return a, fmt.Errorf("workflow: anonymise %s: %w", c.Reference, err)
	}
	w.log.Info("case anonymised", "case", c.Reference, "reason", reason, "messages", a.Messages,
		"raw_inbound", a.RawInbound, "raw_outbound", a.RawOutbound, "bytes", a.RawBytes)
	return a, nil
}

// isAnonymised reports whether a case's personal data was removed.
func isAnonymised(ctx context.Context, db Database, caseID int64) (bool, error) {
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM cases WHERE id = ? AND anonymised_at IS NOT NULL`, caseID); err != nil {
		return false, fmt.Errorf("workflow: case %d: %w", caseID, err)
	}
	return n > 0, nil
}

// unlessAnonymised drops a match to an anonymised case: mail about it
// (a parent answering an old thread) is treated as mail about no case, a
// new complaint or a "which case?" to a handler, rather than putting
// personal data back into a case emptied of it.
func (w *Workflow) unlessAnonymised(ctx context.Context, cm caseMatch) (caseMatch, error) {
	gone, err := isAnonymised(ctx, w.db, cm.c.ID)
	if err != nil {
		return cm, err
	}
	if gone {
		cm.c, cm.via, cm.token = nil, "", Token{}
	}
	return cm, nil
}

// AnonymisedAt reports when a case's personal data was removed (false: never).
func (w *Workflow) AnonymisedAt(ctx context.Context, caseID int64) (time.Time, bool, error) {
	var at []time.Time
	if err := w.db.Select(ctx, &at, `SELECT anonymised_at FROM cases WHERE id = ? AND anonymised_at IS NOT NULL`, caseID); err != nil {
		return time.Time{}, false, fmt.Errorf("workflow: case %d: %w", caseID, err)
	}
	if len(at) == 0 {
		return time.Time{}, false, nil
	}
	return at[0], true, nil
}
