package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// A transaction holding SQLite's write lock runs a query it has not run
// before while every other connection of the pool is held by a writer
// waiting for that lock: the query must not wait for a connection of the
// pool (a deadlock until the query timeout). The outbox's parallel sends
// made this happen in the demo.
func TestTransactionQueryNeedsNoSecondConnection(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, storetest.URL(t, store.SQLite), store.Options{MaxOpenConns: 2, QueryTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	locked := make(chan struct{})
	finish := make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- db.InTx(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, `UPDATE outbox SET attempts = attempts WHERE id = -1`); err != nil {
				return err
			}
			close(locked)
			<-finish
			// A query this handle has never prepared.
			var n int
			return db.Get(ctx, &n, `SELECT COUNT(*) FROM outbox WHERE id > ? AND kind <> 'tx-prepare-test'`, 0)
		})
	}()
	<-locked
	writer := make(chan error, 1)
	go func() {
		_, err := db.Exec(ctx, `UPDATE outbox SET attempts = attempts WHERE id = -2`)
		writer <- err
	}()
	// Wait until the writer holds the pool's other connection.
	deadline := time.Now().Add(10 * time.Second)
	for db.ConnsInUse() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second writer never took a connection")
		}
		time.Sleep(5 * time.Millisecond) // polling the pool's state, bounded
	}
	close(finish)
	if err := <-txDone; err != nil {
		t.Fatalf("the transaction's query waited for a second connection: %v", err)
	}
	if err := <-writer; err != nil {
		t.Fatalf("the waiting writer: %v", err)
	}
}

// On SQLite a transaction prepares each query text once on its own
// connection (the pool's only one here) and reuses it: a grouped batch runs
// the same statements once per message.
func TestSQLiteTransactionPreparesEachQueryOnce(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, storetest.URL(t, store.SQLite), store.Options{MaxOpenConns: 1, QueryTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		for i := range 5 {
			if _, err := db.Exec(ctx, `INSERT INTO reference_counters (year, last) VALUES (?, ?)`, 3000+i, i); err != nil {
				return err
			}
			var last int
			if err := db.Get(ctx, &last, `SELECT last FROM reference_counters WHERE year = ?`, 3000+i); err != nil {
				return err
			}
			if last != i {
				t.Errorf("year %d: last %d, want %d", 3000+i, last, i)
			}
		}
		if n := store.TxPrepared(ctx); n != 2 {
			t.Errorf("%d statements prepared for two query texts run five times each, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM reference_counters WHERE year >= 3000`); err != nil || n != 5 {
		t.Fatalf("%d rows committed (%v), want 5", n, err)
	}
}
