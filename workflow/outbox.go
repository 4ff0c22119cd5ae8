package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Outbox states.
const (
	OutboxQueued  = "queued"  // waiting for its (next) attempt
	OutboxSending = "sending" // claimed by a daemon; back in play when it is gone, or after claimed_until
	OutboxSent    = "sent"
	OutboxFailed  = "failed"  // the recipient refused for good, or out of attempts
	OutboxHeld    = "held"    // held back by the loop breaker, or held because our mail server refused it (last_error says which)
	OutboxBounced = "bounced" // accepted by our server, later returned by the recipient's
)

// claimTTL is how long a claimed message is left to its daemon while that
// daemon lives. A daemon that dies mid-send leaves the row claimed; its
// claim is void as soon as its session is known to be gone (claimFree), and
// after this lease in any case, e.g. for a daemon stuck in a send (mail is
// delivered at least once, never lost).
const claimTTL = 5 * time.Minute

// recordTimeout bounds the one commit that usually records a sent mail
// (a transaction as a whole is bounded only by its context; on SQLite its
// BEGIN would otherwise wait out the busy timeout). After it, the
// acceptance is recorded on its own first.
const recordTimeout = 5 * time.Second

// claimBatch is how many messages one pass claims: one set of attempts
// and, usually, one or two statements marking them sent. It holds what a
// grouped batch of 100 complaints queues (two mails each with one handler)
// in one pass: at 64, passes of four claims each took twice the outbox's
// time and database work per mail.
const claimBatch = 256

// inlineRaw is the largest message whose bytes come back with its claim;
// larger ones are read one at a time, so a batch never holds much memory
// (claimBatch × inlineRaw = 16 MB at most).
const inlineRaw = 64 << 10

// outboxItem is a claimed outgoing message.
type outboxItem struct {
	ID       int64         `db:"id"`
	CaseID   sql.NullInt64 `db:"case_id"`
	Kind     string        `db:"kind"`
	MailFrom string        `db:"mail_from"`
	RcptTo   string        `db:"rcpt_to"`
	Attempts int           `db:"attempts"`
	Raw      []byte        `db:"raw"` // nil when larger than inlineRaw
	session  int64         // the session that claimed it
	attempt  int64         // this attempt's outbox_attempts row, once started
	// claimedUntil is the claim's lease, as claimed or handed over by a
	// group (outbox_handover.go), or as last renewed (outbox_lease.go).
	claimedUntil time.Time
}

// RunOutbox delivers queued mail until ctx ends: a pass whenever something
// is queued (Process wakes it) or a retry falls due.
func (w *Workflow) RunOutbox(ctx context.Context) error {
	if w.transport == nil {
		return errors.New("workflow: outbox: no transport")
	}
	// Groups hand their mail over while the loop runs; what waits when it
	// stops is put back in the queue.
	w.handover.open()
	defer w.closeHandover(ctx)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.outboxWake:
		case <-timer.C:
		}
		n, err := w.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("outbox pass failed", "err", err)
		}
		wait := time.Minute
		if n > 0 && err == nil {
			wait = 0 // there may be more
		} else if next, ok := w.nextDue(ctx); ok {
			wait = min(max(next.Sub(w.clock.Now()), 0), time.Minute)
		}
		timer.Reset(wait)
	}
}

// DeliverDue sends the messages that are due now and reports how many it
// tried. Each attempt is recorded before the message is sent: when it is
// claimed, or for mail a group handed over (outbox_handover.go), when it
// was written. A pass sends handed-over mail or claims; after a pass that
// sent handed-over mail the next claims first, so queued mail is not left
// waiting behind a steady stream of groups.
func (w *Workflow) DeliverDue(ctx context.Context) (int, error) {
	if w.transport == nil {
		return 0, errors.New("workflow: outbox: no transport")
	}
	if !w.handover.claimFirst() {
		if items := w.takeHanded(ctx); len(items) > 0 {
			return w.sendHanded(ctx, items, true)
		}
	}
	w.putBackStale(ctx)
	n, err := w.deliverClaimed(ctx)
	if n > 0 || err != nil {
		w.handover.setClaimNext(false)
		return n, err
	}
	return w.sendHanded(ctx, w.takeHanded(ctx), false)
}

// sendHanded sends handed-over mail; claimNext is what the next pass does
// first.
func (w *Workflow) sendHanded(ctx context.Context, items []outboxItem, claimNext bool) (int, error) {
	w.handover.setClaimNext(claimNext && len(items) > 0)
	if len(items) == 0 {
		return 0, nil
	}
	defer w.handover.done(items)
	return w.send(ctx, items)
}

// deliverClaimed claims due mail and sends it.
func (w *Workflow) deliverClaimed(ctx context.Context) (int, error) {
	if err := w.finishAccepted(ctx); err != nil {
		return 0, err
	}
	// The claim and the set's attempts commit together, before any is
	// sent; the sent marks follow in sets too (sentRecorder).
	var items []outboxItem
	err := w.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if items, err = w.claim(ctx); err != nil || len(items) == 0 {
			return err
		}
		return w.startAttempts(ctx, items)
	})
	if err != nil || len(items) == 0 {
		return 0, err
	}
	return w.send(ctx, items)
}

// send delivers claimed mail whose attempts are recorded, and reports how
// many it tried. Before each send, a claim made claimRecheck ago or longer
// is confirmed and renewed (keepClaims): mail whose claim is no longer ours
// is not sent, nor counted. When ctx ends (the daemon stops), what was not
// tried is put back.
func (w *Workflow) send(ctx context.Context, items []outboxItem) (int, error) {
	rec := w.newSentRecorder(ctx)
	// As many sends at once as the transport has connections: a server
	// that stalls on one message holds up only that one.
	slots := make(chan struct{}, w.sendConnections())
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	failed := func() error {
		mu.Lock()
		defer mu.Unlock()
		return firstErr
	}
	// stop ends the pass before items[i], which is not sent: what was
	// started is finished, what was not is put back.
	stop := func(i int, err error) (int, error) {
		wg.Wait()
		recErr := rec.close()
		// Unclaim what was not tried, so the next run does not wait for claimTTL.
		w.release(context.WithoutCancel(ctx), items[i:])
		if err == nil {
			err = failed()
		}
		if err == nil {
			err = recErr
		}
		if err == nil {
			err = ctx.Err()
		}
		return i, err
	}
	for i := 0; i < len(items); i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil || failed() != nil {
			if ctx.Err() == nil {
				<-slots
			}
			return stop(i, nil)
		}
		if items[i].recheckDue(w.clock.Now()) {
			kept, err := w.keepClaims(ctx, items, i)
			if err != nil {
				<-slots
				return stop(i, err)
			}
			if items = kept; i == len(items) {
				<-slots
				break
			}
		}
		it := items[i]
		wg.Go(func() {
			defer func() { <-slots }()
			if err := w.deliver(ctx, it, rec); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	recErr := rec.close()
	if err := failed(); err != nil {
		return len(items), err
	}
	return len(items), recErr
}

// sendConnections is how many messages the transport takes at once.
func (w *Workflow) sendConnections() int {
	if p, ok := w.transport.(interface{ Connections() int }); ok && p.Connections() > 1 {
		return p.Connections()
	}
	return 1
}

// claim takes up to claimBatch due messages for this daemon, recording its
// session on each.
func (w *Workflow) claim(ctx context.Context) ([]outboxItem, error) {
	session, err := w.db.Session(ctx)
	if err != nil {
		return nil, fmt.Errorf("workflow: outbox claim: %w", err)
	}
	now := w.clock.Now()
	lock := w.db.SkipLocked() // several daemons: each takes different rows
	// One statement, so atomic without a transaction of its own.
	var items []outboxItem
	err = w.db.Select(ctx, &items, `UPDATE outbox SET state = ?, attempts = attempts + 1, claimed_until = ?, claimed_by = ?
			WHERE id IN (SELECT id FROM outbox
				WHERE ((state = ? AND next_attempt_at <= ?) OR (state = ? AND `+w.claimFree()+`))
				AND NOT (`+acceptedAttempt+`)
				ORDER BY id LIMIT ?`+lock+`)
			RETURNING id, case_id, kind, mail_from, rcpt_to, attempts,
				CASE WHEN length(raw) <= ? THEN raw END AS raw`,
		OutboxSending, now.Add(claimTTL), session, OutboxQueued, now, OutboxSending, now, claimBatch, inlineRaw)
	if err != nil {
		return nil, fmt.Errorf("workflow: outbox claim: %w", err)
	}
	for i := range items {
		items[i].session, items[i].claimedUntil = session, now.Add(claimTTL)
	}
	// RETURNING gives rows in no particular order; send oldest first.
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].ID < items[j-1].ID; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
	return items, nil
}

// claimFree is the condition (one placeholder: now) under which a claimed
// row may be claimed again: its daemon is gone — on SQLite, which one daemon
// owns, any claim but ours is a dead daemon's; on PostgreSQL the claimant's
// session lock is no longer held — or its lease ran out.
func (w *Workflow) claimFree() string {
	return `(claimed_until < ? OR ` + w.db.SessionGone("outbox.claimed_by") + `)`
}

// deliver sends one claimed message and records what happened: first
// that an attempt starts (nothing is sent without that record), then the
// server's answer, then the row's new state.
func (w *Workflow) deliver(ctx context.Context, it outboxItem, rec *sentRecorder) error {
	raw := it.Raw
	if raw == nil {
		if err := w.db.Get(ctx, &raw, `SELECT raw FROM outbox WHERE id = ?`, it.ID); err != nil {
			w.release(context.WithoutCancel(ctx), []outboxItem{it})
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
	}
	attempt := it.attempt
	// A send that has started is finished even when the daemon is asked to
	// stop: cutting it off after the server took the message would send it
	// twice after the restart. The transport's own timeouts bound it.
	rctx := context.WithoutCancel(ctx)
	sendErr := w.transport.Send(rctx, it.MailFrom, strings.Split(it.RcptTo, ","), raw)
	now := w.clock.Now()
	log := w.log.With("outbox", it.ID, "kind", it.Kind, "attempt", it.Attempts)
	if sendErr == nil {
		log.Info("mail sent")
		// The server has taken the message: from here on it must never be
		// sent again. The recorder marks it sent, with others in one
		// statement.
		rec.accepted(it)
		return nil
	}
	var temp interface{ Temporary() bool }
	temporary := errors.As(sendErr, &temp) && temp.Temporary()
	outcome := AttemptRefused
	switch {
	case temporary && it.Attempts < w.set.SendAttempts:
		outcome = AttemptDeferred
	case !recipientFault(sendErr):
		outcome = AttemptHeld
	}
	if err := w.finishAttempt(rctx, attempt, outcome, sendErr.Error(), now); err != nil {
		log.Warn("the server's answer to an attempt was not recorded", "err", err)
	}
	switch outcome {
	case AttemptDeferred:
		next := now.Add(retryDelay(it.Attempts))
		log.Warn("mail not sent, will retry", "err", sendErr, "next", next)
		if _, err := w.db.Exec(rctx, `UPDATE outbox SET state = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ?
			WHERE id = ?`, OutboxQueued, next, sendErr.Error(), it.ID); err != nil {
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
		return nil
	case AttemptHeld:
		// Our server refused our mail, or we never reached it: the
		// operator must act, and the recipient is not to blame.
		return w.holdForServer(rctx, it, sendErr, now)
	}
	log.Error("mail failed for good: the recipient was refused", "err", sendErr)
	return w.db.InTx(rctx, func(ctx context.Context) error {
		if _, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, claimed_until = NULL, last_error = ? WHERE id = ?`,
			OutboxFailed, sendErr.Error(), it.ID); err != nil {
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
		return w.onFailed(ctx, it, sendErr, now)
	})
}

// markSent records that a message went out, with what that changes on its
// case; when attempt is not 0, also that attempt's acceptance, atomically
// (the usual way: one commit for both).
func (w *Workflow) markSent(ctx context.Context, it outboxItem, now time.Time, attempt int64) error {
	if w.db.ModifyingCTEs() {
		// One statement (data-modifying CTEs): atomic without a
		// transaction's extra round trips.
		with, args := "", []any{}
		if attempt != 0 {
			with = `a AS (UPDATE outbox_attempts SET outcome = ?, answer = ?, finished_at = ? WHERE id = ?), `
			args = []any{AttemptAccepted, acceptedAnswer, now, attempt}
		}
		if it.Kind == MsgConfirmation {
			return w.confirmationSent(ctx, it, now, with, args)
		}
		q := `UPDATE outbox SET state = ?, sent_at = ?, claimed_until = NULL, last_error = '' WHERE id = ?`
		if with != "" {
			q = `WITH ` + strings.TrimSuffix(with, ", ") + ` ` + q
		}
		if _, err := w.db.Exec(ctx, q, append(args, OutboxSent, now, it.ID)...); err != nil {
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
		return nil
	}
	markSent := func(ctx context.Context) error {
		if attempt != 0 {
			if err := w.finishAttempt(ctx, attempt, AttemptAccepted, acceptedAnswer, now); err != nil {
				return err
			}
		}
		if _, err := w.db.Exec(ctx, `UPDATE outbox SET state = ?, sent_at = ?, claimed_until = NULL, last_error = ''
			WHERE id = ?`, OutboxSent, now, it.ID); err != nil {
			return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
		}
		return w.onSent(ctx, it, now)
	}
	if attempt == 0 && it.Kind != MsgConfirmation {
		return markSent(ctx) // one statement: no transaction needed
	}
	return w.db.InTx(ctx, markSent)
}

// retryDelay is the wait before attempt n+1: one minute, doubling, at most an hour.
func retryDelay(attempts int) time.Duration {
	d := time.Minute
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// ackDetail is the timeline entry of a case whose confirmation went out.
const ackDetail = StatusReceived + " → " + StatusAcknowledged + " (confirmation sent)"

// confirmationSent is markSent with onSent for a confirmation, as one
// PostgreSQL statement (data-modifying CTEs): the same three changes,
// atomic, without a transaction's extra round trips; with (a CTE ending in
// ", ") and its args come first. SQLite has no data-modifying CTEs and uses
// the transaction.
func (w *Workflow) confirmationSent(ctx context.Context, it outboxItem, now time.Time, with string, args []any) error {
	_, err := w.db.Exec(ctx, `WITH `+with+`o AS (
			UPDATE outbox SET state = ?, sent_at = ?, claimed_until = NULL, last_error = '' WHERE id = ? RETURNING case_id),
		c AS (
			UPDATE cases SET status = ?, updated_at = ? WHERE id = (SELECT case_id FROM o) AND status = ? RETURNING id)
		INSERT INTO events (case_id, at, kind, actor, detail) SELECT id, ?, ?, '', ? FROM c`,
		append(args, OutboxSent, now, it.ID, StatusAcknowledged, now, StatusReceived,
			now, EventStatus, ackDetail)...)
	if err != nil {
		return fmt.Errorf("workflow: outbox %d: %w", it.ID, err)
	}
	return nil
}

// onSent is what a delivery changes on its case: a sent confirmation means
// receipt is confirmed. (The outbox row itself records when it was sent.)
func (w *Workflow) onSent(ctx context.Context, it outboxItem, now time.Time) error {
	if it.Kind != MsgConfirmation || !it.CaseID.Valid {
		return nil
	}
	n, err := w.db.Exec(ctx, `UPDATE cases SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
		StatusAcknowledged, now, it.CaseID.Int64, StatusReceived)
	if err != nil || n == 0 {
		return err
	}
	return addEvent(ctx, w.db, it.CaseID.Int64, now, EventStatus, "", ackDetail)
}

// onFailed records a failed delivery. Mail the complainant cannot receive
// flags the case, so handlers know to reach the parent another way.
func (w *Workflow) onFailed(ctx context.Context, it outboxItem, sendErr error, now time.Time) error {
	if !it.CaseID.Valid {
		return nil
	}
	if err := addEvent(ctx, w.db, it.CaseID.Int64, now, EventDeliveryFailed, "",
		fmt.Sprintf("%s to %s (outbox #%d): %v", it.Kind, it.RcptTo, it.ID, sendErr)); err != nil {
		return err
	}
	c, err := caseByID(ctx, w.db, it.CaseID.Int64)
	if err != nil {
		return err
	}
	if strings.EqualFold(it.RcptTo, c.ComplainantEmail) && !c.Unreachable {
		return setUnreachable(ctx, w.db, &c, now)
	}
	return nil
}

// nextDue is when the next queued message falls due, or a claim runs out.
// (Rows rather than MIN(): SQLite gives an aggregate of a time column back as
// text, a plain column as a time.)
func (w *Workflow) nextDue(ctx context.Context) (time.Time, bool) {
	var next []time.Time
	err := w.db.Select(ctx, &next, `SELECT t FROM (
		SELECT next_attempt_at AS t FROM outbox WHERE state = ? ORDER BY next_attempt_at LIMIT 1) AS q
		UNION ALL SELECT t FROM (
		SELECT claimed_until AS t FROM outbox WHERE state = ? ORDER BY claimed_until LIMIT 1) AS c`,
		OutboxQueued, OutboxSending)
	if err != nil || len(next) == 0 {
		return time.Time{}, false
	}
	return slices.MinFunc(next, time.Time.Compare), true
}
