package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// After going back to an older release without restoring the database, the
// daemon and every command refuse the newer schema with both versions named,
// before anything is read or written.
func TestCommandsRefuseASchemaNewerThanTheyKnow(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, "sqlite:"+t.TempDir()+"/harness.db", nil)
		h.cfg.Database.URL = url
		config := writeHarnessConfig(t, h.cfg)
		if _, _, err := run(t, h.ctx, "migrate", "-config", config); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(h.ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, latest, err := db.SchemaVersion(h.ctx)
		if err == nil {
			_, err = db.Exec(h.ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`, latest+1, true)
		}
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"run"}, {"migrate"}, {"cases", "list"}} {
			// A daemon that did start would run until this bound; the
			// refusal comes at once.
			ctx, cancel := context.WithTimeout(h.ctx, time.Minute)
			_, _, err := run(t, ctx, append(args, "-config", config)...)
			cancel()
			if !errors.Is(err, store.ErrSchemaTooNew) {
				t.Errorf("%s on a schema at version %d: %v, want the newer schema refused", args, latest+1, err)
				continue
			}
			for _, v := range []int64{latest + 1, latest} {
				if !strings.Contains(err.Error(), strconv.FormatInt(v, 10)) {
					t.Errorf("%s: %q does not name version %d", args, err, v)
				}
			}
		}
	})
}
