package workflow

import (
	"context"
	"fmt"
	"time"
)

// DueForget is scheduled work, at most once a day: mail that belongs to no
// case — in: auto-replies, spam and other messages ignored or acted on
// without a case; out: digests and other staff mail — is emptied once it is
// older than the retention period, and the records of what an amplification
// limit held back (the throttled table) lose the sender's or handler's
// address. Digests name cases and measures; an ignored message may be
// anyone's; a throttled row names someone who wrote to us. Quarantined
// messages stay: they are the operator's to judge (complaintd quarantine).
const DueForget = "forget"

// caselessOld are the conditions of what belongs to no case and is past
// the retention period at a cutoff (one ? each): mail in and out, and the
// addresses in the throttled table.
const (
	caselessIn = `case_id IS NULL AND anonymised_at IS NULL AND state IN (?, ?) AND created_at < ? AND length(raw) > 0
		AND id NOT IN (SELECT ledger_id FROM messages WHERE ledger_id IS NOT NULL)`
	caselessOut       = `case_id IS NULL AND state IN (?, ?, ?) AND created_at < ? AND length(raw) > 0`
	caselessThrottled = `address <> '' AND at < ?`
)

func (w *Workflow) caselessCutoff(now time.Time) time.Time {
	return now.AddDate(0, -w.set.Privacy.AnonymiseAfterMonths, 0)
}

// throttledCutoff is caselessCutoff, but never inside the new-case limit's
// window: the limit still counts those rows by address.
func (w *Workflow) throttledCutoff(now time.Time) time.Time {
	cutoff := w.caselessCutoff(now)
	if inWindow := now.Add(-w.set.Flood.NewCasesWindow); inWindow.Before(cutoff) {
		return inWindow
	}
	return cutoff
}

// Caseless is what belongs to no case and is past the retention period at
// a moment: what the next forget/<day> empties (complaintd privacy due).
type Caseless struct {
	Before    time.Time // the cutoff: older than this
	Inbound   int       // raw messages in the ledger without a case
	Outbound  int       // raw messages in the outbox without a case
	Throttled int       // held-back records (throttled) that still name an address
	// LastDone and LastNote are the latest forget/<day> run and what it
	// emptied (zero and "" when it never ran).
	LastDone time.Time
	LastNote string
}

// Empty reports whether nothing is past the period.
func (c Caseless) Empty() bool { return c.Inbound+c.Outbound+c.Throttled == 0 }

// CaselessAt counts what belongs to no case and is past the retention
// period at now, and says when it was last emptied.
func (w *Workflow) CaselessAt(ctx context.Context, now time.Time) (Caseless, error) {
	c := Caseless{Before: w.caselessCutoff(now)}
	counts := []struct {
		n     *int
		query string
		args  []any
	}{
		{&c.Inbound, `SELECT COUNT(*) FROM ledger WHERE ` + caselessIn, []any{LedgerProcessed, LedgerIgnored, c.Before}},
		{&c.Outbound, `SELECT COUNT(*) FROM outbox WHERE ` + caselessOut, []any{OutboxSent, OutboxFailed, OutboxBounced, c.Before}},
		{&c.Throttled, `SELECT COUNT(*) FROM throttled WHERE ` + caselessThrottled, []any{w.throttledCutoff(now)}},
	}
	for _, q := range counts {
		if err := w.db.Get(ctx, q.n, q.query, q.args...); err != nil {
			return c, fmt.Errorf("workflow: retention: %w", err)
		}
	}
	var last []struct {
		At   time.Time `db:"created_at"`
		Note string    `db:"note"`
	}
	if err := w.db.Select(ctx, &last, `SELECT created_at, note FROM scheduled WHERE kind = ? ORDER BY created_at DESC LIMIT 1`, DueForget); err != nil {
		return c, fmt.Errorf("workflow: retention: %w", err)
	}
	if len(last) > 0 {
		c.LastDone, c.LastNote = last[0].At, last[0].Note
	}
	return c, nil
}

// forgetDues is the day's emptying of old mail and records without a case,
// when there is any.
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
		if err := w.db.Select(ctx, &n, `SELECT 1 FROM throttled WHERE `+caselessThrottled+` LIMIT 1`, w.throttledCutoff(now)); err != nil {
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
		What: fmt.Sprintf("empty mail that belongs to no case and is older than %d months (digests, ignored messages), "+
			"and remove the addresses from older records of mail held back by the limits", w.set.Privacy.AnonymiseAfterMonths)}}, nil
}

// forgetCaseless empties old mail without a case, in the scheduler's
// transaction. The rows stay (the ledger's digest and state, the outbox's
// recipient and dates; throttled's kind, message and time, so what the
// limits held back can still be counted), as for an anonymised case. The
// note, kept with the scheduled work, says what was emptied.
func (w *Workflow) forgetCaseless(ctx context.Context) (string, error) {
	now := w.clock.Now()
	cutoff := w.caselessCutoff(now)
	in, err := w.db.Exec(ctx, `UPDATE ledger SET raw = ?, anonymised_at = ?,
		reason = CASE WHEN reason LIKE '%@%' THEN 'anonymised' ELSE reason END WHERE `+caselessIn,
		[]byte{}, now, LedgerProcessed, LedgerIgnored, cutoff)
	if err != nil {
		return "", fmt.Errorf("workflow: retention: %w", err)
	}
	// The servers' answers first, while the rows still show as not emptied.
	if _, err := w.db.Exec(ctx, `UPDATE outbox_attempts SET answer = '' WHERE answer <> ''
		AND outbox_id IN (SELECT id FROM outbox WHERE `+caselessOut+`)`,
		OutboxSent, OutboxFailed, OutboxBounced, cutoff); err != nil {
		return "", fmt.Errorf("workflow: retention: %w", err)
	}
	out, err := w.db.Exec(ctx, `UPDATE outbox SET raw = ?, last_error = '' WHERE `+caselessOut,
		[]byte{}, OutboxSent, OutboxFailed, OutboxBounced, cutoff)
	if err != nil {
		return "", fmt.Errorf("workflow: retention: %w", err)
	}
	throttledBefore := w.throttledCutoff(now)
	held, err := w.db.Exec(ctx, `UPDATE throttled SET address = '' WHERE `+caselessThrottled, throttledBefore)
	if err != nil {
		return "", fmt.Errorf("workflow: retention: %w", err)
	}
	loc := w.set.Organisation.Location
	note := fmt.Sprintf("emptied %d message(s) in and %d out that belonged to no case, received or sent before %s; "+
		"removed the address from %d record(s) of mail held back by the limits (throttled) before %s",
		in, out, cutoff.In(loc).Format(time.DateOnly), held, throttledBefore.In(loc).Format(time.DateOnly))
	w.log.Info("old mail without a case emptied", "inbound", in, "outbound", out, "throttled", held, "before", cutoff)
	return note, nil
}
