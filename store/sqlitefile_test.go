package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// Two daemons started together on a fresh file: one gets it, the other is
// refused with a message naming the file, before it touched the schema.
func TestSecondDaemonOnSQLiteFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "complaintd.db")
	url := "sqlite:" + path
	ctx := t.Context()
	type result struct {
		db  *store.DB
		err error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			db, err := store.Open(ctx, url, store.Options{Exclusive: true})
			if err == nil {
				err = db.Migrate(ctx)
			}
			results[i] = result{db, err}
		})
	}
	wg.Wait()
	var owner *store.DB
	for _, r := range results {
		switch {
		case r.err == nil && owner == nil:
			owner = r.db
		case r.err == nil:
			t.Fatal("both daemons opened the same SQLite file")
		case !errors.Is(r.err, store.ErrInUse) || !strings.Contains(r.err.Error(), path):
			t.Fatalf("second daemon: %v, want ErrInUse naming %s", r.err, path)
		}
	}
	if owner == nil {
		t.Fatalf("neither daemon opened the file: %v / %v", results[0].err, results[1].err)
	}
	cur, latest, err := owner.SchemaVersion(ctx)
	if err != nil || cur != latest {
		t.Fatalf("schema %d of %d (%v) after the race, want fully migrated", cur, latest, err)
	}

	// The commands that only look still work beside the daemon.
	looker, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatalf("shared open beside the daemon: %v", err)
	}
	if err := looker.Migrate(ctx); err != nil {
		t.Fatalf("migrate of an up-to-date schema beside the daemon: %v", err)
	}
	var n int
	if err := looker.Get(ctx, &n, `SELECT COUNT(*) FROM cases`); err != nil {
		t.Fatal(err)
	}
	looker.Close()

	// The lock goes with its holder.
	if err := owner.Close(); err != nil {
		t.Fatal(err)
	}
	next, err := store.Open(ctx, url, store.Options{Exclusive: true})
	if err != nil {
		t.Fatalf("open after the first daemon stopped: %v", err)
	}
	next.Close()
}

// A command that only looks never migrates a file a daemon holds.
func TestSharedOpenDoesNotMigrateUnderDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "complaintd.db")
	ctx := t.Context()
	daemon, err := store.Open(ctx, "sqlite:"+path, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	if err := daemon.MigrateTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	looker, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer looker.Close()
	if err := looker.Migrate(ctx); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("migrate beside the daemon = %v, want ErrInUse", err)
	}
}

func TestSQLiteFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "complaintd.db")
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO settings (key, value) VALUES ('k', 'v')`); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v (WAL mode keeps it while open)", p, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), st.Mode().Perm())
		}
	}
	db.Close()

	// A file left readable by others (an older version, a copy) is tightened.
	for _, p := range []string{path, path + "-wal"} {
		if err := os.Chmod(p, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	db, err = store.Open(ctx, "sqlite:"+path, store.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("existing 0644 file after open: %v %v, want 0600", st.Mode().Perm(), err)
	}
}

func TestRedactURLHidesEveryPassword(t *testing.T) {
	for _, tc := range []struct{ in, secret string }{
		{"postgres://complaintd:hunter2@db.example.nl/klachten", "hunter2"},
		{"postgres://complaintd:p%zz@db.example.nl/klachten", "p%zz"},   // invalid escape: url.Parse fails
		{"postgres://complaintd:pa#ss@db.example.nl/klachten", "pa#ss"}, // '#' starts a fragment
		{"postgres://complaintd:p@ss@db.example.nl/klachten", "p@ss"},   // '@' in the password
		{"postgres://complaintd:a/b?c@db.example.nl/klachten", "a/b?c"}, // '/' and '?' in it
		{"postgres://complaintd@db.example.nl/klachten?password=s3cr%23t&sslmode=verify-full", "s3cr%23t"},
		{"postgresql://db.example.nl/klachten?sslmode=verify-full&PASSWORD=topsecret", "topsecret"},
		{"postgres://db.example.nl/k?sslpassword=keypass", "keypass"},
	} {
		got := store.RedactURL(tc.in)
		if strings.Contains(got, tc.secret) {
			t.Errorf("RedactURL(%q) = %q: the password shows", tc.in, got)
		}
		if !strings.Contains(got, "db.example.nl") {
			t.Errorf("RedactURL(%q) = %q: the host is gone too", tc.in, got)
		}
	}
	if got := store.RedactURL("postgres://complaintd@db.example.nl/k?sslmode=verify-full"); got != "postgres://complaintd@db.example.nl/k?sslmode=verify-full" {
		t.Errorf("a URL without password changed: %q", got)
	}
	// An unparsable URL's error does not repeat the password.
	_, err := store.Open(t.Context(), "postgres://complaintd:p%zz#x@db.example.nl/k", store.Options{})
	if err == nil || strings.Contains(err.Error(), "p%zz") {
		t.Errorf("open error %v shows the password", err)
	}
}

// Racing start-ups: on SQLite one daemon gets the file, the other is
// refused; PostgreSQL is shared by design, so both start and the schema is
// migrated once (goose's session lock).
func TestRacingDaemonsPerDialect(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		errs := make([]error, 2)
		dbs := make([]*store.DB, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				db, err := store.Open(ctx, url, store.Options{Exclusive: true})
				if err == nil {
					dbs[i] = db
					err = db.Migrate(ctx)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		refused := 0
		for i, err := range errs {
			if dbs[i] != nil {
				defer dbs[i].Close()
			}
			switch {
			case errors.Is(err, store.ErrInUse):
				refused++
			case err != nil:
				t.Fatalf("daemon %d: %v", i, err)
			}
		}
		want := 0
		if strings.HasPrefix(url, "sqlite:") {
			want = 1
		}
		if refused != want {
			t.Fatalf("%d of two racing daemons refused, want %d", refused, want)
		}
	})
}
