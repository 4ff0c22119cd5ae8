package workflow

import (
	"context"
	"fmt"
	"time"
)

// DueForget is scheduled work, at most once a day: mail that belongs to no
// case — in: auto-replies, spam and other messages ignored or acted on
// without a case; out: digests and other staff mail — is emptied once it is
// older than the retention period. Digests name cases and measures; an
// ignored message may be anyone's. Quarantined messages stay: they are the
// operator's to judge (complaintd quarantine).
const DueForget = "forget"

// caselessOld are the conditions of mail without a case that is past the
// retention period at a cutoff (one ? each), in and out.
const (
	caselessIn = `case_id IS NULL AND anonymised_at IS NULL AND state IN (?, ?) AND created_at < ? AND length(raw) > 0
		AND id NOT IN (SELECT ledger_id FROM messages WHERE ledger_id IS NOT NULL)`
	caselessOut = `case_id IS NULL AND state IN (?, ?, ?) AND created_at < ? AND length(raw) > 0`
)

func (w *Workflow) caselessCutoff(now time.Time) time.Time {
	return now.AddDate(0, -w.set.Privacy.AnonymiseAfterMonths, 0)
}

// forgetDues is the day's emptying of old mail without a case, when there
// is any.
func (w *Workflow) forgetDues(ctx context.Context, now time.Time) ([]Due, error) {
	cutoff := w.caselessCutoff(now)
	var n []int
	if err := w.db.Select(ctx, &n, `SELECT 1 FROM ledger WHERE `+caselessIn+` LIMIT 1`, LedgerProcessed, LedgerIgnored, cutoff); err != nil {
		return nil, fmt.Errorf("workflow: retention: %w", err)
	}
	if len(n) == 0 {
		if err := w.db.Select(ctx, &n, `SELECT 1 FROM outbox WHERE `+caselessOut+` LIMIT 1`,
			OutboxSent, OutboxFailed, OutboxBounced, cutoff); err != nil {
			return nil, fmt.Errorf("workflow: retention: %w", err)
		}
	}
	if len(n) == 0 {
		return nil, nil
	}
	loc := w.set.Organisation.Location
	y, m, d := now.In(loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return []Due{{Key: "forget/" + day.Format(time.DateOnly), Kind: DueForget, At: day,
		What: fmt.Sprintf("empty mail that belongs to no case and is older than %d months (digests, ignored messages)",
			w.set.Privacy.AnonymiseAfterMonths)}}, nil
}

// forgetCaseless empties old mail without a case, in the scheduler's
// transaction. The rows stay (the ledger's digest and state, the outbox's
// recipient and dates), as for an anonymised case.
func (w *Workflow) forgetCaseless(ctx context.Context) (string, error) {
	now := w.clock.Now()
	cutoff := w.caselessCutoff(now)
	in, err := w.db.Exec(ctx, `UPDATE ledger SET raw = ?, anonymised_at = ?,
		reason = CASE WHEN reason LIKE '%@%' THEN 'anonymised' ELSE reason END WHERE `+caselessIn,
		[]byte{}, now, LedgerProcessed, LedgerIgnored, cutoff)
	if err != nil {
		return "", fmt.Errorf("workflow: retention: %w", err)
	}
	out, err := w.db.Exec(ctx, `UPDATE outbox SET raw = ?, last_error = '' WHERE `+caselessOut,
		[]byte{}, OutboxSent, OutboxFailed, OutboxBounced, cutoff)
	if err != nil {
		return "", fmt.Errorf("workflow: retention: %w", err)
	}
	note := fmt.Sprintf("emptied %d message(s) in and %d out that belonged to no case, received or sent before %s",
		in, out, cutoff.In(w.set.Organisation.Location).Format(time.DateOnly))
	w.log.Info("old mail without a case emptied", "inbound", in, "outbound", out, "before", cutoff)
	return note, nil
}
