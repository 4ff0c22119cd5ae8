package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// stmtOn returns a statement running query in the transaction carried by
// ctx, or on the pool; the caller gives it back with done once the query is
// over. Prepared statements are kept per database handle (database/sql
// prepares each once per connection and reuses it inside transactions), so
// the server parses and plans a query once instead of on every execution.
// The cache is bounded (see stmtCache): what it does not keep is closed, on
// the server too.
//
// A text not cached yet is prepared on the pool. Inside a transaction that
// needs a second connection while this one is held, and when every
// connection is held by a transaction doing the same they would all wait
// until they time out. On SQLite (transactions waiting for this one's write
// lock hold the pool) it therefore runs unprepared on the transaction's
// connection; on PostgreSQL, where an unprepared query with arguments costs
// two round trips instead of one, the pool is asked for at most
// txPrepareWait, and the query runs unprepared only when none is free.
func (db *DB) stmtOn(ctx context.Context, query string) (statement, error) {
	query = db.x.Rebind(query)
	tx, _ := ctx.Value(txKey{}).(*sqlx.Tx)
	cs := db.stmts.get(query)
	if cs == nil {
		if tx != nil && db.dialect == SQLite {
			return txStatement(ctx, tx, query), nil
		}
		pctx := ctx
		if tx != nil {
			// Inside a transaction the pool is asked only briefly for a
			// connection to prepare on (see above): most of the daemon's
			// statements run only in transactions, and unprepared they would
			// be parsed and planned again on every execution.
			var cancel context.CancelFunc
			pctx, cancel = context.WithTimeout(ctx, txPrepareWait)
			defer cancel()
		}
		st, err := db.x.PreparexContext(pctx, query)
		if err != nil {
			if tx != nil {
				return statement{tx: tx, query: query}, nil
			}
			return statement{}, err
		}
		cs = db.stmts.add(query, st)
	}
	s := statement{st: cs.st, done: func() { db.stmts.put(cs) }}
	if tx != nil {
		// The transaction's copy holds the statement open until the
		// transaction ends, whatever the cache does with it meanwhile.
		s.st = tx.StmtxContext(ctx, cs.st)
	}
	return s, nil
}

// txPrepareWait is how long a transaction's first use of a query text
// waits for a pool connection to prepare it on before running it unprepared.
const txPrepareWait = 50 * time.Millisecond

// statement is one query ready to run: a cached prepared statement, or a
// text run unprepared in a transaction.
type statement struct {
	st    *sqlx.Stmt // nil: query runs unprepared on tx
	tx    *sqlx.Tx
	query string
	done  func() // gives a cached statement back; nil otherwise
}

func (s statement) get(ctx context.Context, dest any, args []any) error {
	defer s.release()
	if s.st == nil {
		return s.tx.GetContext(ctx, dest, s.query, args...)
	}
	return s.st.GetContext(ctx, dest, args...)
}

func (s statement) selectAll(ctx context.Context, dest any, args []any) error {
	defer s.release()
	if s.st == nil {
		return s.tx.SelectContext(ctx, dest, s.query, args...)
	}
	return s.st.SelectContext(ctx, dest, args...)
}

func (s statement) exec(ctx context.Context, args []any) (sql.Result, error) {
	defer s.release()
	if s.st == nil {
		return s.tx.ExecContext(ctx, s.query, args...)
	}
	return s.st.ExecContext(ctx, args...)
}

func (s statement) release() {
	if s.done != nil {
		s.done()
	}
}

// Get runs a query that returns one row and scans it into dest (a struct with
// db tags, or a single value). No row gives an error wrapping sql.ErrNoRows.
func (db *DB) Get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	st, err := db.stmtOn(ctx, query)
	if err == nil {
		err = st.get(ctx, dest, db.args(args))
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
		err = st.selectAll(ctx, dest, db.args(args))
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
		res, err = st.exec(ctx, db.args(args))
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
	// A multi-row statement passes the same moment many times (created,
	// updated, next attempt of every row): it is converted once.
	var last time.Time
	var lastConv any
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
		if lastConv == nil || t != last {
			last, lastConv = t, t.UTC()
			if db.dialect == SQLite {
				lastConv = t.UTC().Format(sqliteTime)
			}
		}
		out = replace(out, args, i, lastConv)
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
