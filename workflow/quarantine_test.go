package workflow_test

import (
	"errors"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A message quarantined because something was wrong on our side is
// released once that is fixed, and then processed exactly once.
func TestReleasedMessageIsProcessedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		broken := errors.New("template store unreachable")
		r := &faultyRenderer{real: realTemplates(t), fail: func() error { return broken }}
		w, clock := newWorkflow(t, db, r)
		d := delivery(1, clock.Now())
		for range 3 {
			if _, err := w.Process(ctx, d); err == nil {
				t.Fatal("processed while rendering fails")
			}
		}
		if disp, err := w.Process(ctx, d); err != nil || disp != workflow.Quarantine {
			t.Fatalf("4th attempt: %v %v, want quarantine", disp, err)
		}
		es, err := w.Quarantined(ctx)
		if err != nil || len(es) != 1 || es[0].State != workflow.LedgerQuarantined {
			t.Fatalf("quarantine list: %+v %v", es, err)
		}
		id := es[0].ID
		if n, err := w.ProcessReleased(ctx); err != nil || n != 0 {
			t.Fatalf("before release ProcessReleased took %d (%v)", n, err)
		}

		r.fail = nil // the operator fixed the cause
		if err := w.Release(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := w.Release(ctx, id); !errors.Is(err, workflow.ErrNotQuarantined) {
			t.Errorf("second release: %v, want ErrNotQuarantined", err)
		}
		if err := w.Release(ctx, id+100); !errors.Is(err, workflow.ErrLedgerNotFound) {
			t.Errorf("release of an unknown id: %v, want ErrLedgerNotFound", err)
		}
		if n, err := w.ProcessReleased(ctx); err != nil || n != 1 {
			t.Fatalf("ProcessReleased took %d (%v), want 1", n, err)
		}
		for range 2 { // later rounds find nothing more to do
			if n, err := w.ProcessReleased(ctx); err != nil || n != 0 {
				t.Fatalf("ProcessReleased again took %d (%v)", n, err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 1 {
			t.Errorf("%d cases, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 2 {
			t.Errorf("%d outgoing messages, want confirmation + notification once", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'processed' AND released_at IS NOT NULL`); n != 1 {
			t.Errorf("ledger entry not processed after its release")
		}
		if es, _ := w.Quarantined(ctx); len(es) != 0 {
			t.Errorf("still listed in quarantine: %+v", es)
		}
		// The copy in the quarantine folder moved back to the inbox by hand
		// (a new UID) is recognised by its bytes: still one case.
		again := d
		again.UID = 99
		if _, err := w.Process(ctx, again); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 1 {
			t.Errorf("%d cases after the quarantined copy came back through the inbox", n)
		}
	})
}
