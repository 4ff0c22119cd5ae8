package store_test

import (
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// gone asks db whether the session id is gone, as a claim query does.
func gone(t *testing.T, db *store.DB, id int64) bool {
	t.Helper()
	var n int
	if err := db.Get(t.Context(), &n, `SELECT COUNT(*) FROM (SELECT CAST(? AS BIGINT) AS c) x WHERE `+db.SessionGone("x.c"), id); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A session is alive while its daemon's handle is open, and gone the moment
// it closes (or its process dies: the server drops the connection's locks).
func TestSessionGoneWhenItsHolderIs(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		a, err := store.Open(ctx, url, store.Options{Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		id, err := a.Session(ctx)
		if err != nil || id == 0 {
			t.Fatalf("session %d: %v", id, err)
		}
		if again, _ := a.Session(ctx); again != id {
			t.Fatalf("session changed from %d to %d", id, again)
		}
		if gone(t, a, id) {
			t.Fatal("own session counted as gone")
		}
		if !gone(t, a, id+1) {
			t.Fatal("a session nobody holds counted as alive")
		}
		if a.Dialect() == store.SQLite {
			// Beside the daemon, a command that only looks cannot tell.
			looker, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer looker.Close()
			if gone(t, looker, id) || gone(t, looker, id+1) {
				t.Fatal("a shared SQLite handle judged a session gone")
			}
			a.Close()
			return
		}
		b, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if gone(t, b, id) {
			t.Fatal("another daemon's live session counted as gone")
		}
		a.Close()
		// The server drops the lock when the connection closes; closing is
		// asynchronous on its side, so wait for it (bounded).
		deadline := time.Now().Add(10 * time.Second)
		for !gone(t, b, id) {
			if time.Now().After(deadline) {
				t.Fatal("session still alive 10s after its handle closed")
			}
			time.Sleep(20 * time.Millisecond) // polling the server's lock table, bounded above
		}
	})
}

// Migration 6 rebuilds the SQLite ledger: rows and the messages that refer
// to them survive, and a reused key with other bytes becomes possible.
func TestLedgerKeyMigrationKeepsData(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		db, err := store.Open(ctx, url, store.Options{Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.MigrateTo(ctx, 4); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		var ledgerID, caseID int64
		if err := db.Get(ctx, &ledgerID, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, created_at, updated_at)
			VALUES ('INBOX', 7, 1, ?, 3, 'aaa', ?, 'processed', ?, ?) RETURNING id`, now, []byte("abc"), now, now); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(ctx, &caseID, `INSERT INTO cases (reference, status, complainant_email, language, received_at, deadline_at, created_at, updated_at)
			VALUES ('KL-2026-0001', 'received', 'o@example.nl', 'nl', ?, ?, ?, ?) RETURNING id`, now, now, now, now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO messages (case_id, direction, kind, message_id, ledger_id, created_at)
			VALUES (?, 'in', 'complaint', '<x@y>', ?, ?)`, caseID, ledgerID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate with data: %v", err)
		}
		var raw []byte
		if err := db.Get(ctx, &raw, `SELECT l.raw FROM messages m JOIN ledger l ON l.id = m.ledger_id`); err != nil || string(raw) != "abc" {
			t.Fatalf("ledger row after migration: %q %v", raw, err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, created_at, updated_at)
			VALUES ('INBOX', 7, 1, ?, 3, 'bbb', ?, 'pending', ?, ?)`, now, []byte("xyz"), now, now); err != nil {
			t.Fatalf("same key, other bytes: %v", err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, created_at, updated_at)
			VALUES ('INBOX', 7, 1, ?, 3, 'bbb', ?, 'pending', ?, ?)`, now, []byte("xyz"), now, now); err == nil {
			t.Fatal("same key and bytes twice was accepted")
		}
		if db.Dialect() == store.SQLite {
			var problems []string
			if err := db.Select(ctx, &problems, `SELECT "table" FROM pragma_foreign_key_check`); err != nil || len(problems) > 0 {
				t.Fatalf("foreign key check: %v %v", problems, err)
			}
		}
	})
}
