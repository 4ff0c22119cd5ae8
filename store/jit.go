package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// openPool opens the connection pool. On PostgreSQL every new connection
// first turns JIT compilation off for its session: the daemon's statements
// are short, and once growing tables lift a plan's estimated cost over
// jit_above_cost, compiling took 80–120 ms of CPU per run of a 3 ms
// statement (the outbox claim, measured over a 20,000 backlog). A SET, not a
// start-up parameter, so a pooler that refuses unknown start-up parameters
// (PgBouncer) still lets the daemon in. A URL that names jit (?jit=on) is
// left to itself: lib/pq sends that as a start-up parameter.
func openPool(dialect, driverName, dsn string) (*sqlx.DB, error) {
	if dialect != Postgres {
		return sqlx.Open(driverName, dsn)
	}
	if u, err := url.Parse(dsn); err == nil && u.Query().Has("jit") {
		return sqlx.Open(driverName, dsn)
	}
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sqlx.NewDb(sql.OpenDB(jitOff{c}), driverName), nil
}

// jitOff is a connector whose connections run SET jit = off first.
type jitOff struct{ driver.Connector }

func (j jitOff) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := j.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		return conn, nil
	}
	if _, err := ex.ExecContext(ctx, `SET jit = off`, nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("store: SET jit = off: %w", err)
	}
	return conn, nil
}
