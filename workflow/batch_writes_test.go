package workflow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A group claims its messages' ledger entries with one statement and writes
// each once, and the
// same bytes twice in one batch (under two UIDs) are acted on once, as they
// are one at a time: the second is "the same message" as the first.
func TestGroupClaimsWithOneStatementAndActsOnTheSameBytesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := groupWorkflow(t, db)
		group := aGroup(clock.Now())
		again := group[1] // Peter's complaint, delivered twice
		again.UID = 5
		group = append(group, again)
		rs := w.ProcessGroup(t.Context(), group)
		var first int64
		if err := db.Get(t.Context(), &first, `SELECT id FROM ledger WHERE uid = 2`); err != nil {
			t.Fatal(err)
		}
		want := workflow.Settled{State: workflow.LedgerIgnored, Reason: fmt.Sprintf("same message as ledger #%d", first)}
		if r := rs[4]; r.Err != nil || r.Disposition != workflow.Done || r.Settled != want {
			t.Errorf("the second copy: %+v, want %+v", r, want)
		}
		for i, r := range rs[:4] {
			if r.Err != nil || r.Settled.State != workflow.LedgerProcessed {
				t.Errorf("message %d: %+v", i+1, r)
			}
		}
		checkGroupOutcome(t, db)
		if n := counted.statements("SELECT id, sha256"); n != 1 {
			t.Errorf("%d statements claimed the group's entries, want 1", n)
		}
		// The claim only locks: each entry's row is written once, claim,
		// case and outcome together (on PostgreSQL every UPDATE is a new
		// copy of the row, its raw bytes and index entries).
		written := 0
		for _, q := range counted.Queries("UPDATE ledger") {
			_, in, _ := strings.Cut(q, "WHERE id IN (")
			written += strings.Count(in, "?")
		}
		if written != len(group) {
			t.Errorf("the group's %d ledger entries were written %d times, want once each", len(group), written)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE uid = 5 AND state = 'ignored' AND case_id IS NULL`); n != 1 {
			t.Errorf("the second copy's entry is not ignored without a case")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger l JOIN messages m ON m.ledger_id = l.id
			WHERE l.state = 'processed' AND l.case_id = m.case_id`); n != 4 {
			t.Errorf("%d processed entries name the case their message is on, want 4", n)
		}
	})
}
