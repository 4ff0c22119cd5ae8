package store

import "context"

// MigrateTo applies the migrations up to version, for tests of one migration.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// ConnsInUse is how many pool connections are in use, for tests that wait
// for a query to be holding one.
func (db *DB) ConnsInUse() int { return db.x.Stats().InUse }
