package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The "complainant unreachable" flag follows the facts (issue 11): it is
// set when mail to the parent bounces or is refused, and cleared when the
// parent writes, when mail to them is accepted again and not returned, or
// when a handler says so with #bereikbaar (after a phone call, say).

// EventReachable records that the complainant can be reached by email again.
const EventReachable = "reachable"

// EventSafeguarding records a handler's #veiligheid: the case touches a
// child's safety, or no longer does.
const EventSafeguarding = "safeguarding"

// DueReachable: mail to a complainant flagged unreachable was accepted and
// has not come back.
const DueReachable = "reachable"

// reachableAfter is how long mail to the parent must stay unreturned before
// it counts as arrived. A recipient's server that refuses an address
// returns the mail within minutes; a day leaves room for slow queues.
const reachableAfter = 24 * time.Hour

// clearUnreachable lifts the flag and puts why on the case's timeline.
func clearUnreachable(ctx context.Context, db Database, c *Case, actor, why string, now time.Time) error {
	if !c.Unreachable {
		return nil
	}
	if _, err := db.Exec(ctx, `UPDATE cases SET unreachable = ?, updated_at = ? WHERE id = ?`, false, now, c.ID); err != nil {
		return fmt.Errorf("workflow: case %s reachable: %w", c.Reference, err)
	}
	c.Unreachable = false
	return addEvent(ctx, db, c.ID, now, EventReachable, actor, why)
}

// parentWrote clears the flag when the complainant writes on their case
// from their own address. A message failing DMARC proves nothing about who
// sent it and leaves the flag as it is.
func (w *Workflow) parentWrote(ctx context.Context, c *Case, from string, unverified bool) error {
	if !c.Unreachable || unverified || !strings.EqualFold(from, c.ComplainantEmail) {
		return nil
	}
	return clearUnreachable(ctx, w.db, c, from, "the complainant wrote from "+from+"; the flag complainant-unreachable is cleared", w.clock.Now())
}

// reachableDues lists flagged cases whose complainant was sent mail, after
// the last failure, that was accepted at least reachableAfter ago and has
// not been returned (a returned message is in state bounced).
func (w *Workflow) reachableDues(ctx context.Context, now time.Time) ([]Due, error) {
	var rows []struct {
		CaseID    int64     `db:"case_id"`
		Reference string    `db:"reference"`
		OutboxID  int64     `db:"id"`
		SentAt    time.Time `db:"sent_at"`
	}
	if err := w.db.Select(ctx, &rows, `SELECT o.case_id, c.reference, o.id, o.sent_at FROM outbox o JOIN cases c ON c.id = o.case_id
		WHERE c.unreachable = ? AND LOWER(o.rcpt_to) = LOWER(c.complainant_email) AND o.state = ? AND o.sent_at <= ?
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id AND e.kind IN (?, ?) AND e.at >= o.sent_at)
		ORDER BY o.id`, true, OutboxSent, now.Add(-reachableAfter), EventBounce, EventDeliveryFailed); err != nil {
		return nil, fmt.Errorf("workflow: due: %w", err)
	}
	var dues []Due
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.CaseID] {
			continue
		}
		seen[r.CaseID] = true
		dues = append(dues, Due{Key: fmt.Sprintf("reachable/%d/%d", r.CaseID, r.OutboxID), Kind: DueReachable,
			At: r.SentAt.Add(reachableAfter), CaseID: r.CaseID, Reference: r.Reference,
			What: "mail to the complainant was accepted and not returned: clear complainant-unreachable"})
	}
	return dues, nil
}
