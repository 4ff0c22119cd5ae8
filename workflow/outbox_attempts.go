package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Outcomes of one attempt to send an outbox row (table outbox_attempts).
const (
	AttemptSending  = "sending"  // handed to the server; its answer not recorded yet
	AttemptAccepted = "accepted" // the server took the message (250 after the final dot)
	AttemptDeferred = "deferred" // a temporary refusal: tried again later
	AttemptHeld     = "held"     // our own server refused our mail: held for the operator
	AttemptRefused  = "refused"  // the recipient was refused for good
	AttemptUnknown  = "unknown"  // its daemon was lost before the answer was recorded
)

// acceptedAnswer is what an accepted attempt says.
const acceptedAnswer = "the server took the message"

// unknownAnswer is what an attempt whose daemon was lost mid-send says.
const unknownAnswer = "no answer recorded: the daemon sending it was lost; the server may have taken the message"

// acceptedAttempt is an SQL condition on an outbox row: the server has taken
// it on some attempt. Such a row is never claimed for sending again.
//
// It is a scalar subquery on purpose, not EXISTS: PostgreSQL turns an EXISTS
// into a join and may drive it from every accepted attempt ever recorded, a
// scan that grows with the history (at 24,000 sent mails finishAccepted's
// query read 118,000 buffers and took 244 ms, half the database's time in
// the benchmark). A scalar subquery stays a lookup per row (index
// outbox_attempts_outbox) for the few rows the other conditions leave; LIMIT
// 1 keeps its estimated cost, and so the plan's, low.
const acceptedAttempt = `(SELECT 1 FROM outbox_attempts a WHERE a.outbox_id = outbox.id AND a.outcome = '` + AttemptAccepted + `' LIMIT 1) IS NOT NULL`

// persistMaxDelay caps the wait between two tries of a record that must land.
const persistMaxDelay = 5 * time.Second

// finishAttempt records the server's answer to an attempt.
func (w *Workflow) finishAttempt(ctx context.Context, id int64, outcome, answer string, now time.Time) error {
	if _, err := w.db.Exec(ctx, `UPDATE outbox_attempts SET outcome = ?, answer = ?, finished_at = ? WHERE id = ?`,
		outcome, answer, now, id); err != nil {
		return fmt.Errorf("workflow: outbox attempt %d: %w", id, err)
	}
	return nil
}

// persist runs a write that must not be lost — what the server already
// took — and tries again, each time with a fresh query timeout and waiting
// 100 ms doubling to 5 s, until it lands or ctx (the daemon) ends.
func (w *Workflow) persist(ctx context.Context, log *slog.Logger, what string, write func(context.Context) error) error {
	delay := 100 * time.Millisecond
	for {
		err := write(context.WithoutCancel(ctx))
		if err == nil || ctx.Err() != nil {
			return err
		}
		log.Warn("recording "+what+" failed; trying again", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, persistMaxDelay)
	}
}

// finishAccepted marks sent the rows a server accepted whose daemon could
// not record it before it was gone: they are not sent again.
func (w *Workflow) finishAccepted(ctx context.Context) error {
	var items []outboxItem
	if err := w.db.Select(ctx, &items, `SELECT id, case_id, kind, mail_from, rcpt_to, attempts FROM outbox
		WHERE state = ? AND `+w.claimFree()+` AND `+acceptedAttempt+` ORDER BY id`,
		OutboxSending, w.clock.Now()); err != nil {
		return fmt.Errorf("workflow: outbox: %w", err)
	}
	for _, it := range items {
		var at time.Time
		if err := w.db.Get(ctx, &at, `SELECT finished_at FROM outbox_attempts WHERE outbox_id = ? AND outcome = ?
			ORDER BY id LIMIT 1`, it.ID, AttemptAccepted); err != nil {
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
		if err := w.markSent(ctx, it, at, 0); err != nil {
			return err
		}
		w.log.Info("mail the server had accepted is marked sent, not sent again", "outbox", it.ID, "kind", it.Kind)
	}
	return nil
}

// DeliveryAttempt is one attempt to send a mail, for the case file.
type DeliveryAttempt struct {
	Attempt int       `db:"attempt"`
	At      time.Time `db:"started_at"`
	Outcome string    `db:"outcome"`
	Answer  string    `db:"answer"`
}

// deliveryAttempts returns the attempts of an outbox row, oldest first.
func (w *Workflow) deliveryAttempts(ctx context.Context, outboxID int64) ([]DeliveryAttempt, error) {
	var as []DeliveryAttempt
	if err := w.db.Select(ctx, &as, `SELECT attempt, started_at, outcome, answer FROM outbox_attempts
		WHERE outbox_id = ? ORDER BY id`, outboxID); err != nil {
		return nil, fmt.Errorf("workflow: outbox %d attempts: %w", outboxID, err)
	}
	return as, nil
}

// deliveries counts what the attempts of one mail came to: how many the
// server accepted, and whether one more may have been delivered (an
// attempt whose answer is unknown beside one accepted).
func deliveries(as []DeliveryAttempt) (accepted int, maybeTwice bool) {
	unknown := 0
	for _, a := range as {
		switch a.Outcome {
		case AttemptAccepted:
			accepted++
		case AttemptUnknown:
			unknown++
		}
	}
	return accepted, accepted == 1 && unknown > 0
}

// secondDelivery says whether the attempts delivered a mail more than once,
// or may have: "" when not.
func secondDelivery(as []DeliveryAttempt) string {
	switch accepted, maybeTwice := deliveries(as); {
	case accepted > 1:
		return fmt.Sprintf("delivered %d times", accepted)
	case maybeTwice:
		return "possibly delivered twice: an earlier attempt's answer is unknown"
	}
	return ""
}
