package workflow

import (
	"context"
	"fmt"
	"time"
)

// A pass sends its mail one by one (or a few at once), and to a slow server
// that can take longer than a claim's lease: 256 mails at a few seconds
// each. Once the lease has run out, or the session the mail was claimed
// under is lost (on PostgreSQL its connection broke), another daemon may
// claim the mail and send it; this daemon must then not send it as well. So
// before each send the pass looks, on the clock, at how long ago the claim
// was made or last confirmed. Past claimRecheck, one statement confirms the
// claims on the pass's mail and renews their lease (keepClaims), and the
// mail whose claim is no longer this daemon's is not sent. A pass that ends
// within claimRecheck, nearly every one, costs nothing more.

// claimRecheck is how long a pass sends under a claim before it makes sure
// the claim is still its own and renews it. Well within claimTTL, so a
// renewed lease never runs low; it also bounds how long a pass goes on
// sending under a session it has lost.
const claimRecheck = 30 * time.Second

// recheckDue reports whether the claim on a mail about to be sent must be
// confirmed and renewed first: it was made, or last renewed, claimRecheck
// ago or longer.
func (it outboxItem) recheckDue(now time.Time) bool {
	return !now.Before(it.claimedUntil.Add(claimRecheck - claimTTL))
}

// keepClaims confirms that the claims on a pass's mail are still this
// daemon's and renews their lease, with one statement, before
// items[next] is sent. It renews those already handed to the server too:
// one the server took may be claimed again until it is marked sent. It
// returns the pass's items without the mail from next on whose claim is no
// longer ours: claimed under a session this daemon has lost, or taken by
// another daemon after the lease ran out. That mail is not sent; what this
// daemon recorded of it is undone (forgetClaims). The slice returned is
// new; items is left as it is.
func (w *Workflow) keepClaims(ctx context.Context, items []outboxItem, next int) ([]outboxItem, error) {
	session, err := w.db.Session(ctx)
	if err != nil {
		return nil, fmt.Errorf("workflow: outbox: confirm claims: %w", err)
	}
	until := w.clock.Now().Add(claimTTL)
	ids := make([]any, 0, len(items))
	for _, it := range items {
		if it.session == session {
			ids = append(ids, it.ID)
		}
	}
	renewed := make(map[int64]bool, len(ids))
	if len(ids) > 0 {
		var got []int64
		if err := w.db.Select(ctx, &got, `UPDATE outbox SET claimed_until = ? WHERE id IN (`+placeholders(len(ids))+`)
			AND claimed_by = ? AND state = ? RETURNING id`,
			append(append([]any{until}, ids...), session, OutboxSending)...); err != nil {
			return nil, fmt.Errorf("workflow: outbox: renew %d claims: %w", len(ids), err)
		}
		for _, id := range got {
			renewed[id] = true
		}
	}
	kept := make([]outboxItem, 0, len(items))
	var lost []outboxItem
	for i, it := range items {
		if renewed[it.ID] {
			it.claimedUntil = until
		} else if i >= next {
			w.log.Warn("outbox: the claim on this mail is no longer ours (its lease ran out, or the session was lost, and another daemon may be sending it); not sending it",
				"outbox", it.ID, "kind", it.Kind, "attempt", it.Attempts)
			lost = append(lost, it)
			continue
		}
		kept = append(kept, it)
	}
	w.forgetClaims(context.WithoutCancel(ctx), lost)
	return kept, nil
}

// forgetClaims undoes what this daemon recorded of mail it will not send
// because its claim is no longer ours: the row goes back to the queue if it
// is still claimed under the (lost) session, as release does, and this
// daemon's attempts are deleted even when the claimant that took the mail
// has marked them unknown: they never reached a server, and the case file
// would otherwise say the mail was possibly delivered twice.
func (w *Workflow) forgetClaims(ctx context.Context, items []outboxItem) {
	if len(items) == 0 {
		return
	}
	w.release(ctx, items)
	attempts := make([]any, 0, len(items))
	for _, it := range items {
		if it.attempt != 0 {
			attempts = append(attempts, it.attempt)
		}
	}
	if len(attempts) > 0 {
		_, _ = w.db.Exec(ctx, `DELETE FROM outbox_attempts WHERE id IN (`+placeholders(len(attempts))+`) AND outcome = ?`,
			append(attempts, AttemptUnknown)...)
	}
}
