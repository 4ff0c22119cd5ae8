package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Ledger states of an inbound message.
const (
	LedgerPending     = "pending"     // stored, not yet acted on (or acting on it failed)
	LedgerProcessed   = "processed"   // acted on; it may leave the inbox
	LedgerIgnored     = "ignored"     // seen before, or nothing to do; it may leave the inbox
	LedgerQuarantined = "quarantined" // cannot be handled; moved aside with a reason
)

// ledgerEntry is the part of a ledger row processing looks at.
type ledgerEntry struct {
	ID       int64  `db:"id"`
	State    string `db:"state"`
	Attempts int    `db:"attempts"`
	Reason   string `db:"reason"`
	// ReusedUID is the earlier entry that had this message's mailbox,
	// UIDVALIDITY and UID with other bytes (0 if none): the server handed
	// the UID out again, against RFC 3501 section 2.3.1.1.
	ReusedUID int64 `db:"-"`
	// seen: the entry was in the ledger before this offer of the message
	// (recordArrivals); its attempt is not counted yet.
	seen bool
}

// recordArrival stores a fetched message (or finds it again) and counts this
// attempt at it before anything else happens, so a message that crashes the
// daemon is quarantined after a few tries instead of blocking the inbox.
//
// A message is known by its mailbox, UIDVALIDITY, UID and the digest of its
// bytes. UIDs are never to be reused within one UIDVALIDITY, but servers do
// after a restore from backup or a rebuilt uid list; the same key with other
// bytes is then another message, never the one processed before.
func recordArrival(ctx context.Context, db Database, d Delivery, sum string, now time.Time) (ledgerEntry, error) {
	var e ledgerEntry
	err := db.Get(ctx, &e, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw,
		state, attempts, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT (mailbox, uidvalidity, uid, sha256) DO UPDATE SET attempts = ledger.attempts + 1, updated_at = excluded.updated_at
		WHERE ledger.state = 'pending'
		RETURNING id, state, attempts, reason`,
		d.Mailbox, int64(d.UIDValidity), int64(d.UID), d.InternalDate, len(d.Raw), sum, d.Raw, LedgerPending, now, now)
	if errors.Is(err, sql.ErrNoRows) {
		// Settled before: processed, ignored or quarantined. Nothing to count.
		err = db.Get(ctx, &e, `SELECT id, state, attempts, reason FROM ledger
			WHERE mailbox = ? AND uidvalidity = ? AND uid = ? AND sha256 = ?`, d.Mailbox, int64(d.UIDValidity), int64(d.UID), sum)
	}
	if err == nil && e.State == LedgerPending && e.Attempts == 1 {
		var earlier []int64
		err = db.Select(ctx, &earlier, `SELECT id FROM ledger WHERE mailbox = ? AND uidvalidity = ? AND uid = ? AND sha256 <> ?
			ORDER BY id LIMIT 1`, d.Mailbox, int64(d.UIDValidity), int64(d.UID), sum)
		if len(earlier) > 0 {
			e.ReusedUID = earlier[0]
		}
	}
	if err != nil {
		return e, fmt.Errorf("workflow: ledger %s/%d/%d: %w", d.Mailbox, d.UIDValidity, d.UID, err)
	}
	return e, nil
}

// claimEntry marks a pending entry processed and reports the first earlier
// entry of the same mailbox with identical bytes that was already dealt with
// (0 if none): the same message seen again under a new UIDVALIDITY (the
// server renumbered its mailbox) must not be acted on twice. An entry that is
// not pending any more gives errSettled. The update locks the row until the
// caller's transaction ends.
func claimEntry(ctx context.Context, db Database, id int64, now time.Time) (sameAs int64, err error) {
	if sameAs, ok := groupClaim(ctx, id); ok {
		return sameAs, nil // claimed with its group (claimGroup)
	}
	err = db.Get(ctx, &sameAs, `UPDATE ledger SET state = ?, reason = '', updated_at = ? WHERE id = ? AND state = ?
		RETURNING COALESCE((SELECT d.id FROM ledger d WHERE d.sha256 = ledger.sha256 AND d.mailbox = ledger.mailbox
			AND d.id <> ledger.id AND d.state IN (?, ?) ORDER BY d.id LIMIT 1), 0)`,
		LedgerProcessed, now, id, LedgerPending, LedgerProcessed, LedgerIgnored)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errSettled
	}
	if err != nil {
		return 0, fmt.Errorf("workflow: ledger %d: %w", id, err)
	}
	return sameAs, nil
}

// settle records the outcome of an entry.
func settle(ctx context.Context, db Database, id int64, state, reason string, now time.Time) error {
	if keepSettle(ctx, id, state, reason, now) {
		return nil // written with the group's other entries (batch_writes.go)
	}
	if _, err := db.Exec(ctx, `UPDATE ledger SET state = ?, reason = ?, updated_at = ? WHERE id = ?`,
		state, reason, now, id); err != nil {
		return fmt.Errorf("workflow: ledger %d: %w", id, err)
	}
	return nil
}

// noteFailure keeps the reason the last attempt failed; the entry stays
// pending and is tried again.
func noteFailure(ctx context.Context, db Database, id int64, reason string, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE ledger SET reason = ?, updated_at = ? WHERE id = ? AND state = ?`,
		reason, now, id, LedgerPending); err != nil {
		return fmt.Errorf("workflow: ledger %d: %w", id, err)
	}
	return nil
}
