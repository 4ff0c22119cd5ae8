package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LedgerReleased marks a quarantined entry an operator released: it is
// processed again from the bytes the ledger kept, once.
const LedgerReleased = "released"

// ErrLedgerNotFound is returned when no ledger entry has the id asked for.
var ErrLedgerNotFound = errors.New("workflow: no such ledger entry")

// ErrNotQuarantined is returned when releasing an entry that is not in quarantine.
var ErrNotQuarantined = errors.New("workflow: ledger entry is not quarantined")

// LedgerEntry describes one inbound message as the ledger holds it, for the
// quarantine commands.
type LedgerEntry struct {
	ID           int64        `db:"id"`
	Mailbox      string       `db:"mailbox"`
	UIDValidity  int64        `db:"uidvalidity"`
	UID          int64        `db:"uid"`
	InternalDate time.Time    `db:"internal_date"`
	Size         int64        `db:"size"`
	SHA256       string       `db:"sha256"`
	State        string       `db:"state"`
	Reason       string       `db:"reason"`
	Attempts     int          `db:"attempts"`
	UpdatedAt    time.Time    `db:"updated_at"`
	ReleasedAt   sql.NullTime `db:"released_at"`
	// AnonymisedAt: retention or erasure emptied the raw bytes (Head is
	// empty); the row stays as the record that the message was acted on.
	AnonymisedAt sql.NullTime `db:"anonymised_at"`
	// Head is the start of the raw message (its header, usually): enough
	// to show who sent it and about what without loading the whole.
	Head []byte `db:"head"`
}

// ledgerColumns: Head is the first 64 KiB of the message.
const ledgerColumns = `id, mailbox, uidvalidity, uid, internal_date, size, sha256, state, reason, attempts,
	updated_at, released_at, anonymised_at, substr(raw, 1, 65536) AS head`

// Quarantined lists the quarantined entries, and the released ones not yet
// processed again, oldest first.
func (w *Workflow) Quarantined(ctx context.Context) ([]LedgerEntry, error) {
	var es []LedgerEntry
	if err := w.db.Select(ctx, &es, `SELECT `+ledgerColumns+` FROM ledger
		WHERE state IN (?, ?) OR (state = ? AND released_at IS NOT NULL) ORDER BY id`,
		LedgerQuarantined, LedgerReleased, LedgerPending); err != nil {
		return nil, fmt.Errorf("workflow: quarantine: %w", err)
	}
	return es, nil
}

// LedgerEntryByID returns one entry, whatever its state.
func (w *Workflow) LedgerEntryByID(ctx context.Context, id int64) (LedgerEntry, error) {
	var e LedgerEntry
	err := w.db.Get(ctx, &e, `SELECT `+ledgerColumns+` FROM ledger WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w: #%d", ErrLedgerNotFound, id)
	}
	if err != nil {
		return e, fmt.Errorf("workflow: ledger %d: %w", id, err)
	}
	return e, nil
}

// RawMessage returns the exact bytes of a ledger entry as they were fetched.
func (w *Workflow) RawMessage(ctx context.Context, id int64) ([]byte, error) {
	var row struct {
		Raw          []byte       `db:"raw"`
		AnonymisedAt sql.NullTime `db:"anonymised_at"`
	}
	err := w.db.Get(ctx, &row, `SELECT raw, anonymised_at FROM ledger WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: #%d", ErrLedgerNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("workflow: ledger %d: %w", id, err)
	}
	if row.AnonymisedAt.Valid { // never processed again from nothing
		return nil, fmt.Errorf("%w: ledger #%d's bytes were removed", ErrAnonymised, id)
	}
	return row.Raw, nil
}

// Release marks a quarantined entry for processing again. The daemon does
// it in its next round (ProcessReleased) from the bytes the ledger kept; the
// copy in the quarantine folder stays where it is, as a record. Should that
// copy also be moved back to the inbox, it is recognised by its bytes and
// not acted on twice.
func (w *Workflow) Release(ctx context.Context, id int64) error {
	n, err := w.db.Exec(ctx, `UPDATE ledger SET state = ?, released_at = ?, updated_at = ? WHERE id = ? AND state = ? AND anonymised_at IS NULL`,
		LedgerReleased, w.clock.Now(), w.clock.Now(), id, LedgerQuarantined)
	if err != nil {
		return fmt.Errorf("workflow: release %d: %w", id, err)
	}
	if n == 0 {
		e, err := w.LedgerEntryByID(ctx, id)
		if err != nil {
			return err
		}
		if e.AnonymisedAt.Valid {
			return fmt.Errorf("%w: #%d's bytes were removed", ErrAnonymised, id)
		}
		return fmt.Errorf("%w: #%d is %s", ErrNotQuarantined, id, e.State)
	}
	w.log.Info("quarantined message released by the operator", "ledger", id)
	return nil
}

// releasedBatch is how many released entries one pass takes on.
const releasedBatch = 16

// ProcessReleased processes the released entries again, each exactly once
// (Process's ledger claim makes sure of that, also with several daemons),
// and reports how many it took on. An entry whose processing fails stays
// pending with its release mark and is tried again on the next pass, until
// Settings.MaxAttempts quarantines it once more.
func (w *Workflow) ProcessReleased(ctx context.Context) (int, error) {
	var es []struct {
		ID           int64     `db:"id"`
		Mailbox      string    `db:"mailbox"`
		UIDValidity  int64     `db:"uidvalidity"`
		UID          int64     `db:"uid"`
		InternalDate time.Time `db:"internal_date"`
	}
	if err := w.db.Select(ctx, &es, `SELECT id, mailbox, uidvalidity, uid, internal_date FROM ledger
		WHERE (state = ? OR (state = ? AND released_at IS NOT NULL)) AND anonymised_at IS NULL ORDER BY id LIMIT ?`,
		LedgerReleased, LedgerPending, releasedBatch); err != nil {
		return 0, fmt.Errorf("workflow: released: %w", err)
	}
	for i, e := range es {
		// Back to pending with its attempts counted afresh; Process takes
		// it from there as if it had just been fetched.
		if _, err := w.db.Exec(ctx, `UPDATE ledger SET state = ?, attempts = 0 WHERE id = ? AND state = ?`,
			LedgerPending, e.ID, LedgerReleased); err != nil {
			return i, fmt.Errorf("workflow: released %d: %w", e.ID, err)
		}
		raw, err := w.RawMessage(ctx, e.ID)
		if err != nil {
			return i, err
		}
		disp, err := w.Process(ctx, Delivery{Mailbox: e.Mailbox, UIDValidity: uint32(e.UIDValidity), UID: uint32(e.UID),
			InternalDate: e.InternalDate, Raw: raw})
		if err != nil {
			w.log.Warn("released message not processed yet; will retry", "ledger", e.ID, "err", err)
			continue
		}
		w.log.Info("released message processed again", "ledger", e.ID, "quarantined_again", disp == Quarantine)
	}
	return len(es), nil
}

// RunReleased runs ProcessReleased every interval until ctx ends.
func (w *Workflow) RunReleased(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.ProcessReleased(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("processing released messages failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
