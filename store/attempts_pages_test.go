package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// An outbox attempt is written when its mail goes to the SMTP server and
// updated with the answer moments later. On PostgreSQL that update stays on
// the row's page without new index entries (a HOT update; migration 00016
// leaves the room), also for a claim of a whole batch's 200 attempts.
func TestAnsweringAnAttemptAddsNoIndexEntries(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("HOT updates are PostgreSQL's: set TEST_DATABASE_URL")
	}
	db := storetest.Open(t, store.Postgres)
	now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
	const n = 200
	var got struct {
		Upd int64 `db:"n_tup_upd"`
		Hot int64 `db:"n_tup_hot_upd"`
	}
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		for i := range n {
			if _, err := db.Exec(ctx, `INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome) VALUES (?, ?, ?, ?, ?)`,
				i+1, 1, 7, now, "sending"); err != nil {
				return err
			}
		}
		if _, err := db.Exec(ctx, `UPDATE outbox_attempts SET outcome = ?, answer = ?, finished_at = ?`,
			"accepted", "250 2.0.0 Ok: queued as 4VbQ2k1XyZz9", now); err != nil {
			return err
		}
		// The transaction's own counters: visible before it commits.
		return db.Get(ctx, &got, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'outbox_attempts' AND schemaname = current_schema()`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Upd != n || got.Hot != n {
		t.Errorf("%d of %d answered attempts updated in place (HOT), want all", got.Hot, got.Upd)
	}
}
