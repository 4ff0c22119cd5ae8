package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// markDelay is how long an accepted mail waits for others to be recorded
// with it in one statement. A daemon lost within it sends the mail again
// after its restart (recorded as "possibly delivered twice"), as it always
// could between the server's acceptance and the commit recording it; the
// delay widens that window by at most this much.
const markDelay = 20 * time.Millisecond

// startAttempts records, in one statement, that the claimed rows are about
// to be handed to the server, and sets each item's attempt id. Earlier
// attempts still marked sending belong to a daemon that is gone (this one
// holds the claims): their outcome is unknown, and this attempt may deliver
// the mail a second time.
func (w *Workflow) startAttempts(ctx context.Context, items []outboxItem) error {
	now := w.clock.Now()
	var retried []any
	for _, it := range items {
		if it.Attempts > 1 {
			retried = append(retried, it.ID)
		}
	}
	if len(retried) > 0 {
		var lost []int64
		if err := w.db.Select(ctx, &lost, `UPDATE outbox_attempts SET outcome = ?, answer = ?, finished_at = ?
			WHERE outbox_id IN (`+placeholders(len(retried))+`) AND outcome = ? RETURNING outbox_id`,
			append(append([]any{AttemptUnknown, unknownAnswer, now}, retried...), AttemptSending)...); err != nil {
			return fmt.Errorf("workflow: outbox attempts: %w", err)
		}
		for _, id := range lost {
			w.log.Warn("an earlier attempt's answer is unknown (its daemon was lost mid-send); sending again may deliver the mail twice",
				"outbox", id)
		}
	}
	return insertAttempts(ctx, w.db, items, now)
}

// insertAttempts records with one statement that items are about to be
// handed to the server, as attempt it.Attempts under it.session, and sets
// each item's attempt id.
func insertAttempts(ctx context.Context, db Database, items []outboxItem, now time.Time) error {
	if len(items) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome) VALUES `)
	args := make([]any, 0, 5*len(items))
	for i, it := range items {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
		args = append(args, it.ID, it.Attempts, it.session, now, AttemptSending)
	}
	q.WriteString(` RETURNING id, outbox_id`)
	var rows []struct {
		ID     int64 `db:"id"`
		Outbox int64 `db:"outbox_id"`
	}
	if err := db.Select(ctx, &rows, q.String(), args...); err != nil {
		return fmt.Errorf("workflow: outbox attempts: %w", err)
	}
	ids := make(map[int64]int64, len(rows))
	for _, r := range rows {
		ids[r.Outbox] = r.ID
	}
	for i := range items {
		if items[i].attempt = ids[items[i].ID]; items[i].attempt == 0 {
			return fmt.Errorf("workflow: outbox %d: no attempt recorded", items[i].ID)
		}
	}
	return nil
}

// sentRecorder records accepted mail in sets: what the server took within
// markDelay of each other (at most a claim's worth) is marked sent with one
// statement and one commit.
type sentRecorder struct {
	w    *Workflow
	ch   chan outboxItem
	done chan struct{}
	mu   sync.Mutex
	err  error
}

func (w *Workflow) newSentRecorder(ctx context.Context) *sentRecorder {
	r := &sentRecorder{w: w, ch: make(chan outboxItem, claimBatch), done: make(chan struct{})}
	go r.run(context.WithoutCancel(ctx)) // what the server took is recorded even when the daemon stops
	return r
}

// accepted queues a mail the server took.
func (r *sentRecorder) accepted(it outboxItem) { r.ch <- it }

// close records what is queued and reports the first error.
func (r *sentRecorder) close() error {
	close(r.ch)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *sentRecorder) run(ctx context.Context) {
	defer close(r.done)
	for first := range r.ch {
		set := []outboxItem{first}
		timer := time.NewTimer(markDelay)
	collect:
		for len(set) < claimBatch {
			select {
			case it, ok := <-r.ch:
				if !ok {
					break collect
				}
				set = append(set, it)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		if err := r.record(ctx, set); err != nil {
			r.mu.Lock()
			if r.err == nil {
				r.err = err
			}
			r.mu.Unlock()
		}
	}
}

// record marks a set sent with one statement; when that fails (a database
// stall must not turn into a resend), each is recorded alone, the
// acceptance first, until it lands.
func (r *sentRecorder) record(ctx context.Context, set []outboxItem) error {
	w := r.w
	now := w.clock.Now()
	tctx, cancel := context.WithTimeout(ctx, recordTimeout)
	err := w.markSentSet(tctx, set, now)
	cancel()
	if err == nil {
		return nil
	}
	var first error
	for _, it := range set {
		log := w.log.With("outbox", it.ID, "kind", it.Kind, "attempt", it.Attempts)
		if err := w.recordSent(ctx, log, it, now); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// recordSent records one accepted mail: usually one commit for the
// acceptance and the sent state; when that fails, each is tried again until
// it lands, the acceptance first, in a table of its own, which the claim
// consults.
func (w *Workflow) recordSent(ctx context.Context, log *slog.Logger, it outboxItem, now time.Time) error {
	tctx, cancel := context.WithTimeout(ctx, recordTimeout)
	err := w.markSent(tctx, it, now, it.attempt)
	cancel()
	if err == nil {
		return nil
	}
	log.Warn("recording the sent mail failed; recording the server's acceptance first", "err", err)
	if err := w.persist(ctx, log, "the server's acceptance", func(ctx context.Context) error {
		return w.finishAttempt(ctx, it.attempt, AttemptAccepted, acceptedAnswer, now)
	}); err != nil {
		return err
	}
	return w.persist(ctx, log, "the sent state", func(ctx context.Context) error {
		return w.markSent(ctx, it, now, 0)
	})
}

// markSentSet is markSent for a set of accepted mails with their attempts:
// on PostgreSQL one statement (data-modifying CTEs), on SQLite one
// transaction. A sent confirmation acknowledges its case.
func (w *Workflow) markSentSet(ctx context.Context, set []outboxItem, now time.Time) error {
	ids := make([]any, len(set))
	attempts := make([]any, len(set))
	for i, it := range set {
		ids[i], attempts[i] = it.ID, it.attempt
	}
	in := placeholders(len(set))
	if w.db.ModifyingCTEs() {
		args := append([]any{AttemptAccepted, acceptedAnswer, now}, attempts...)
		args = append(append(append(args, OutboxSent, now), ids...), StatusAcknowledged, now, MsgConfirmation, StatusReceived, now, EventStatus, ackDetail)
		if _, err := w.db.Exec(ctx, `WITH a AS (
				UPDATE outbox_attempts SET outcome = ?, answer = ?, finished_at = ? WHERE id IN (`+in+`)),
			o AS (
				UPDATE outbox SET state = ?, sent_at = ?, claimed_until = NULL, last_error = '' WHERE id IN (`+in+`) RETURNING case_id, kind),
			c AS (
				UPDATE cases SET status = ?, updated_at = ? WHERE id IN (SELECT case_id FROM o WHERE kind = ?) AND status = ? RETURNING id)
			INSERT INTO events (case_id, at, kind, actor, detail) SELECT id, ?, ?, '', ? FROM c`, args...); err != nil {
			return fmt.Errorf("workflow: outbox: %d sent: %w", len(set), err)
		}
		return nil
	}
	var confirmed []any
	for _, it := range set {
		if it.Kind == MsgConfirmation && it.CaseID.Valid {
			confirmed = append(confirmed, it.CaseID.Int64)
		}
	}
	return w.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := w.db.Exec(ctx, `UPDATE outbox_attempts SET outcome = ?, answer = ?, finished_at = ? WHERE id IN (`+in+`)`,
			append([]any{AttemptAccepted, acceptedAnswer, now}, attempts...)...); err != nil {
			return fmt.Errorf("workflow: outbox: %d sent: %w", len(set), err)
		}
		if _, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, sent_at = ?, claimed_until = NULL, last_error = '' WHERE id IN (`+in+`)`,
			append([]any{OutboxSent, now}, ids...)...); err != nil {
			return fmt.Errorf("workflow: outbox: %d sent: %w", len(set), err)
		}
		if len(confirmed) == 0 {
			return nil
		}
		var acked []int64
		if err := w.db.Select(ctx, &acked, `UPDATE cases SET status = ?, updated_at = ? WHERE id IN (`+placeholders(len(confirmed))+`)
			AND status = ? RETURNING id`, append(append([]any{StatusAcknowledged, now}, confirmed...), StatusReceived)...); err != nil {
			return fmt.Errorf("workflow: outbox: %d sent: %w", len(set), err)
		}
		if len(acked) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO events (case_id, at, kind, actor, detail) VALUES `)
		args := make([]any, 0, 4*len(acked))
		for i, id := range acked {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, '', ?)")
			args = append(args, id, now, EventStatus, ackDetail)
		}
		if _, err := w.db.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("workflow: outbox: %d sent: %w", len(set), err)
		}
		return nil
	})
}

// release puts claimed messages back without counting an attempt, and
// forgets the attempts started for them but never handed to the server.
// Only rows still claimed under the item's session go back: a claim whose
// lease ran out (handed-over mail that waited, a slow pass) may have been
// taken by another daemon, which is sending it; putting that back would
// have it claimed and sent again.
func (w *Workflow) release(ctx context.Context, items []outboxItem) {
	if len(items) == 0 {
		return
	}
	ids := make(map[int64][]any)
	var attempts []any
	for _, it := range items {
		ids[it.session] = append(ids[it.session], it.ID)
		if it.attempt != 0 {
			attempts = append(attempts, it.attempt)
		}
	}
	// One transaction, the rows first: a claimant that takes a row meanwhile
	// waits for it (or skips it), so either the row goes back with its
	// count lowered and our attempt forgotten, or the other claim came
	// first, marked our attempt unknown and keeps it, with the count that
	// includes it. Deleting the attempts first left a moment in which the
	// row, claimed by another, kept our count without our attempt.
	err := w.db.InTx(ctx, func(ctx context.Context) error {
		for session, ids := range ids {
			if _, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, attempts = attempts - 1, claimed_until = NULL, claimed_by = NULL
				WHERE id IN (`+placeholders(len(ids))+`) AND state = ? AND claimed_by = ?`,
				append(append([]any{OutboxQueued}, ids...), OutboxSending, session)...); err != nil {
				return err
			}
		}
		if len(attempts) == 0 {
			return nil
		}
		// Another claimant's claim has marked an attempt of ours unknown
		// in its own transaction: only ours still sending go.
		_, err := w.db.Exec(ctx, `DELETE FROM outbox_attempts WHERE id IN (`+placeholders(len(attempts))+`) AND outcome = ?`,
			append(attempts, AttemptSending)...)
		return err
	})
	if err != nil {
		// The rows stay claimed until their lease runs out or the session
		// is gone; then the next pass takes them again.
		w.log.Warn("could not put claimed mail back in the queue; it is taken again when its claim runs out", "mails", len(items), "err", err)
	}
}
