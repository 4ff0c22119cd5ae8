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

// A case created at the very moment a manager's digest is recorded — here
// one that had nothing to report — is new in exactly one digest: the
// next. Then it is not new again.
func TestCaseCreatedAtTheDigestMomentIsNewInExactlyOneDigest(t *testing.T) {
	for _, order := range []string{"digest first", "case first"} {
		t.Run(order, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				set := testSettings()
				set.Managers = []workflow.Manager{{Name: "Ilse Kramer", Email: "ilse.kramer@vlinder.example"}}
				// The digest's moment, with a fraction of a second as a real
				// clock has.
				moment := time.Date(2026, 11, 20, 7, 30, 0, 123456789, amsterdam)
				clock := workflow.NewManualClock(moment)
				w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Clock: clock, Settings: set})
				if err != nil {
					t.Fatal(err)
				}
				runDue := func() {
					t.Helper()
					if _, err := w.RunDue(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				if order == "digest first" {
					runDue() // nothing to report: recorded, not sent
					if n := count(t, db, `SELECT COUNT(*) FROM scheduled WHERE kind = ? AND note <> ''`, workflow.DueDigest); n != 1 {
						t.Fatalf("%d digests recorded as having nothing to report, want 1", n)
					}
				}
				if _, err := w.Process(t.Context(), delivery(1, moment)); err != nil {
					t.Fatal(err)
				}
				runDue()
				if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE created_at = ?`, moment); n != 1 {
					t.Fatalf("%d cases created at the digest's moment, want 1", n)
				}
				var digests []string
				for day := 1; day <= 3; day++ {
					clock.Set(moment.AddDate(0, 0, day))
					runDue()
				}
				var raws [][]byte
				if err := db.Select(t.Context(), &raws, `SELECT raw FROM outbox WHERE kind = ? ORDER BY id`, workflow.MsgDigest); err != nil {
					t.Fatal(err)
				}
				for _, r := range raws {
					digests = append(digests, string(r))
				}
				if len(digests) != 1 {
					t.Fatalf("%d digests sent over four days, want 1 (the one naming the new case)", len(digests))
				}
				if !strings.Contains(digests[0], "KL-2026-0001") {
					t.Errorf("the digest of the next day does not name the new case:\n%s", digests[0])
				}
				if n := count(t, db, `SELECT COUNT(*) FROM scheduled WHERE key = ? AND note = ''`, "digest/ilse.kramer@vlinder.example/2026-11-21"); n != 1 {
					t.Error("the digest naming the case is not the next day's")
				}
			})
		})
	}
}
