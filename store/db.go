package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // PostgreSQL driver, registered as "postgres".
	_ "modernc.org/sqlite" // Pure-Go SQLite driver, registered as "sqlite".
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Options tune a database handle.
type Options struct {
	// QueryTimeout bounds every single query (default 30s). A transaction as a
	// whole is bounded by the caller's context.
	QueryTimeout time.Duration
	// MaxOpenConns caps the pool (default 10 for PostgreSQL, 4 for SQLite).
	MaxOpenConns int
	// Exclusive is for the daemon and whatever changes the schema: on SQLite
	// it locks the file for as long as the handle is open (ErrInUse when
	// another process holds it), before anything is read or migrated. The
	// commands that only look open it shared, beside a running daemon.
	// PostgreSQL is shared by design; the option changes nothing there.
	Exclusive bool
}

// DB is one database, PostgreSQL or SQLite, behind one set of queries.
type DB struct {
	x            *sqlx.DB
	dialect      string
	queryTimeout time.Duration

	mu sync.Mutex
	// locks held by this handle on SQLite, where there is no advisory lock:
	// one daemon owns an SQLite file, so exclusion within the process is enough.
	locks map[string]bool
	// stmts caches prepared statements by query text.
	stmts *stmtCache
	// path is the SQLite file ("" on PostgreSQL).
	path string
	// lock is the SQLite file lock of an Exclusive handle (nil otherwise).
	lock *fileLock
	// session and sessionConn: see Session.
	session     int64
	sessionConn *sql.Conn
}

// Open connects to url: "postgres://…" (or "postgresql://…") or "sqlite:PATH".
// It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	dialect, driver, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var lock *fileLock
	path, _ := sqlitePath(rawURL)
	if dialect == SQLite {
		// Lock first: of two daemons started together on a fresh file, the
		// second stops here, before it could touch the schema.
		if opts.Exclusive {
			if lock, err = lockSQLiteFile(path); err != nil {
				return nil, err
			}
		}
		if err := prepareSQLiteFile(path, opts.Exclusive); err != nil {
			lock.release()
			return nil, err
		}
	}
	x, err := openPool(dialect, driver, dsn)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	db := &DB{x: x, dialect: dialect, queryTimeout: opts.QueryTimeout, locks: map[string]bool{}, stmts: newStmtCache(maxPrepared), path: path, lock: lock}
	if db.queryTimeout <= 0 {
		db.queryTimeout = 30 * time.Second
	}
	maxConns := opts.MaxOpenConns
	if maxConns <= 0 {
		maxConns = 10
		if dialect == SQLite {
			maxConns = 4
		}
	}
	x.SetMaxOpenConns(maxConns)
	x.SetMaxIdleConns(maxConns)
	x.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.Ping(ctx); err != nil {
		x.Close()
		lock.release()
		return nil, err
	}
	return db, nil
}

// parseURL maps a configuration URL to a driver and its DSN.
func parseURL(rawURL string) (dialect, driver, dsn string, err error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		u, err := url.Parse(rawURL)
		if err != nil {
			// The parser's error quotes the URL or the part it stumbled on,
			// which may well be the password: it is not passed on.
			return "", "", "", fmt.Errorf("store: database url %s is not a valid URL (a password with reserved characters such as %% # @ / ? must be percent-encoded)", RedactURL(rawURL))
		}
		q := u.Query()
		// Raw messages are bytea; sending them in binary avoids a hex copy twice
		// their size on the client.
		if q.Get("binary_parameters") == "" {
			q.Set("binary_parameters", "yes")
		}
		u.RawQuery = q.Encode()
		return Postgres, "postgres", u.String(), nil
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
		if path == "" {
			return "", "", "", errors.New("store: database url: sqlite: needs a file path, e.g. sqlite:complaintd.db")
		}
		if dir := filepath.Dir(path); dir != "." {
			if _, err := os.Stat(dir); err != nil {
				return "", "", "", fmt.Errorf("store: database url: folder of %s: %w", path, err)
			}
		}
		// WAL lets readers run beside the writer; IMMEDIATE transactions take the
		// write lock up front so two writers wait (busy_timeout) instead of failing
		// with SQLITE_BUSY when a read turns into a write.
		v := url.Values{}
		v.Add("_pragma", "journal_mode(WAL)")
		v.Add("_pragma", "busy_timeout(30000)")
		v.Add("_pragma", "foreign_keys(1)")
		v.Add("_pragma", "synchronous(NORMAL)")
		v.Set("_txlock", "immediate")
		return SQLite, "sqlite", "file:" + path + "?" + v.Encode(), nil
	default:
		return "", "", "", fmt.Errorf("store: database url %q: must start with postgres:// or sqlite: (e.g. sqlite:complaintd.db)", RedactURL(rawURL))
	}
}

// Dialect is Postgres or SQLite.
func (db *DB) Dialect() string { return db.dialect }

// The SQL the two engines write differently, for workflow's queries: the
// domain's SQL stays next to the code that runs it, and every dialect
// difference is decided here (README "Design and code").

// SkipLocked is the clause that ends a SELECT ... FOR UPDATE so that
// daemons claiming rows at once each take different ones: FOR UPDATE SKIP
// LOCKED on PostgreSQL; nothing on SQLite, whose writer holds the whole
// database (one daemon per file).
func (db *DB) SkipLocked() string {
	if db.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ModifyingCTEs reports whether a WITH clause may hold UPDATE or INSERT
// (PostgreSQL), so several changes can be one atomic statement instead of a
// transaction's round trips; SQLite has no data-modifying CTEs.
func (db *DB) ModifyingCTEs() bool { return db.dialect == Postgres }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	if err := db.x.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", db.dialect, err)
	}
	return nil
}

// Close closes the prepared statements and the pool.
func (db *DB) Close() error {
	db.stmts.closeAll()
	db.mu.Lock()
	if db.sessionConn != nil {
		db.sessionConn.Close() // ends the session's advisory lock with it
		db.sessionConn = nil
	}
	db.mu.Unlock()
	err := db.x.Close()
	db.lock.release() // after the pool: nobody else may open the file while we still write
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
