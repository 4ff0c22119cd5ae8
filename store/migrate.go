package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// provider builds a goose provider for this database's dialect and its own
// migration folder.
func (db *DB) provider(ctx context.Context) (*goose.Provider, error) {
	dir := "migrations/" + db.dialect
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Daemons starting together on one schema take turns migrating.
		id, err := db.migrationLockID(ctx)
		if err != nil {
			return nil, err
		}
		// Tried every second (goose's default: every 5), for 5 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.x.DB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// migrationLockID is the key of the advisory lock PostgreSQL migrations run
// under: one per database and schema. goose's default is one key for every
// database of the server, so that migrations of unrelated schemas (other
// installations, every test's throwaway schema) waited for each other, 5
// seconds at a time.
func (db *DB) migrationLockID(ctx context.Context) (int64, error) {
	var id int64
	err := db.x.QueryRowContext(ctx, `SELECT hashtextextended('complaintd-migrate:' || current_database() || '.' || COALESCE(current_schema(), ''), 0)`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: migration lock: %w", err)
	}
	return id, nil
}

// ErrSchemaTooNew: the database's schema was migrated by a newer complaintd
// than this one. Running on it could misread or damage what the newer
// version stores, so nothing is done.
var ErrSchemaTooNew = errors.New("store: the database schema is newer than this complaintd knows")

// Migrate brings the schema up to date. It is safe to run on every start.
// A schema newer than this build knows is refused with ErrSchemaTooNew (an
// operator went back to an older release without restoring the database).
//
// On SQLite a handle opened shared (beside a running daemon) migrates only
// under the file lock: an up-to-date schema needs nothing, and one that is
// behind while a daemon holds the file is an ErrInUse error rather than a
// schema changed under the daemon.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider(ctx)
	if err != nil {
		return err
	}
	if err := checkNotTooNew(ctx, p); err != nil {
		return err
	}
	if db.dialect == SQLite && db.lock == nil {
		pending, err := p.HasPending(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", db.dialect, err)
		}
		if !pending {
			return nil
		}
		lock, err := lockSQLiteFile(db.path)
		if err != nil {
			return fmt.Errorf("store: the schema of %s needs migrating: %w", db.path, err)
		}
		defer lock.release()
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", db.dialect, err)
	}
	return nil
}

// checkNotTooNew returns ErrSchemaTooNew, naming both versions, when the
// database has a migration applied that this build does not have.
func checkNotTooNew(ctx context.Context, p *goose.Provider) error {
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if current > latest {
		return fmt.Errorf("%w: the database is at version %d, this complaintd knows versions up to %d; run the release that migrated it (or a newer one), or restore the backup taken before it", ErrSchemaTooNew, current, latest)
	}
	return nil
}

// SchemaVersion reports the applied and the latest known schema versions.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := db.provider(ctx)
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: schema version: %w", err)
	}
	return current, latest, nil
}
