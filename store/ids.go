package store

import "fmt"

// IDBlock is a query taking one argument, n, that returns (in column id) n
// ids for table's id column that the database gives nobody else, so that a
// caller can insert rows with ids it knew before writing them (a grouped
// batch writes each table with one statement at its end, but its reply
// tokens name case and participant ids while it runs).
//
// On PostgreSQL they come from the table's sequence, which hands no value
// out twice (unused ones are a gap, as after any rollback). On SQLite the
// writer holds the whole database from BEGIN IMMEDIATE to the commit, so
// they are the n ids above the highest the table holds or ever held
// (AUTOINCREMENT's sqlite_sequence): they stay free for as long as the
// transaction inserts into table only with them. table must be one of the
// schema's names, never input.
func (db *DB) IDBlock(table string) string {
	if db.dialect == Postgres {
		return fmt.Sprintf(`SELECT nextval(pg_get_serial_sequence('%s', 'id')) AS id FROM generate_series(1, ?)`, table)
	}
	return fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		SELECT b.base + n.i AS id FROM n, (SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '%s'), 0),
			COALESCE((SELECT MAX(id) FROM %s), 0)) AS base) b ORDER BY id`, table, table)
}
