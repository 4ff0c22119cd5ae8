package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ErrLockLost is returned by Lock.Held when the lock is no longer this
// handle's: its session ended (the backend was terminated, the server
// restarted, the connection broke) or it could not be confirmed in time.
var ErrLockLost = errors.New("store: lock lost")

// lockCheckTimeout bounds one Held check. A check that cannot be answered
// in time counts as a lost lock: a holder that cannot prove it holds the
// lock must stop, since another daemon may have it by now.
const lockCheckTimeout = 2 * time.Second

// lockCheckGrace is how long past its timeout a check waits for the driver
// to return before it counts the lock lost on its own.
const lockCheckGrace = 100 * time.Millisecond

// Lock is a named lock this handle holds (Acquire).
type Lock struct {
	db   *DB
	name string
	conn *sql.Conn // PostgreSQL: the connection whose session holds the lock
	// Backend is the PostgreSQL process id of the session holding the lock
	// (0 on SQLite), for logs and for administrators (pg_terminate_backend).
	Backend int

	mu       sync.Mutex
	released bool
	lost     error
}

// Acquire takes the named lock if nobody holds it; ok is false when
// someone does. Several daemons sharing one PostgreSQL database use it so
// that only one of them polls a mailbox. On PostgreSQL it is a session
// advisory lock on a connection reserved for the holder: it disappears when
// the holder's process or connection dies, so a crashed daemon never blocks
// the others — and so the holder must check with Held that it still has it.
// On SQLite, which one daemon owns, it excludes within this handle.
func (db *DB) Acquire(ctx context.Context, name string) (l *Lock, ok bool, err error) {
	if db.dialect == SQLite {
		db.mu.Lock()
		defer db.mu.Unlock()
		if db.locks[name] {
			return nil, false, nil
		}
		db.locks[name] = true
		return &Lock{db: db, name: name}, true, nil
	}
	conn, err := db.x.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: lock %q: %w", name, err)
	}
	qctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	var got bool
	var backend int
	if err := conn.QueryRowContext(qctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0)), pg_backend_pid()`, name).Scan(&got, &backend); err != nil {
		discard(conn)
		return nil, false, fmt.Errorf("store: lock %q: %w", name, err)
	}
	if !got {
		conn.Close()
		return nil, false, nil
	}
	return &Lock{db: db, name: name, conn: conn, Backend: backend}, true, nil
}

// Held returns nil while the lock is still this handle's, and an error
// wrapping ErrLockLost, saying why, once it is not; a lost lock stays lost
// (Acquire it again). On PostgreSQL it asks the server, on the lock's own
// connection, within lockCheckTimeout.
func (l *Lock) Held(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.lost != nil:
		return l.lost
	case l.released:
		return fmt.Errorf("%w: %q was released", ErrLockLost, l.name)
	case l.conn == nil:
		return nil
	}
	bound := min(lockCheckTimeout, l.db.queryTimeout)
	qctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	// The driver gives up on a query only when the server answers its
	// cancel request; a server that went silent (a failover, a broken
	// network) answers nothing, and the query would wait for TCP to give
	// up. So the check has its own deadline, whatever the driver does.
	type answer struct {
		held bool
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		var a answer
		a.err = l.conn.QueryRowContext(qctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0))`, l.name).Scan(&a.held)
		answered <- a
	}()
	deadline := time.NewTimer(bound + lockCheckGrace)
	defer deadline.Stop()
	var a answer
	select {
	case a = <-answered:
	case <-deadline.C:
		l.lost = fmt.Errorf("%w: %q: its session (backend %d) did not answer within %v", ErrLockLost, l.name, l.Backend, bound)
		// The connection is closed once the driver lets go of it.
		go discard(l.conn)
		return l.lost
	}
	switch {
	case a.err != nil && ctx.Err() != nil:
		return fmt.Errorf("store: lock %q: %w", l.name, ctx.Err()) // the caller stops; not a loss
	case a.err != nil:
		l.lost = fmt.Errorf("%w: %q: its session (backend %d) cannot be confirmed: %w", ErrLockLost, l.name, l.Backend, a.err)
	case !a.held:
		l.lost = fmt.Errorf("%w: %q: its session (backend %d) no longer holds it", ErrLockLost, l.name, l.Backend)
	default:
		return nil
	}
	// Whether the session is gone or only silent, close its connection: a
	// session that lives on must not keep the lock from the other daemons.
	discard(l.conn)
	return l.lost
}

// Release gives the lock back; it is safe to call more than once, and after
// the lock was lost.
func (l *Lock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return
	}
	l.released = true
	if l.conn == nil {
		l.db.mu.Lock()
		delete(l.db.locks, l.name)
		l.db.mu.Unlock()
		return
	}
	if l.lost != nil {
		return // its connection is closed already
	}
	// The pool keeps the connection, so unlock explicitly before handing it back.
	ctx, cancel := context.WithTimeout(context.Background(), l.db.queryTimeout)
	defer cancel()
	if _, err := l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, l.name); err != nil {
		discard(l.conn)
		return
	}
	l.conn.Close()
}

// discard closes a connection for good instead of returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(io.Closer); ok {
			_ = c.Close()
		}
		return driver.ErrBadConn // database/sql drops the connection
	})
	_ = conn.Close()
}

// TryLock is Acquire for callers that only need to give the lock back.
func (db *DB) TryLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	l, ok, err := db.Acquire(ctx, name)
	if !ok || err != nil {
		return nil, ok, err
	}
	return l.Release, true, nil
}
