package store

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// On SQLite a query text first met inside a transaction cannot be prepared
// on the pool (see stmtOn), but it can be on the transaction's own
// connection, for as long as the transaction lasts: a grouped batch runs
// the same few texts once per message, so each is parsed once per batch
// instead of once per message. database/sql closes these statements when
// the transaction ends.

// maxTxStmts bounds the statements one transaction keeps prepared; texts
// beyond it run unprepared.
const maxTxStmts = 64

// txStmts are a transaction's own prepared statements, by query text.
type txStmts struct {
	mu sync.Mutex
	m  map[string]*sqlx.Stmt
}

type txStmtsKey struct{}

// txStatement is query prepared on tx's connection, kept for the rest of
// the transaction, or else (full, or preparing failed) run unprepared.
func txStatement(ctx context.Context, tx *sqlx.Tx, query string) statement {
	ts, _ := ctx.Value(txStmtsKey{}).(*txStmts)
	if ts == nil {
		return statement{tx: tx, query: query}
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if st, ok := ts.m[query]; ok {
		return statement{st: st}
	}
	if len(ts.m) >= maxTxStmts {
		return statement{tx: tx, query: query}
	}
	st, err := tx.PreparexContext(ctx, query)
	if err != nil {
		return statement{tx: tx, query: query}
	}
	ts.m[query] = st
	return statement{st: st}
}
