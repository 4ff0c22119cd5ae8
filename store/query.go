package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxPrepared bounds the statement cache; queries beyond it (there are a few
// dozen distinct ones) run unprepared.
const maxPrepared = 256

// stmtOn returns query prepared for the transaction carried by ctx, or for
// the pool. Prepared statements are kept per database handle (database/sql
// prepares each once per connection and reuses it inside transactions), so
// the server parses and plans a query once instead of on every execution.
func (db *DB) stmtOn(ctx context.Context, query string) (*sqlx.Stmt, error) {
	query = db.x.Rebind(query)
	db.mu.Lock()
	st, ok := db.stmts[query]
	db.mu.Unlock()
	tx, inTx := ctx.Value(txKey{}).(*sqlx.Tx)
	if !ok && inTx && tx != nil && db.dialect == SQLite {
		// Prepared on the transaction's own connection (closed with it;
		// cheap in process): preparing on the pool would wait for a second
		// connection while this transaction holds SQLite's write lock, and
		// every connection may be held by a writer waiting for that lock —
		// a deadlock until the query timeout (issue 16: the outbox sends in
		// parallel).
		return tx.PreparexContext(ctx, query)
	}
	if !ok {
		var err error
		if st, err = db.x.PreparexContext(ctx, query); err != nil {
			return nil, err
		}
		db.mu.Lock()
		if prev, ok := db.stmts[query]; ok {
			st.Close()
			st = prev
		} else if len(db.stmts) < maxPrepared {
			db.stmts[query] = st
		}
		db.mu.Unlock()
	}
	if inTx && tx != nil {
		return tx.StmtxContext(ctx, st), nil
	}
	return st, nil
}

// Get runs a query that returns one row and scans it into dest (a struct with
// db tags, or a single value). No row gives an error wrapping sql.ErrNoRows.
func (db *DB) Get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	st, err := db.stmtOn(ctx, query)
	if err == nil {
		err = st.GetContext(ctx, dest, db.args(args)...)
	}
	if err != nil {
		return fmt.Errorf("store: get: %w", err)
	}
	return nil
}

// Select runs a query and scans all rows into dest, a pointer to a slice.
func (db *DB) Select(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	st, err := db.stmtOn(ctx, query)
	if err == nil {
		err = st.SelectContext(ctx, dest, db.args(args)...)
	}
	if err != nil {
		return fmt.Errorf("store: select: %w", err)
	}
	return nil
}

// Exec runs a statement and returns the number of rows it affected.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	st, err := db.stmtOn(ctx, query)
	var res sql.Result
	if err == nil {
		res, err = st.ExecContext(ctx, db.args(args)...)
	}
	if err != nil {
		return 0, fmt.Errorf("store: exec: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: exec: rows affected: %w", err)
	}
	return n, nil
}

// sqliteTime is the one text form times take in SQLite: UTC with a fixed number
// of fraction digits, so that comparing the text compares the instants, and a
// form the driver parses back into time.Time for TIMESTAMP columns.
const sqliteTime = "2006-01-02 15:04:05.000000-07:00"

// args adapts arguments to the dialect: times become UTC, and on SQLite the
// fixed-width text above.
func (db *DB) args(args []any) []any {
	out := args
	for i, a := range args {
		var t time.Time
		switch v := a.(type) {
		case time.Time:
			t = v
		case *time.Time:
			if v == nil {
				continue
			}
			t = *v
		case sql.NullTime:
			if !v.Valid {
				if db.dialect == SQLite {
					out = replace(out, args, i, nil)
				}
				continue
			}
			t = v.Time
		default:
			continue
		}
		var conv any = t.UTC()
		if db.dialect == SQLite {
			conv = t.UTC().Format(sqliteTime)
		}
		out = replace(out, args, i, conv)
	}
	return out
}

// replace sets out[i] = v, copying args first so the caller's slice is left alone.
func replace(out, args []any, i int, v any) []any {
	if &out[0] == &args[0] {
		out = append([]any(nil), args...)
	}
	out[i] = v
	return out
}
