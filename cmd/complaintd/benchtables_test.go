package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// printTableStats prints, on stderr, what a PostgreSQL benchmark run did to
// the tables of its schema (rows inserted, updated, of those HOT, deleted;
// size) and how often each index was scanned: the row versions and index
// entries behind the backends' CPU. A backend hands its counters over when
// it ends, so this waits (at most 10 s) until the daemon's connections,
// tagged with app, are gone; it runs after the daemon is closed.
func printTableStats(dbURL, app string, messages int) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return
	}
	schema := u.Query().Get("search_path")
	admin, err := sql.Open("postgres", os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		return
	}
	defer admin.Close()
	// The backend leaves pg_stat_activity before its counters arrive: wait
	// also until they stop changing.
	var last int64 = -1
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var conns int
		var changed int64
		if admin.QueryRow(`SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = $1),
			(SELECT COALESCE(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = $2)`,
			app, schema).Scan(&conns, &changed) != nil {
			return
		}
		if conns == 0 && changed > 0 && changed == last {
			break
		}
		last = changed
	}
	n := float64(messages)
	var out strings.Builder
	fmt.Fprintf(&out, "postgres: tables of the run, per message: inserted, updated (HOT), deleted, sequential scans (rows read); size in kB per message, live rows")
	rows, err := admin.Query(`SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, seq_scan, seq_tup_read, n_live_tup,
		pg_total_relation_size(relid) FROM pg_stat_user_tables WHERE schemaname = $1
		AND n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC`, schema)
	if err != nil {
		return
	}
	for rows.Next() {
		var name string
		var ins, upd, hot, del, seq, seqRead, live, size int64
		if rows.Scan(&name, &ins, &upd, &hot, &del, &seq, &seqRead, &live, &size) != nil {
			continue
		}
		fmt.Fprintf(&out, "\n  %-18s ins %5.2f  upd %5.2f (HOT %5.2f)  del %5.2f  seq %5.2f (%7.1f rows)  %6.1f kB/msg  %d rows",
			name, float64(ins)/n, float64(upd)/n, float64(hot)/n, float64(del)/n, float64(seq)/n, float64(seqRead)/n, float64(size)/1024/n, live)
	}
	rows.Close()
	fmt.Fprintf(&out, "\npostgres: indexes of those tables: scans per message, size, definition")
	rows, err = admin.Query(`SELECT s.relname, s.indexrelname, s.idx_scan, pg_relation_size(s.indexrelid), i.indexdef
		FROM pg_stat_user_indexes s JOIN pg_indexes i ON i.schemaname = s.schemaname AND i.indexname = s.indexrelname
		JOIN pg_stat_user_tables t ON t.relid = s.relid
		WHERE s.schemaname = $1 AND t.n_tup_ins + t.n_tup_upd + t.n_tup_del > 0 ORDER BY s.relname, s.indexrelname`, schema)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var table, index, def string
		var scans, size int64
		if rows.Scan(&table, &index, &scans, &size, &def) != nil {
			continue
		}
		if i := strings.Index(def, " USING "); i >= 0 {
			def = def[i+len(" USING "):]
		}
		fmt.Fprintf(&out, "\n  %-18s %-30s %6.2f scans/msg  %6.0f kB  %s", table, index, float64(scans)/n, float64(size)/1024, def)
	}
	fmt.Fprintln(os.Stderr, out.String())
}
