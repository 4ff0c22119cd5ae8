package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Session returns the id of this handle's session, which workflow records
// on the rows it claims so that the claims of a daemon that is gone can be
// recognised at once (see SessionGone).
//
// On PostgreSQL the id is the key of a session advisory lock held on a
// connection of its own for as long as the handle is open: the server drops
// it the moment the daemon's process or connection dies. Each call checks
// that connection, so a session lost to a broken connection is replaced. On SQLite, which
// one daemon owns (Options.Exclusive), the id is random and only needs to
// differ from the ids of the daemons before it.
func (db *DB) Session(ctx context.Context) (int64, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.dialect == SQLite {
		if db.session == 0 {
			db.session = randomID()
		}
		return db.session, nil
	}
	qctx, cancel := context.WithTimeout(ctx, db.queryTimeout)
	defer cancel()
	if db.sessionConn != nil {
		// While its connection lives, the lock is held. Once it broke (the
		// server restarted, the network dropped) the lock is gone and the
		// other daemons may take over what this id claimed; later claims
		// go under a new session.
		if _, err := db.sessionConn.ExecContext(qctx, `SELECT 1`); err == nil {
			return db.session, nil
		}
		db.sessionConn.Close()
		db.session, db.sessionConn = 0, nil
	}
	conn, err := db.x.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: session: %w", err)
	}
	for range 3 { // a clash of random 63-bit ids is not going to happen; still, never share one
		id := randomID()
		var got bool
		if err := conn.QueryRowContext(qctx, `SELECT pg_try_advisory_lock($1)`, id).Scan(&got); err != nil {
			conn.Close()
			return 0, fmt.Errorf("store: session: %w", err)
		}
		if got {
			db.session, db.sessionConn = id, conn
			return id, nil
		}
	}
	conn.Close()
	return 0, fmt.Errorf("store: session: no free advisory lock id")
}

// SessionGone returns an SQL condition, for a query of this database's
// dialect, that is true when the session id in column (recorded from Session)
// belongs to a daemon that is gone:
//   - PostgreSQL: no session holds the advisory lock of that id any more;
//   - SQLite opened Exclusive: any id but this handle's, since this handle
//     locked the file and so every earlier holder has ended;
//   - SQLite shared (a command that only looks): never, it cannot know.
//
// NULL (a claim recorded before sessions existed) counts as gone where
// liveness is known.
func (db *DB) SessionGone(column string) string {
	switch {
	case db.dialect == Postgres:
		// A bigint advisory key shows in pg_locks as classid (high 32 bits),
		// objid (low 32 bits) and objsubid 1.
		return `(` + column + ` IS NULL OR NOT EXISTS (SELECT 1 FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::bigint << 32) | l.objid::bigint) = ` + column + `))`
	case db.lock != nil:
		db.mu.Lock()
		id := db.session
		db.mu.Unlock()
		return `(` + column + ` IS NULL OR ` + column + ` <> ` + strconv.FormatInt(id, 10) + `)`
	default:
		return `(1 = 0)`
	}
}

// randomID is a positive random 63-bit number.
func randomID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return int64(binary.BigEndian.Uint64(b[:]) >> 1)
}
