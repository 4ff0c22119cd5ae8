package workflow

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// A group's claim only locks its entries; an entry another daemon holds
// locked is not waited for: the claim reports errSettled at once (the
// group is then processed one message at a time, whose claim waits), and
// what the claim did take stays pending until the group writes it.
func TestGroupClaimSkipsAnEntryAnotherDaemonHolds(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("row locks between daemons are PostgreSQL's: set TEST_DATABASE_URL")
	}
	ctx := t.Context()
	url := storetest.URL(t, store.Postgres)
	open := func() *store.DB {
		db, err := store.Open(ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db, other := open(), open()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
	var group []groupMember
	for uid := 1; uid <= 3; uid++ {
		var id int64
		if err := db.Get(ctx, &id, `INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, "INBOX", 1, uid, now, 3, "sum", []byte("abc"), LedgerPending, now, now); err != nil {
			t.Fatal(err)
		}
		group = append(group, groupMember{e: ledgerEntry{ID: id}})
	}

	// The other daemon holds the second entry, mid-claim.
	locked, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- other.InTx(ctx, func(ctx context.Context) error {
			var id int64
			if err := other.Get(ctx, &id, `SELECT id FROM ledger WHERE id = ? FOR UPDATE`, group[1].e.ID); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-done:
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := db.InTx(wait, func(ctx context.Context) error {
		_, err := claimGroup(ctx, db, group)
		return err
	})
	close(release)
	if !errors.Is(err, errSettled) {
		t.Fatalf("claiming a group with an entry held elsewhere: %v, want errSettled at once", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Unheld, the group is claimed; the claim itself writes nothing.
	err = db.InTx(ctx, func(ctx context.Context) error {
		claims, err := claimGroup(ctx, db, group)
		if err == nil && len(claims) != len(group) {
			t.Errorf("%d of %d entries claimed", len(claims), len(group))
		}
		var pending int
		if err == nil {
			err = db.Get(ctx, &pending, `SELECT COUNT(*) FROM ledger WHERE state = ?`, LedgerPending)
		}
		if pending != len(group) {
			t.Errorf("%d of %d claimed entries still pending before the group writes them", pending, len(group))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
