package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// inList is a query with a variable IN list of n placeholders, the kind of
// text that makes the number of distinct query texts unbounded.
func inList(n int) (string, []any) {
	args := make([]any, n)
	for i := range args {
		args[i] = i
	}
	return `SELECT COUNT(*) FROM cases WHERE id IN (?` + strings.Repeat(", ?", n-1) + `)`, args
}

// openOneConn opens a migrated throwaway database on a pool of a single
// connection, so what the server reports for "this session" is everything
// the handle prepared.
func openOneConn(t *testing.T, dialect string) *store.DB {
	t.Helper()
	url := storetest.URL(t, dialect)
	db, err := store.Open(t.Context(), url, store.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// The cache once kept 256 statements and then prepared every new text without
// ever closing it: 400 distinct texts left 401 statements on the server.
func TestDistinctQueriesDoNotPileUpPreparedStatementsOnTheServer(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			db := openOneConn(t, d)
			ctx := t.Context()
			const distinct = store.MaxPrepared + 150
			for n := 1; n <= distinct; n++ {
				q, args := inList(n)
				var count int
				if err := db.Get(ctx, &count, q, args...); err != nil {
					t.Fatalf("query with %d values: %v", n, err)
				}
			}
			if got := db.CachedStatements(); got > store.MaxPrepared {
				t.Fatalf("%d statements cached, want at most %d", got, store.MaxPrepared)
			}
			// A statement evicted long ago is prepared again and works.
			q, args := inList(1)
			var count int
			if err := db.Get(ctx, &count, q, args...); err != nil {
				t.Fatalf("first query again: %v", err)
			}
			if d != store.Postgres {
				return
			}
			var onServer int
			if err := db.Get(ctx, &onServer, `SELECT COUNT(*) FROM pg_prepared_statements`); err != nil {
				t.Fatal(err)
			}
			// The cache's statements, this count's own among them.
			if onServer > store.MaxPrepared {
				t.Fatalf("%d statements prepared on the server's session after %d distinct queries, want at most %d",
					onServer, distinct, store.MaxPrepared)
			}
		})
	}
}

// Eviction never closes a statement under a query that is using it, inside
// or outside a transaction: queries running side by side on a tiny cache all
// succeed, and nothing is left prepared beyond the cache and the statements
// still in use.
func TestStatementCacheEvictsSafelyUnderConcurrentQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const limit = 3
		db.LimitPrepared(limit)
		ctx := t.Context()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				for i := range 40 {
					q, args := inList(1 + (w*7+i)%12)
					var count int
					var err error
					if w%2 == 0 {
						err = db.Get(ctx, &count, q, args...)
					} else {
						err = db.InTx(ctx, func(ctx context.Context) error {
							if err := db.Get(ctx, &count, q, args...); err != nil {
								return err
							}
							// A second text in the same transaction evicts others meanwhile.
							q2, args2 := inList(1 + (w*5+i)%12)
							return db.Get(ctx, &count, q2, args2...)
						})
					}
					if err != nil {
						errs <- fmt.Errorf("worker %d query %d: %w", w, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := db.CachedStatements(); got > limit {
			t.Fatalf("%d statements cached, want at most %d", got, limit)
		}
	})
}
