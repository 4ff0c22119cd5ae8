package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HeldByServerPrefix starts the last_error of mail held because our own mail
// server refused it (or was never reached), as opposed to mail held back by
// the loop breaker ("held back by the loop breaker: …"). The held_config
// column tells the two apart in queries.
const HeldByServerPrefix = "held: "

// heldConfigUnknown is recorded when the workflow was not told its
// transport's configuration; any named configuration differs from it.
const heldConfigUnknown = "unknown"

// recipientFault reports whether a delivery error is the recipient's doing
// (see mailbox.SMTPError.RecipientFault). An error that does not say is
// taken to be ours: a parent is never flagged unreachable on a guess.
func recipientFault(err error) bool {
	var rf interface{ RecipientFault() bool }
	return errors.As(err, &rf) && rf.RecipientFault()
}

// heldReason is the last_error of mail held for the server's sake: the
// server's own answer when it gave one (mailbox.SMTPError.Answer).
func heldReason(err error) string {
	var a interface {
		Answer() string
		Replied() bool
	}
	if errors.As(err, &a) {
		if a.Replied() {
			return HeldByServerPrefix + "server refused: " + a.Answer()
		}
		return HeldByServerPrefix + "not sent: " + a.Answer()
	}
	return HeldByServerPrefix + "not sent: " + err.Error()
}

// holdForServer holds a message our own mail server refused (the
// transaction, our authentication, relaying, the connection) or that could
// not be handed to it within the attempts allowed. Nothing is blamed on the
// recipient; the mail waits for the operator: a daemon started with another
// SMTP configuration, or `complaintd outbox retry`, sends it again.
func (w *Workflow) holdForServer(ctx context.Context, it outboxItem, sendErr error, now time.Time) error {
	reason := heldReason(sendErr)
	config := w.transportConfig
	if config == "" {
		config = heldConfigUnknown
	}
	w.log.Error("mail held: our mail server did not take it; fix the SMTP settings or the server, "+
		"then restart the daemon or run: complaintd outbox retry "+fmt.Sprint(it.ID),
		"outbox", it.ID, "kind", it.Kind, "attempt", it.Attempts, "answer", strings.TrimPrefix(reason, HeldByServerPrefix))
	return w.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, claimed_until = NULL, last_error = ?, held_config = ?
			WHERE id = ?`, OutboxHeld, reason, config, it.ID); err != nil {
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
		if !it.CaseID.Valid {
			return nil
		}
		return addEvent(ctx, w.db, it.CaseID.Int64, now, EventHeld, "",
			fmt.Sprintf("%s to %s (outbox #%d) %s", it.Kind, it.RcptTo, it.ID, reason))
	})
}

// RetryHeldOnConfigChange puts mail held by our server's refusal back in the
// queue when it was held under another SMTP configuration than the one this
// workflow runs with: the operator changed something, so it may now go
// through. Each such message gets a fresh set of attempts. A daemon calls it
// at start-up; it reports how many messages it released.
func (w *Workflow) RetryHeldOnConfigChange(ctx context.Context) (int64, error) {
	if w.transportConfig == "" {
		return 0, nil
	}
	n, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, attempts = 0, held_config = ''
		WHERE state = ? AND held_config <> '' AND held_config <> ? AND length(raw) > 0`,
		OutboxQueued, OutboxHeld, w.transportConfig)
	if err != nil {
		return 0, fmt.Errorf("workflow: retry held mail: %w", err)
	}
	if n > 0 {
		w.log.Info("the SMTP configuration changed: mail held by the server's refusal is sent again", "messages", n)
		w.wakeOutbox()
	}
	return n, nil
}

// OutboxStates are the states an outbox row can be in.
var OutboxStates = []string{OutboxQueued, OutboxSending, OutboxSent, OutboxFailed, OutboxHeld, OutboxBounced}

// OutboxEntry is one outgoing message, for `complaintd outbox list`.
type OutboxEntry struct {
	ID            int64          `db:"id"`
	CaseRef       sql.NullString `db:"reference"`
	Kind          string         `db:"kind"`
	Recipient     string         `db:"rcpt_to"`
	State         string         `db:"state"`
	Attempts      int            `db:"attempts"`
	LastError     string         `db:"last_error"`
	HeldConfig    string         `db:"held_config"`
	CreatedAt     time.Time      `db:"created_at"`
	NextAttemptAt time.Time      `db:"next_attempt_at"`
	SentAt        sql.NullTime   `db:"sent_at"`
}

// HeldByServer reports whether the message is held because our mail server
// refused it (not by the loop breaker).
func (e OutboxEntry) HeldByServer() bool { return e.State == OutboxHeld && e.HeldConfig != "" }

// ErrOutboxNotFound is returned for an outbox id that does not exist.
var ErrOutboxNotFound = errors.New("workflow: no such outgoing message")

// ErrNotRetryable is returned when asked to retry mail that is not held or
// failed.
var ErrNotRetryable = errors.New("workflow: only held or failed mail can be retried")

// Outbox lists outgoing messages, oldest first; state "" means all.
func (w *Workflow) Outbox(ctx context.Context, state string) ([]OutboxEntry, error) {
	if state != "" && !slices.Contains(OutboxStates, state) {
		return nil, fmt.Errorf("workflow: unknown outbox state %q (one of %s)", state, strings.Join(OutboxStates, ", "))
	}
	q := `SELECT o.id, c.reference, o.kind, o.rcpt_to, o.state, o.attempts, o.last_error, o.held_config,
		o.created_at, o.next_attempt_at, o.sent_at
		FROM outbox o LEFT JOIN cases c ON c.id = o.case_id`
	var args []any
	if state != "" {
		q += ` WHERE o.state = ?`
		args = append(args, state)
	}
	var out []OutboxEntry
	if err := w.db.Select(ctx, &out, q+` ORDER BY o.id`, args...); err != nil {
		return nil, fmt.Errorf("workflow: list outbox: %w", err)
	}
	return out, nil
}

// Retried mail keeps its next_attempt_at, which lies in the past (it was
// due when it was last tried, or when the loop breaker held it back): it is
// due at once, whatever the clock of the process that asks.

// RetryOutbox puts one held or failed message back in the queue with a fresh
// set of attempts; a running daemon sends it once, within a minute. Mail held
// back by the loop breaker can be released this way too: the operator
// decided.
func (w *Workflow) RetryOutbox(ctx context.Context, id int64) error {
	n, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, attempts = 0, held_config = ''
		WHERE id = ? AND state IN (?, ?) AND length(raw) > 0`, OutboxQueued, id, OutboxHeld, OutboxFailed)
	if err != nil {
		return fmt.Errorf("workflow: retry outbox %d: %w", id, err)
	}
	if n == 1 {
		w.wakeOutbox()
		return nil
	}
	var row struct {
		State string `db:"state"`
		Size  int64  `db:"size"`
	}
	err = w.db.Get(ctx, &row, `SELECT state, length(raw) AS size FROM outbox WHERE id = ?`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: #%d", ErrOutboxNotFound, id)
	case err != nil:
		return fmt.Errorf("workflow: retry outbox %d: %w", id, err)
	case row.Size == 0: // its case was anonymised: nothing is left to send
		return fmt.Errorf("%w: #%d: its content was removed when its case was anonymised", ErrNotRetryable, id)
	}
	return fmt.Errorf("%w: #%d is %s", ErrNotRetryable, id, row.State)
}

// RetryAllHeld puts every message held by our server's refusal back in the
// queue, and reports how many. Mail the loop breaker held back stays held:
// releasing a loop in bulk would restart it.
func (w *Workflow) RetryAllHeld(ctx context.Context) (int64, error) {
	n, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, attempts = 0, held_config = ''
		WHERE state = ? AND held_config <> '' AND length(raw) > 0`, OutboxQueued, OutboxHeld)
	if err != nil {
		return 0, fmt.Errorf("workflow: retry held mail: %w", err)
	}
	if n > 0 {
		w.wakeOutbox()
	}
	return n, nil
}
