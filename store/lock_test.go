package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// A lock whose session the server ended (pg_terminate_backend) is known to
// be lost at the next Held, says why, and can be taken by another handle;
// on SQLite a lock excludes within its handle until released.
func TestLockKnowsWhenItIsLost(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		// Advisory locks are per database, not per schema: a name of its own.
		name := fmt.Sprintf("imap-poll:test-%d", time.Now().UnixNano())
		open := func() *store.DB {
			db, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		a := open()
		lock, ok, err := a.Acquire(ctx, name)
		if err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		if err := lock.Held(ctx); err != nil {
			t.Fatalf("a fresh lock is not held: %v", err)
		}
		if _, ok, _ := a.Acquire(ctx, name); ok {
			t.Fatal("the lock was taken twice")
		}
		if a.Dialect() == store.SQLite {
			lock.Release()
			if err := lock.Held(ctx); !errors.Is(err, store.ErrLockLost) {
				t.Errorf("a released lock: %v", err)
			}
			again, ok, err := a.Acquire(ctx, name)
			if err != nil || !ok {
				t.Fatalf("after release: %v %v", ok, err)
			}
			again.Release()
			return
		}
		b := open()
		var killed bool
		if err := b.Get(ctx, &killed, `SELECT pg_terminate_backend(?)`, lock.Backend); err != nil || !killed {
			t.Fatalf("pg_terminate_backend(%d): %v %v", lock.Backend, killed, err)
		}
		err = lock.Held(ctx)
		if !errors.Is(err, store.ErrLockLost) {
			t.Fatalf("Held after the session ended: %v, want ErrLockLost", err)
		}
		t.Logf("lost: %v", err)
		lock.Release() // harmless after the loss
		deadline := time.Now().Add(10 * time.Second)
		for {
			l, ok, err := b.Acquire(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				l.Release()
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("another handle cannot take the lock after its session ended")
			}
			time.Sleep(20 * time.Millisecond) // the server drops the session a moment after terminating it
		}
	})
}
