// Package storetest gives tests a real, migrated, throwaway database: a fresh
// SQLite file always, and a fresh PostgreSQL schema when TEST_DATABASE_URL is
// set. There is no mock database.
//
// When COMPLAINTD_REQUIRE_POSTGRES=1 (CI sets it), a missing TEST_DATABASE_URL
// fails the test instead of running SQLite only, so PostgreSQL tests can never
// be skipped silently.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/complaintd/complaintd/store"
)

// Dialects lists the databases tests run on here.
func Dialects(t testing.TB) []string {
	t.Helper()
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []string{store.SQLite, store.Postgres}
	}
	if os.Getenv("COMPLAINTD_REQUIRE_POSTGRES") == "1" {
		t.Fatal("storetest: COMPLAINTD_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
	}
	return []string{store.SQLite}
}

// Each runs f once per dialect, as subtests named "sqlite" and "postgres",
// each with its own freshly migrated database.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) { f(t, Open(t, d)) })
	}
}

// EachURL is Each for tests that open (and reopen) the database themselves,
// such as restart tests and whole-daemon tests.
func EachURL(t *testing.T, f func(t *testing.T, url string)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) { f(t, URL(t, d)) })
	}
}

// Open returns a migrated throwaway database, closed when the test ends.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t, dialect), store.Options{})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return db
}

// URL returns the URL of an empty throwaway database of the given dialect: an
// SQLite file in the test's temporary folder, or a new schema in the database
// TEST_DATABASE_URL names (dropped when the test ends).
func URL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "complaintd.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("storetest: TEST_DATABASE_URL is not set")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
