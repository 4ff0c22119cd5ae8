//go:build withreport

// Needs the annual report (helper H5, workflow/report*.go, complaintd report):
// delete the build line above once that is merged. Checked against H5 commit
// 1b27681 on SQLite and PostgreSQL.

package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// An anonymised case still counts in the annual report of its year
// (issue 13): the report made before retention anonymised the case and the
// one made after say the same, and the rendered report still holds none of
// the personal data.
func TestAnonymisedCaseStillCountsInItsYearsReport(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		c := judgedAndClosed(t, h)
		now := h.clock.Now()
		h.exec(`UPDATE cases SET verdict = ?, report_line = ?, location = ? WHERE id = ?`,
			"gegrond", "Het ophaalprotocol is met alle medewerkers doorgenomen.", "KDV De Rups", c.ID)
		h.exec(`INSERT INTO case_categories (case_id, category, created_at) VALUES (?, ?, ?)`, c.ID, "veiligheid en gezondheid", now)
		h.exec(`INSERT INTO escalations (case_id, body, filed_on, outcome, outcome_on, reference, note, created_at, updated_at)
			VALUES (?, 'geschillencommissie', '2026-12-28', 'ongegrond', '2027-06-01', 'GCK-1', 'Sanne Jansen', ?, ?)`, c.ID, now, now)
		h.exec(`INSERT INTO report_confirmations (year, location, sent_on, confirmed_by, confirmed_at) VALUES (2026, '', '2027-05-20', 'directie@vlinder.example', ?)`, now)
		before, err := h.c.wf.BuildReport(h.ctx, 2026, "")
		if err != nil {
			t.Fatal(err)
		}
		h.at(time.Date(2029, 2, 2, 9, 0, 0, 0, amsterdam))
		if n := h.countRows("cases", "id = ? AND anonymised_at IS NOT NULL", c.ID); n != 1 {
			t.Fatal("the case was not anonymised")
		}
		after, err := h.c.wf.BuildReport(h.ctx, 2026, "")
		if err != nil {
			t.Fatalf("no report for the year of an anonymised case: %v", err)
		}
		after.Made = before.Made
		if !reflect.DeepEqual(before, after) || after.Total != 1 || after.Geschillencommissie.Total != 1 {
			t.Errorf("the report changed when its case was anonymised:\nbefore %+v\nafter  %+v", before, after)
		}
		h.cfg.Report = ReportConfig{RegulationSummary: "Onze klachtenregeling.", HowParentsInformed: "Per nieuwsbrief."}
		out, _, err := run(t, h.ctx, "report", "-config", writeHarnessConfig(t, h.cfg), "-year", "2026", "-format", "md")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "2026") {
			t.Errorf("the report:\n%s", out)
		}
		for _, gone := range []string{"Sanne", "sanne.jansen", "Noah", "GCK-1"} {
			if strings.Contains(out, gone) {
				t.Errorf("the report shows %q", gone)
			}
		}
	})
}
