package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// migrationVersions lists the versions of the migration files of a dialect,
// in order, from their names (00001_init.sql → 1).
func migrationVersions(t *testing.T, dialect string) []int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", dialect, "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations for %s (%v)", dialect, err)
	}
	var versions []int64
	for _, name := range names {
		prefix, _, _ := strings.Cut(filepath.Base(name), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: no version number: %v", name, err)
		}
		versions = append(versions, v)
	}
	slices.Sort(versions)
	return versions
}

// schemaShape is what must agree between the dialects, each item one line
// so that a difference reads as the table and column it is about.
type schemaShape struct {
	columns     []string // "table.column type [not null] [default x]"
	indexes     []string // "table name|(constraint) [unique] [partial] (cols)"
	primaryKeys []string // "table (cols)"
	foreignKeys []string // "table.column -> table.column"
}

// typeClass maps a declared column type to what both dialects mean by it.
func typeClass(t *testing.T, declared string) string {
	switch d := strings.ToLower(declared); d {
	case "bigint", "integer", "smallint", "int":
		return "integer"
	case "text", "character varying":
		return "text"
	case "boolean":
		return "boolean"
	case "timestamp with time zone", "timestamp":
		return "timestamp"
	case "bytea", "blob":
		return "bytes"
	default:
		t.Errorf("column type %q has no counterpart mapping in this test: add one", declared)
		return d
	}
}

// normalDefault writes a column default the same way for both dialects:
// PostgreSQL's casts ('parent'::text) go, and case is folded. Sequences stand
// for SQLite's rowid and are not a default.
func normalDefault(d string) string {
	if strings.HasPrefix(d, "nextval(") {
		return ""
	}
	if i := strings.Index(d, "::"); i > 0 {
		d = d[:i]
	}
	return strings.ToLower(strings.Trim(d, "()"))
}

func column(t *testing.T, table, name, typ string, notNull bool, dflt string) string {
	s := table + "." + name + " " + typeClass(t, typ)
	if notNull {
		s += " not null"
	}
	if d := normalDefault(dflt); d != "" {
		s += " default " + d
	}
	return s
}

func index(table, name string, unique, partial bool, cols string) string {
	s := table + " " + name
	if unique {
		s += " unique"
	}
	if partial {
		s += " partial"
	}
	return s + " (" + cols + ")"
}

func postgresShape(t *testing.T, db *store.DB) schemaShape {
	t.Helper()
	ctx := t.Context()
	var shape schemaShape
	var cols []struct {
		Table, Name, Type, Nullable, Default string
	}
	if err := db.Select(ctx, &cols, `SELECT table_name AS "table", column_name AS "name", data_type AS "type",
			is_nullable AS "nullable", COALESCE(column_default, '') AS "default"
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`); err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		shape.columns = append(shape.columns, column(t, c.Table, c.Name, c.Type, c.Nullable == "NO", c.Default))
	}
	var idx []struct {
		Table, Name, Cols        string
		Unique, Partial, Primary bool
		Constraint               bool
	}
	if err := db.Select(ctx, &idx, `SELECT t.relname AS "table", i.relname AS "name",
			ix.indisunique AS "unique", ix.indpred IS NOT NULL AS "partial", ix.indisprimary AS "primary",
			EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype = 'u') AS "constraint",
			array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS "cols"
		FROM pg_index ix
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND t.relname <> 'goose_db_version'`); err != nil {
		t.Fatal(err)
	}
	for _, x := range idx {
		switch {
		case x.Primary:
			shape.primaryKeys = append(shape.primaryKeys, x.Table+" ("+x.Cols+")")
		case x.Constraint:
			// A UNIQUE constraint's index is named by each database its own way.
			shape.indexes = append(shape.indexes, index(x.Table, "(constraint)", x.Unique, x.Partial, x.Cols))
		default:
			shape.indexes = append(shape.indexes, index(x.Table, x.Name, x.Unique, x.Partial, x.Cols))
		}
	}
	var fks []struct{ Table, Col, RefTable, RefCol string }
	if err := db.Select(ctx, &fks, `SELECT cl.relname AS "table", a.attname AS "col", fcl.relname AS "reftable", fa.attname AS "refcol"
		FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		JOIN pg_class fcl ON fcl.oid = c.confrelid
		CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, refcol)
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
		JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.refcol
		WHERE c.contype = 'f' AND n.nspname = current_schema()`); err != nil {
		t.Fatal(err)
	}
	for _, f := range fks {
		shape.foreignKeys = append(shape.foreignKeys, f.Table+"."+f.Col+" -> "+f.RefTable+"."+f.RefCol)
	}
	return shape.sorted()
}

func sqliteShape(t *testing.T, db *store.DB) schemaShape {
	t.Helper()
	ctx := t.Context()
	var shape schemaShape
	var tables []string
	if err := db.Select(ctx, &tables, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var cols []struct {
			Name, Type string
			NotNull    bool
			Default    string
			PK         int
		}
		if err := db.Select(ctx, &cols, `SELECT name AS "name", type AS "type", "notnull" AS "notnull",
				COALESCE(dflt_value, '') AS "default", pk AS "pk"
			FROM pragma_table_info(?)`, table); err != nil {
			t.Fatal(err)
		}
		var pk []string
		for _, c := range cols {
			// A primary key column is NOT NULL in PostgreSQL. In SQLite only
			// an INTEGER one is (it is the rowid); the other primary keys here
			// are filled by the daemon, never with NULL.
			shape.columns = append(shape.columns, column(t, table, c.Name, c.Type, c.NotNull || c.PK > 0, c.Default))
			if c.PK > 0 {
				pk = append(pk, fmt.Sprintf("%d:%s", c.PK, c.Name))
			}
		}
		if len(pk) > 0 {
			slices.Sort(pk)
			for i := range pk {
				_, pk[i], _ = strings.Cut(pk[i], ":")
			}
			shape.primaryKeys = append(shape.primaryKeys, table+" ("+strings.Join(pk, ",")+")")
		}
		var idx []struct {
			Name    string
			Unique  bool
			Partial bool
			Origin  string
		}
		if err := db.Select(ctx, &idx, `SELECT name AS "name", "unique" AS "unique", partial AS "partial", origin AS "origin"
			FROM pragma_index_list(?)`, table); err != nil {
			t.Fatal(err)
		}
		for _, x := range idx {
			var icols []string
			if err := db.Select(ctx, &icols, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, x.Name); err != nil {
				t.Fatal(err)
			}
			switch x.Origin {
			case "pk": // listed with the primary keys
			case "u":
				shape.indexes = append(shape.indexes, index(table, "(constraint)", x.Unique, x.Partial, strings.Join(icols, ",")))
			default:
				shape.indexes = append(shape.indexes, index(table, x.Name, x.Unique, x.Partial, strings.Join(icols, ",")))
			}
		}
		var fks []struct{ From, Table, To string }
		if err := db.Select(ctx, &fks, `SELECT "from" AS "from", "table" AS "table", "to" AS "to" FROM pragma_foreign_key_list(?)`, table); err != nil {
			t.Fatal(err)
		}
		for _, f := range fks {
			shape.foreignKeys = append(shape.foreignKeys, table+"."+f.From+" -> "+f.Table+"."+f.To)
		}
	}
	return shape.sorted()
}

func (s schemaShape) sorted() schemaShape {
	for _, l := range [][]string{s.columns, s.indexes, s.primaryKeys, s.foreignKeys} {
		slices.Sort(l)
	}
	return s
}

// diffLines reports the lines only one side has.
func diffLines(t *testing.T, what string, version int64, pg, lite []string) {
	t.Helper()
	for _, l := range pg {
		if !slices.Contains(lite, l) {
			t.Errorf("after migration %d, %s only in PostgreSQL: %s", version, what, l)
		}
	}
	for _, l := range lite {
		if !slices.Contains(pg, l) {
			t.Errorf("after migration %d, %s only in SQLite: %s", version, what, l)
		}
	}
}

// The two dialects' migrations are written twice by hand; after every one of
// them the two schemas must have the same tables, columns (type, NOT NULL,
// default), primary keys, indexes and foreign keys, or a query that works on
// one database fails or behaves differently on the other.
func TestPostgresAndSQLiteSchemasStayEquivalentAfterEveryMigration(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("compares with PostgreSQL: set TEST_DATABASE_URL")
	}
	pgVersions, liteVersions := migrationVersions(t, store.Postgres), migrationVersions(t, store.SQLite)
	if !slices.Equal(pgVersions, liteVersions) {
		t.Fatalf("migration versions differ: postgres %v, sqlite %v", pgVersions, liteVersions)
	}
	ctx := t.Context()
	open := func(dialect string) *store.DB {
		db, err := store.Open(ctx, storetest.URL(t, dialect), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	pg, lite := open(store.Postgres), open(store.SQLite)
	for _, v := range pgVersions {
		if err := pg.MigrateTo(ctx, v); err != nil {
			t.Fatalf("postgres migration %d: %v", v, err)
		}
		if err := lite.MigrateTo(ctx, v); err != nil {
			t.Fatalf("sqlite migration %d: %v", v, err)
		}
		p, l := postgresShape(t, pg), sqliteShape(t, lite)
		if len(p.columns) == 0 {
			t.Fatalf("after migration %d PostgreSQL shows no columns: the introspection is broken", v)
		}
		diffLines(t, "column", v, p.columns, l.columns)
		diffLines(t, "index", v, p.indexes, l.indexes)
		diffLines(t, "primary key", v, p.primaryKeys, l.primaryKeys)
		diffLines(t, "foreign key", v, p.foreignKeys, l.foreignKeys)
	}
}

// A database migrated by a newer release is refused, naming both versions,
// instead of being run on by code that does not know its schema.
func TestMigrateRefusesASchemaNewerThanItKnows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		_, latest, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		future := latest + 1
		if _, err := db.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`, future, true); err != nil {
			t.Fatal(err)
		}
		err = db.Migrate(ctx)
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("Migrate on a schema at version %d of %d: %v, want ErrSchemaTooNew", future, latest, err)
		}
		for _, n := range []int64{future, latest} {
			if !strings.Contains(err.Error(), strconv.FormatInt(n, 10)) {
				t.Errorf("error %q does not name version %d", err, n)
			}
		}
	})
}
