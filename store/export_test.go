package store

import (
	"context"

	"github.com/lib/pq"
)

// MigrateTo applies the migrations up to version, for tests of one migration.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.provider(ctx)
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// MaxPrepared is the bound of the statement cache.
const MaxPrepared = maxPrepared

// LimitPrepared replaces the statement cache of a fresh handle with one
// keeping at most n statements, so tests can make eviction frequent.
func (db *DB) LimitPrepared(n int) { db.stmts = newStmtCache(n) }

// CachedStatements is the number of statements in the cache.
func (db *DB) CachedStatements() int { return db.stmts.size() }

// ConnsInUse is how many pool connections are in use, for tests that wait
// for a query to be holding one.
func (db *DB) ConnsInUse() int { return db.x.Stats().InUse }

// TxPrepared is how many statements the transaction carried by ctx keeps
// prepared on its own connection (SQLite).
func TxPrepared(ctx context.Context) int {
	ts, _ := ctx.Value(txStmtsKey{}).(*txStmts)
	if ts == nil {
		return 0
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.m)
}

// MigrationLockID is the key of the advisory lock PostgreSQL migrations of
// this database and schema run under.
func (db *DB) MigrationLockID(ctx context.Context) (int64, error) { return db.migrationLockID(ctx) }

// BinaryParameters reports whether lib/pq sends []byte parameters in
// binary on the connections a handle of rawURL (postgres://) opens.
func BinaryParameters(rawURL string) (bool, error) {
	_, _, dsn, err := parseURL(rawURL)
	if err != nil {
		return false, err
	}
	cfg, err := pq.NewConfig(dsn)
	return cfg.BinaryParameters, err
}
