package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// txKey carries the current transaction in a context.
type txKey struct{}

// InTx runs fn in a transaction: every Get, Select and Exec given the context
// fn receives runs inside it. fn's error (or panic) rolls it back; otherwise it
// commits. Called inside another InTx, fn joins the outer transaction, so a
// step can be written once and used alone or as part of a larger change.
//
// Carrying the transaction in the context keeps this package's signatures to
// standard types, so the workflow package can declare the interface it needs
// without importing store.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if tx, ok := ctx.Value(txKey{}).(*sqlx.Tx); ok && tx != nil {
		return fn(ctx)
	}
	tx, err := db.x.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	fctx := context.WithValue(ctx, txKey{}, tx)
	if db.dialect == SQLite {
		fctx = context.WithValue(fctx, txStmtsKey{}, &txStmts{m: map[string]*sqlx.Stmt{}})
	}
	if err := fn(fctx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
