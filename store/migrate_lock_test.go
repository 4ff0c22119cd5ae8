package store_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// PostgreSQL migrations take turns per schema, not per server: while the
// migration lock of one schema is held, that schema is not migrated, and
// another schema of the same database is (with one lock for the whole
// server, as goose has by default, it waited for the lock and this test
// ran into its bound).
func TestMigrationLockIsPerSchema(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a failure bound only
	defer cancel()
	open := func() *store.DB {
		db, err := store.Open(ctx, storetest.URL(t, store.Postgres), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	idA, err := a.MigrationLockID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Hold A's migration lock, as a daemon migrating A would.
	pool, err := sql.Open("postgres", os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, idA); err != nil {
		t.Fatal(err)
	}
	migratedA := make(chan error, 1)
	go func() { migratedA <- a.Migrate(ctx) }()

	if err := b.Migrate(ctx); err != nil {
		t.Fatalf("schema B while A's migration lock is held: %v", err)
	}
	select {
	case err := <-migratedA:
		t.Fatalf("schema A migrated while its lock was held (%v)", err)
	default:
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, idA); err != nil {
		t.Fatal(err)
	}
	if err := <-migratedA; err != nil {
		t.Fatalf("schema A once the lock was free: %v", err)
	}
	if current, latest, err := a.SchemaVersion(ctx); err != nil || current != latest {
		t.Fatalf("schema A at %d of %d (%v)", current, latest, err)
	}
}
