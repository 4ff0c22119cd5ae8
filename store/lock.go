package store

import (
	"context"
	"fmt"
)

// TryLock takes the named lock if nobody holds it and reports whether it did.
// Several daemons sharing one PostgreSQL database use it so that only one of
// them polls a mailbox. On PostgreSQL it is a session advisory lock on a
// connection reserved for the holder: it disappears when the holder's process
// or connection dies, so a crashed daemon never blocks the others. On SQLite,
// which one daemon owns, it excludes within this handle.
//
// release gives the lock back; it is safe to call more than once.
func (db *DB) TryLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	if db.dialect == SQLite {
		db.mu.Lock()
		defer db.mu.Unlock()
		if db.locks[name] {
			return nil, false, nil
		}
		db.locks[name] = true
		var done bool
		return func() {
			db.mu.Lock()
			defer db.mu.Unlock()
			if !done {
				delete(db.locks, name)
				done = true
			}
		}, true, nil
	}

	conn, err := db.x.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: lock %q: %w", name, err)
	}
	qctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	var got bool
	if err := conn.QueryRowContext(qctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, name).Scan(&got); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("store: lock %q: %w", name, err)
	}
	if !got {
		conn.Close()
		return nil, false, nil
	}
	var released bool
	return func() {
		if released {
			return
		}
		released = true
		// The pool keeps the connection, so unlock explicitly before handing it back.
		_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, name)
		conn.Close()
	}, true, nil
}
