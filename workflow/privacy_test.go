package workflow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The retention rule of complaint-law.md section 6: the latest of the
// retention period after closing and the Geschillencommissie's window after
// the judgment, and never while held. A report confirmation for the case's
// own location counts as well as the organisation's.
func TestRetentionIsTheLatestDateAndWaitsForEveryHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		set := testSettings()
		set.Privacy.AnonymiseAfterMonths = 6
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Clock: clock, Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Process(t.Context(), delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(t.Context(), q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`UPDATE outbox SET state = ?`, workflow.OutboxSent) // nothing left to send
		retention := func() workflow.Retention {
			t.Helper()
			rs, err := w.RetentionOf(t.Context())
			if err != nil || len(rs) != 1 {
				t.Fatalf("retention: %v %+v", err, rs)
			}
			return rs[0]
		}
		holds := func(r workflow.Retention) string {
			var s []string
			for _, h := range r.Holds {
				s = append(s, h.Reason)
			}
			return strings.Join(s, "; ")
		}
		if r := retention(); !r.Due.IsZero() || !strings.Contains(holds(r), "the case is open") {
			t.Errorf("an open case: due %v, holds %q", r.Due, holds(r))
		}
		judged := time.Date(2026, 12, 20, 10, 0, 0, 0, amsterdam)
		exec(`UPDATE cases SET status = ?, decided_at = ?, location = ?`, workflow.StatusDecided, judged, "KDV De Rups")
		exec(`INSERT INTO measures (case_id, description, due_date, created_at) VALUES (1, 'Nieuwe ophaallijsten', '2027-01-15', ?)`, judged)
		if r := retention(); !strings.Contains(holds(r), "judged") || !strings.Contains(holds(r), "1 measure(s) not reported done") {
			t.Errorf("a judged case with a measure open: %q", holds(r))
		}
		closed := time.Date(2027, 1, 14, 9, 0, 0, 0, amsterdam)
		exec(`UPDATE measures SET done_at = ?`, closed)
		exec(`UPDATE cases SET status = ?, closed_at = ?`, workflow.StatusClosed, closed)
		r := retention()
		// Six months after closing is July 2027; the parent may go to the
		// Geschillencommissie until twelve months after the judgment.
		if want := judged.AddDate(1, 0, 0); !r.Due.Equal(want) {
			t.Errorf("due %v, want the end of the Geschillencommissie window %v", r.Due, want)
		}
		if h := holds(r); h != "the annual report 2026 is not confirmed sent to the GGD (#verslag-verzonden)" {
			t.Errorf("holds %q, want only the report", h)
		}
		exec(`INSERT INTO report_confirmations (year, location, sent_on, confirmed_by, confirmed_at) VALUES (2026, 'KDV De Rups', '2027-05-01', 'directie', ?)`, closed)
		// A dispute filed the next year is counted in that year's report:
		// the case waits for it too, also once the dispute is decided.
		exec(`INSERT INTO escalations (case_id, body, filed_on, outcome, outcome_on, created_at, updated_at)
			VALUES (1, 'geschillencommissie', '2027-03-01', 'ongegrond', '2027-09-01', ?, ?)`, closed, closed)
		if h := holds(retention()); h != "the annual report 2027 is not confirmed sent to the GGD (#verslag-verzonden)" {
			t.Errorf("holds %q, want the report of the year of the dispute", h)
		}
		exec(`INSERT INTO report_confirmations (year, location, sent_on, confirmed_by, confirmed_at) VALUES (2027, '', '2028-05-01', 'directie', ?)`, closed)
		exec(`UPDATE cases SET safeguarding = ?`, true)
		if r := retention(); holds(r) != "the safeguarding flag is set" || r.Ready(judged.AddDate(2, 0, 0)) {
			t.Errorf("with the location's report sent and a safeguarding flag: %q", holds(r))
		}
		exec(`UPDATE cases SET safeguarding = ?`, false)
		r = retention()
		if r.Ready(r.Due.Add(-time.Minute)) || !r.Ready(r.Due) {
			t.Errorf("ready a minute before %v, or not at it: %+v", r.Due, r)
		}
		dues, err := w.DueAt(t.Context(), r.Due)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, d := range dues {
			found = found || d.Kind == workflow.DueAnonymise && d.Reference == r.Reference
		}
		if !found {
			t.Errorf("the scheduler does not list the anonymisation at %v: %+v", r.Due, dues)
		}
		clock.Set(r.Due)
		if _, err := w.RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if rs, _ := w.RetentionOf(t.Context()); len(rs) != 0 {
			t.Errorf("the case was not anonymised: %+v", rs)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE anonymised_at IS NOT NULL AND complainant_email = '' AND location = 'KDV De Rups'`); n != 1 {
			t.Error("the anonymised case lost its location or kept its address")
		}
	})
}
