package store_test

import (
	"slices"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// The daemon's PostgreSQL sessions run without JIT compilation (compiling a
// short statement cost far more CPU than running it), unless the database
// URL asks for it.
func TestPostgresSessionsRunWithoutJITUnlessAsked(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	url := storetest.URL(t, store.Postgres)
	for _, c := range []struct{ url, want string }{{url, "off"}, {url + "&jit=on", "on"}} {
		db, err := store.Open(t.Context(), c.url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		err = db.Get(t.Context(), &jit, `SHOW jit`)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if jit != c.want {
			t.Errorf("jit = %q with %s, want %q", jit, store.RedactURL(c.url), c.want)
		}
	}
}
