package workflow_test

import (
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The outbox works in sets: the attempts of a group's mail are recorded
// with its rows, and mail the server took is marked sent together
// (with the confirmations acknowledging their cases), not one statement
// and one commit per mail.
func TestOutboxRecordsAttemptsAndSentMarksInSets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &recordingTransport{}
		w, counted, clock := groupWorkflowSending(t, db, tr)
		for i, r := range w.ProcessGroup(t.Context(), aGroup(clock.Now())) {
			if r.Err != nil {
				t.Fatalf("message %d: %v", i+1, r.Err)
			}
		}
		n, err := w.DeliverDue(t.Context())
		if err != nil || n != 7 {
			t.Fatalf("DeliverDue: %d, %v; want 7 mails", n, err)
		}
		if got := tr.count(); got != 7 {
			t.Fatalf("%d mails handed to the server, want 7", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); n != 7 {
			t.Errorf("%d mails marked sent, want 7", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'accepted'`); n != 7 {
			t.Errorf("%d attempts recorded as accepted, want 7", n)
		}
		// Each confirmation sent moves its case on, once, on the timeline.
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE status = ?`, workflow.StatusAcknowledged); n != 3 {
			t.Errorf("%d cases acknowledged, want 3", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE kind = ? AND detail LIKE '%confirmation sent%'`, workflow.EventStatus); n != 3 {
			t.Errorf("%d acknowledgement events, want 3", n)
		}
		// The group hands its mail over: the attempts are recorded with its
		// outbox rows (twice written: before the follow-up's lookup, and at
		// the end), on PostgreSQL in the same statement.
		if n := counted.statements("INSERT INTO outbox_attempts") + counted.statements("WITH o AS (INSERT INTO outbox"); n == 0 || n > 2 {
			t.Errorf("%d statements started the 7 attempts, want one per write of the group's mail (2)", n)
		}
		marks := counted.statements("UPDATE outbox SET state = ?, sent_at") + counted.statements("WITH a AS ( UPDATE outbox_attempts")
		if marks == 0 || marks > 2 {
			t.Errorf("%d statements marked 7 mails sent, want 1 (2 at most if the sends spread out)", marks)
		}
		// Nothing is sent twice.
		if n, err := w.DeliverDue(t.Context()); err != nil || n != 0 {
			t.Errorf("second pass: %d, %v", n, err)
		}
	})
}
