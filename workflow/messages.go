package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message directions and kinds.
const (
	DirIn  = "in"
	DirOut = "out"

	MsgComplaint           = "complaint"             // the message that opened a case
	MsgReply               = "reply"                 // any later inbound message on a case
	MsgConfirmation        = "confirmation"          // our confirmation of receipt to the complainant
	MsgNewCase             = "new_case"              // our new-case notification to a handler
	MsgCaseReply           = "case_reply"            // our notification to handlers of a later message
	MsgAutoReply           = "auto_reply"            // an automatic answer (out of office, autoresponder) on a case
	MsgBounce              = "bounce"                // a delivery status notification about our mail
	MsgBounceNotice        = "bounce_notice"         // our notice to handlers that mail to the complainant bounced
	MsgWhichCase           = "which_case"            // our question to a handler whose message names no case
	MsgHandlerReply        = "handler_reply"         // a verified handler's message on a case
	MsgRelay               = "relay"                 // a handler's answer, sent on to the complainant
	MsgJudgment            = "judgment"              // the written, reasoned judgment
	MsgWithdrawn           = "withdrawn"             // confirmation to the complainant that the complaint is withdrawn
	MsgClosed              = "closed"                // telling the complainant the measures are done
	MsgCommandResult       = "command_result"        // confirmation or refusal of a handler's commands
	MsgSpoofAlert          = "spoof_alert"           // telling a handler that a message in their name failed verification
	MsgReminder            = "reminder"              // to the handlers: the term is running out
	MsgProgress            = "progress"              // to the complainant: how things stand
	MsgDeadlinePassed      = "deadline_passed"       // to the complainant: six weeks passed without a judgment
	MsgDeadlinePassedStaff = "deadline_passed_staff" // the same, to handlers and managers
	MsgMeasureDue          = "measure_due"           // to the handlers: a measure's date has come
	MsgMeasureDelayed      = "measure_delayed"       // to the complainant: a measure gets a later date, or a measure is added
	MsgMeasureDone         = "measure_done"          // to the complainant: a measure was carried out, others are still open
	MsgDigest              = "digest"                // a manager's overview
	MsgFloodNotice         = "flood_notice"          // to the handlers: a sender's new complaints are over the limit
)

// Message is one message of a case, in either direction.
type Message struct {
	ID          int64         `db:"id"`
	CaseID      int64         `db:"case_id"`
	Direction   string        `db:"direction"`
	Kind        string        `db:"kind"`
	MessageID   string        `db:"message_id"`
	InReplyTo   string        `db:"in_reply_to"`
	Refs        string        `db:"refs"`
	FromAddr    string        `db:"from_addr"`
	ToAddr      string        `db:"to_addr"`
	Subject     string        `db:"subject"`
	BodySHA256  string        `db:"body_sha256"`
	FullText    string        `db:"full_text"`
	NewText     string        `db:"new_text"`
	Attachments string        `db:"attachments"`
	LedgerID    sql.NullInt64 `db:"ledger_id"`
	OutboxID    sql.NullInt64 `db:"outbox_id"`
	CreatedAt   time.Time     `db:"created_at"`
	// Unverified: our receiving server said the sender's domain failed
	// DMARC; the message may come from anyone (issue 9).
	Unverified bool `db:"unverified"`
}

const messageColumns = `id, case_id, direction, kind, message_id, in_reply_to, refs, from_addr, to_addr,
	subject, body_sha256, full_text, new_text, attachments, ledger_id, outbox_id, created_at, unverified`

func insertMessage(ctx context.Context, db Database, m *Message) error {
	if keepMessage(ctx, *m) {
		return nil // written with the group's other messages (batch_writes.go)
	}
	err := db.Get(ctx, &m.ID, `INSERT INTO messages (case_id, direction, kind, message_id, in_reply_to, refs,
		from_addr, to_addr, subject, body_sha256, full_text, new_text, attachments, ledger_id, outbox_id, created_at, unverified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.CaseID, m.Direction, m.Kind, m.MessageID, m.InReplyTo, m.Refs, m.FromAddr, m.ToAddr, m.Subject,
		m.BodySHA256, m.FullText, m.NewText, m.Attachments, m.LedgerID, m.OutboxID, m.CreatedAt, m.Unverified)
	if err != nil {
		return fmt.Errorf("workflow: insert message: %w", err)
	}
	return nil
}

// insertMessages stores several messages with one statement.
func insertMessages(ctx context.Context, db Database, ms []Message) error {
	var args []any
	for _, m := range ms {
		args = append(args, m.CaseID, m.Direction, m.Kind, m.MessageID, m.InReplyTo, m.Refs, m.FromAddr, m.ToAddr,
			m.Subject, m.BodySHA256, m.FullText, m.NewText, m.Attachments, m.LedgerID, m.OutboxID, m.CreatedAt)
	}
	if _, err := db.Exec(ctx, `INSERT INTO messages (case_id, direction, kind, message_id, in_reply_to, refs,
		from_addr, to_addr, subject, body_sha256, full_text, new_text, attachments, ledger_id, outbox_id, created_at)
		VALUES `+valueRows(len(ms), 16), args...); err != nil {
		return fmt.Errorf("workflow: insert messages: %w", err)
	}
	return nil
}

// caseOfMessageIDs finds the case a message following ids (newest first,
// as threadIDs gives them) belongs to. Anyone can copy a Message-ID, so an
// ID is never taken over: the case that first recorded it keeps it, and a
// message of ours (sent by us, so not copied) wins over one that came in.
// Among the IDs, the newest one that any case holds decides.
func caseOfMessageIDs(ctx context.Context, db Database, ids []string) (int64, bool, error) {
	if len(ids) == 0 {
		return 0, false, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	// The first holder of each ID in each direction.
	var holders []struct {
		MessageID string `db:"message_id"`
		Direction string `db:"direction"`
		CaseID    int64  `db:"case_id"`
	}
	err := db.Select(ctx, &holders, `SELECT message_id, direction, case_id FROM messages WHERE id IN (
		SELECT MIN(id) FROM messages WHERE message_id IN (`+placeholders(len(ids))+`) GROUP BY message_id, direction)`, args...)
	if err != nil {
		return 0, false, fmt.Errorf("workflow: thread lookup: %w", err)
	}
	first := map[[2]string]int64{}
	for _, h := range holders {
		first[[2]string{h.Direction, h.MessageID}] = h.CaseID
	}
	for _, dir := range []string{DirOut, DirIn} {
		for _, id := range ids {
			if c, ok := first[[2]string{dir, id}]; ok {
				return c, true, nil
			}
		}
	}
	return 0, false, nil
}

// lastMessage returns the newest message of a case with one of kinds going
// to or coming from addr; it is what the next message in that thread answers.
func lastMessage(ctx context.Context, db Database, caseID int64, addr string, kinds ...string) (Message, bool, error) {
	args := []any{caseID, strings.ToLower(addr), strings.ToLower(addr)}
	for _, k := range kinds {
		args = append(args, k)
	}
	var m Message
	err := db.Get(ctx, &m, `SELECT `+messageColumns+` FROM messages
		WHERE case_id = ? AND (to_addr = ? OR from_addr = ?) AND kind IN (`+placeholders(len(kinds))+`)
		ORDER BY id DESC LIMIT 1`, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("workflow: last message: %w", err)
	}
	return m, true, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// valuesTable is a table v of n parameters, one a row, in its column1: to
// join on. An IN list of n values instead is checked against every row a
// scan reads, and PostgreSQL without statistics (autovacuum off, a young
// table) often scans rather than look each value up in an index; joined
// to a table of them it looks them up.
func valuesTable(n int) string {
	return "(VALUES " + strings.TrimSuffix(strings.Repeat("(?), ", n), ", ") + ") AS v"
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// lastInThread is the newest message of a case to or from addr: what the
// next message to them answers, so their mail client keeps one thread.
func lastInThread(ctx context.Context, db Database, caseID int64, addr string) (Message, bool, error) {
	var m Message
	err := db.Get(ctx, &m, `SELECT `+messageColumns+` FROM messages WHERE case_id = ? AND (to_addr = ? OR from_addr = ?)
		ORDER BY id DESC LIMIT 1`, caseID, strings.ToLower(addr), strings.ToLower(addr))
	if isNoRows(err) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("workflow: thread: %w", err)
	}
	return m, true, nil
}

// lastSentTo is our newest message on a case to addr: what our next message
// to them answers, so it lands in the thread of what we wrote to them and
// not under their out-of-office reply.
func lastSentTo(ctx context.Context, db Database, caseID int64, addr string) (Message, bool, error) {
	var m Message
	err := db.Get(ctx, &m, `SELECT `+messageColumns+` FROM messages WHERE case_id = ? AND direction = ? AND to_addr = ?
		ORDER BY id DESC LIMIT 1`, caseID, DirOut, strings.ToLower(addr))
	if isNoRows(err) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("workflow: thread: %w", err)
	}
	return m, true, nil
}

// firstNotification is the first notification about a case we sent to a
// handler (the new-case notice, or the first message they heard of after
// joining): the root of that handler's thread about the case.
func firstNotification(ctx context.Context, db Database, caseID int64, addr string) (Message, bool, error) {
	var m Message
	err := db.Get(ctx, &m, `SELECT `+messageColumns+` FROM messages WHERE case_id = ? AND direction = ? AND to_addr = ?
		AND kind IN (?, ?) ORDER BY id LIMIT 1`, caseID, DirOut, strings.ToLower(addr), MsgNewCase, MsgCaseReply)
	if isNoRows(err) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("workflow: thread: %w", err)
	}
	return m, true, nil
}

// staffNotices are the messages to handlers and managers that are not an
// answer to one of their messages: each answers the case's first
// notification to its recipient, so it shows in that case's thread.
var staffNotices = map[string]bool{
	MsgBounceNotice: true, MsgReminder: true, MsgDeadlinePassedStaff: true, MsgMeasureDue: true, MsgSpoofAlert: true,
}

// threadStaffNotice sets what a staff notice answers, when it is about a case
// and answers nothing yet.
func (w *Workflow) threadStaffNotice(ctx context.Context, d *draft) error {
	if d.c == nil || d.inReplyTo != "" || !staffNotices[d.kind] {
		return nil
	}
	first, ok, err := firstNotification(ctx, w.db, d.c.ID, d.to.Address)
	if err != nil || !ok {
		return err
	}
	d.inReplyTo, d.refs = first.MessageID, strings.Fields(first.Refs)
	return nil
}
