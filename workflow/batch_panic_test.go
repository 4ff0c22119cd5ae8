package workflow_test

import (
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A message whose parsing panics (hostile bytes meeting a bug in the
// parser) costs only itself in a group too: the poller records a group's
// arrivals and parses its messages on a goroutine of its own (ArriveGroup),
// where nothing would recover the panic and the daemon would die with the
// group before it half acted on. The message fails alone, with the panic as
// its reason and its attempt counted, and is quarantined once it runs out
// of attempts; the messages around it are acted on as usual.
func TestMessageWhoseParsingPanicsCostsOnlyItselfInAGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, batch := troubleSecond(t, db, "<boom@example.nl>", "Dit bericht laat de parser struikelen.", func() { panic("parser bug") })
		offer := func() (rs []workflow.GroupResult) {
			t.Helper()
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("the group panicked (the daemon would die): %v", p)
				}
			}()
			return w.ProcessGroup(t.Context(), batch)
		}
		for i, r := range offer() {
			switch {
			case i == 1 && r.Err == nil:
				t.Errorf("message %d: %+v, want an error (the panic)", i+1, r)
			case i != 1 && r.Settled.State != workflow.LedgerProcessed:
				t.Errorf("message %d: %+v, want processed", i+1, r)
			}
		}
		checkGroupOutcome(t, db)
		var reason string
		if err := db.Get(t.Context(), &reason, `SELECT reason FROM ledger WHERE uid = 9`); err != nil {
			t.Fatal(err)
		}
		if want := "panic: parser bug"; reason != want {
			t.Errorf("the failed message's ledger reason is %q, want %q", reason, want)
		}
		// Offered again until it runs out of attempts: then it is
		// quarantined, and the others are left as they were.
		var last []workflow.GroupResult
		for range 3 {
			last = offer()
		}
		if r := last[1]; r.Err != nil || r.Disposition != workflow.Quarantine {
			t.Errorf("the panicking message after four offers: %+v, want quarantined", r)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 3 {
			t.Errorf("%d cases, want the three complaints'", n)
		}
	})
}
