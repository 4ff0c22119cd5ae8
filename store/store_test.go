package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

func TestMigrateIsIdempotentAndReportsVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur == 0 || cur != latest {
			t.Fatalf("schema version %d of %d, want up to date", cur, latest)
		}
	})
}

func TestQueriesRebindAndRoundTripTypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		at := time.Date(2026, 3, 29, 1, 30, 0, 123456000, time.FixedZone("CET", 3600))
		var id int64
		err := db.Get(ctx, &id, `INSERT INTO cases (reference, status, complainant_email, language, received_at, deadline_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			"KL-2026-0001", "received", "ouder@example.nl", "nl", at, at.Add(42*24*time.Hour), at, at)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Reference  string       `db:"reference"`
			ReceivedAt time.Time    `db:"received_at"`
			Exceeded   bool         `db:"deadline_exceeded"`
			DecidedAt  sql.NullTime `db:"decided_at"`
		}
		if err := db.Get(ctx, &got, `SELECT reference, received_at, deadline_exceeded, decided_at FROM cases WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if got.Reference != "KL-2026-0001" || !got.ReceivedAt.Equal(at) || got.Exceeded || got.DecidedAt.Valid {
			t.Fatalf("round trip: %+v", got)
		}
		// A moment passed several times, another between them: each
		// argument is its own (args converts a repeated moment once).
		var times struct {
			Deadline time.Time `db:"deadline_at"`
			Created  time.Time `db:"created_at"`
			Updated  time.Time `db:"updated_at"`
		}
		if err := db.Get(ctx, &times, `SELECT deadline_at, created_at, updated_at FROM cases WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if !times.Deadline.Equal(at.Add(42*24*time.Hour)) || !times.Created.Equal(at) || !times.Updated.Equal(at) {
			t.Fatalf("times round trip: %+v", times)
		}

		// Times compare as instants, whatever zone they were written in.
		var n int
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM cases WHERE received_at < ?`, at.Add(time.Microsecond).In(time.UTC)); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("received_at < at+1µs matched %d rows, want 1", n)
		}
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM cases WHERE received_at < ?`, at); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("received_at < at matched %d rows, want 0", n)
		}
	})
}

func TestGetMissingRowWrapsErrNoRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var ref string
		err := db.Get(t.Context(), &ref, `SELECT reference FROM cases WHERE id = ?`, 42)
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("err = %v, want sql.ErrNoRows", err)
		}
	})
}

func TestInTxCommitsRollsBackAndJoins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		set := func(ctx context.Context, k string) error {
			_, err := db.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, k, "v")
			return err
		}
		boom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := set(ctx, "a"); err != nil {
				return err
			}
			// A nested step joins the outer transaction and is rolled back with it.
			if err := db.InTx(ctx, func(ctx context.Context) error { return set(ctx, "b") }); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		var n int
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM settings`); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("after rollback %d settings remain", n)
		}
		if err := db.InTx(ctx, func(ctx context.Context) error { return set(ctx, "c") }); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM settings`); err != nil || n != 1 {
			t.Fatalf("after commit n=%d err=%v", n, err)
		}
	})
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		func() {
			defer func() { _ = recover() }()
			_ = db.InTx(ctx, func(ctx context.Context) error {
				if _, err := db.Exec(ctx, `INSERT INTO settings (key, value) VALUES ('p', 'v')`); err != nil {
					t.Fatal(err)
				}
				panic("crash")
			})
		}()
		var n int
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM settings`); err != nil || n != 0 {
			t.Fatalf("after panic n=%d err=%v", n, err)
		}
	})
}

func TestLargeBlobRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		raw := make([]byte, 3<<20)
		if _, err := rand.Read(raw); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		var id int64
		if err := db.Get(ctx, &id, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, created_at, updated_at)
			VALUES ('INBOX', 1, 1, ?, ?, 'x', ?, 'pending', ?, ?) RETURNING id`, now, len(raw), raw, now, now); err != nil {
			t.Fatal(err)
		}
		var back []byte
		if err := db.Get(ctx, &back, `SELECT raw FROM ledger WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, raw) {
			t.Fatalf("blob of %d bytes came back as %d different bytes", len(raw), len(back))
		}
	})
}

func TestTryLockExcludes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		release, ok, err := db.TryLock(ctx, "poll:INBOX")
		if err != nil || !ok {
			t.Fatalf("first lock ok=%v err=%v", ok, err)
		}
		if _, ok, err := db.TryLock(ctx, "poll:INBOX"); err != nil || ok {
			t.Fatalf("second lock while held ok=%v err=%v, want refused", ok, err)
		}
		other, ok, err := db.TryLock(ctx, "poll:Other")
		if err != nil || !ok {
			t.Fatalf("other name ok=%v err=%v", ok, err)
		}
		other()
		release()
		release() // twice is harmless
		again, ok, err := db.TryLock(ctx, "poll:INBOX")
		if err != nil || !ok {
			t.Fatalf("after release ok=%v err=%v", ok, err)
		}
		again()
	})
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := store.Open(t.Context(), "mysql://u:hunter2@h/db", store.Options{})
	if err == nil || !strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v, want a message naming the accepted forms without the password", err)
	}
}
