package workflow_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/report"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// reportWorkflow is a workflow for the report, in lang, at now.
func reportWorkflow(t *testing.T, db *store.DB, lang string, now time.Time) *workflow.Workflow {
	t.Helper()
	s := testSettings()
	s.Organisation.Language = lang
	s.Organisation.ProcedureURL = "https://www.vlinder.example/klachtenregeling"
	s.Organisation.Locations = []string{rups, anker, vlind}
	s.Report = workflow.Report{Categories: workflow.DefaultCategories(),
		RegulationSummary:  "Ouders dienen een klacht schriftelijk in; binnen zes weken volgt een schriftelijk, gemotiveerd oordeel.",
		HowParentsInformed: "Via het intakegesprek, de website en de ouderportal.",
	}
	w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
		Clock: workflow.NewManualClock(now), Settings: s, Reports: report.Render})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A year of complaints made on a manual clock: every number in the report
// equals a count made here from the test's own data, and no name, address,
// e-mail address, reference or word of a parent or handler is in any format.
func TestAnnualReportCountsTheYearAndNamesNobody(t *testing.T) {
	first := true
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := reportYear()
		loadYear(t, db, cs)
		now := ams(2027, 1, 5, 10, 0)
		want := expect(cs, now)
		w := reportWorkflow(t, db, "nl", now)
		r, err := w.BuildReport(ctx, 2026, "")
		if err != nil {
			t.Fatal(err)
		}
		checkReport(t, r, want)

		var formats [][]byte
		for _, lang := range []string{"nl", "en"} {
			rl, err := reportWorkflow(t, db, lang, now).BuildReport(ctx, 2026, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range report.Formats {
				b, err := report.Render(rl, f)
				if err != nil {
					t.Fatalf("%s %s: %v", lang, f, err)
				}
				scanForPersonalData(t, lang+"/"+f, string(b), cs)
				formats = append(formats, b)
			}
		}
		html, md, csv := string(formats[0]), string(formats[1]), string(formats[2])
		for _, s := range []string{"Klachtenverslag 2026", "Kinderopvang De Vlinder", rups, anker,
			"Afspraken over overdracht bij het ophalen aangescherpt.", "<svg", "@media print",
			"Ouders dienen een klacht schriftelijk in", "Via het intakegesprek", "https://www.vlinder.example/klachtenregeling"} {
			if !strings.Contains(html, s) {
				t.Errorf("the HTML report lacks %q", s)
			}
		}
		if !strings.Contains(md, "Nieuwsbrief verschijnt voortaan maandelijks.") || !strings.Contains(md, "## e. Klachtenloket") {
			t.Errorf("the Markdown report lacks a report line or part e:\n%s", md)
		}
		// A report line that looks like a formula stays text in a spreadsheet;
		// the small location's line is not shown at all.
		if strings.Contains(csv, "HYPERLINK") || strings.Contains(html, "HYPERLINK") {
			t.Error("the report line of a location with fewer than three complaints is shown")
		}
		if !strings.Contains(string(formats[3]), "Complaints report 2026") || !strings.Contains(string(formats[3]), "judged within six weeks") {
			t.Error("the English report is not in English")
		}
		// Nothing is loaded from elsewhere: the document prints offline.
		if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)|src=|@import|url\(`).FindString(html); m != "" {
			t.Errorf("the HTML loads something from outside: %q", m)
		}
		if first {
			first = false
			screenshot(t, formats[0])
		}
	})
}

func checkReport(t *testing.T, r *workflow.AnnualReport, e expected) {
	t.Helper()
	if r.Total != e.total || r.Parents != e.parents || r.Committees != e.committees {
		t.Errorf("total %d (parents %d, committees %d), counted %d (%d, %d)", r.Total, r.Parents, r.Committees, e.total, e.parents, e.committees)
	}
	if r.ByMonth != e.months {
		t.Errorf("per month %v, counted %v", r.ByMonth, e.months)
	}
	got := map[string]int{}
	for _, c := range r.Categories {
		got[c.Name] = c.Count
		if small := e.cats[c.Name] < workflow.SmallCount; c.Detailed == small {
			t.Errorf("category %q (%d complaints): detailed %v", c.Name, c.Count, c.Detailed)
		}
		v := e.catVerdicts[c.Name]
		if c.Detailed && (c.Verdicts.Upheld != v[0] || c.Verdicts.Partly != v[1] || c.Verdicts.NotUpheld != v[2]) {
			t.Errorf("category %q verdicts %+v, counted %v", c.Name, c.Verdicts, v)
		}
		if !c.Detailed && c.Verdicts != (workflow.VerdictCounts{}) {
			t.Errorf("small category %q has a breakdown %+v", c.Name, c.Verdicts)
		}
	}
	if len(got) != len(e.cats) {
		t.Errorf("categories %v, counted %v", got, e.cats)
	}
	for name, n := range e.cats {
		if got[name] != n {
			t.Errorf("category %q: %d, counted %d", name, got[name], n)
		}
	}
	var names []string
	for _, l := range r.Locations {
		names = append(names, l.Name)
		x := e.locs[l.Name]
		if x == nil {
			t.Errorf("location %q is in the report, the test put no complaint there", l.Name)
			continue
		}
		if l.Total != x.total || l.Detailed != (x.total >= workflow.SmallCount) {
			t.Errorf("%q: total %d detailed %v, counted %d", l.Name, l.Total, l.Detailed, x.total)
		}
		if !l.Detailed {
			if l.Parents+l.Committees+l.Outcome.Judged+len(l.Measures)+len(l.ReportLines)+len(l.Categories) != 0 {
				t.Errorf("%q has fewer than three complaints but a breakdown: %+v", l.Name, l)
			}
			continue
		}
		gotL := [...]int{l.Parents, l.Committees, l.Verdicts.Upheld, l.Verdicts.Partly, l.Verdicts.NotUpheld, l.Verdicts.Unrecorded,
			l.Outcome.Judged, l.Outcome.WithinTerm, l.Outcome.PastTerm, l.Outcome.Withdrawn, l.Outcome.Open, l.Outcome.WithMeasures, len(l.Measures)}
		wantL := [...]int{x.parents, x.committees, x.upheld, x.partly, x.notUpheld, x.unrecorded,
			x.judged, x.within, x.past, x.withdrawn, x.open, x.withMeasures, x.measures}
		if gotL != wantL {
			t.Errorf("%q: parents, committees, upheld, partly, not upheld, unrecorded, judged, within, past, withdrawn, open, with measures, measures:\n got %v\nwant %v", l.Name, gotL, wantL)
		}
		slices.Sort(x.lines)
		if !slices.Equal(l.ReportLines, x.lines) {
			t.Errorf("%q: report lines %q, want %q", l.Name, l.ReportLines, x.lines)
		}
	}
	// Configured locations in their order, then the case without one.
	if want := []string{rups, anker, vlind, ""}; !slices.Equal(names, want) {
		t.Errorf("locations %q, want %q", names, want)
	}
	if r.Klachtenloket != e.kl || r.Geschillencommissie != e.gck {
		t.Errorf("Klachtenloket %+v, Geschillencommissie %+v; counted %+v, %+v", r.Klachtenloket, r.Geschillencommissie, e.kl, e.gck)
	}
}

// scanForPersonalData fails when the report shows anything of a person the
// test put in: names, addresses, e-mail addresses, case references,
// subjects, complaint text, measure text, escalation references and notes,
// the handler.
func scanForPersonalData(t *testing.T, what, doc string, cs []yearCase) {
	t.Helper()
	low := strings.ToLower(doc)
	secrets := []string{"Anna de Vries", "anna.devries@vlinder.example", "klachten@vlinder.example", "Marloes", "schaafwond", "Lindelaan", "KX Utrecht"}
	for _, c := range cs {
		secrets = append(secrets, c.name, c.email, c.street, c.text, c.measureText, c.escRef, c.escNote, c.reference,
			"Klacht over "+c.street, strings.Fields(c.name)[len(strings.Fields(c.name))-1])
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(low, strings.ToLower(s)) {
			t.Errorf("%s: the report shows %q", what, s)
		}
	}
	if m := regexp.MustCompile(`(?i)KL-\d{4}-\d+|[a-z0-9.]+@[a-z0-9.-]+\.[a-z]{2,}|Q\d{3}Z`).FindString(doc); m != "" {
		t.Errorf("%s: the report shows %q", what, m)
	}
}

// A year without complaints or disputes has no report; a dispute alone is
// enough for one (complaint-law.md 2.8).
func TestNoReportForAYearWithoutComplaintsOrDisputes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cs := reportYear()
		loadYear(t, db, cs)
		w := reportWorkflow(t, db, "nl", ams(2027, 1, 5, 10, 0))
		if _, err := w.BuildReport(ctx, 2024, ""); !errors.Is(err, workflow.ErrNoReport) {
			t.Errorf("2024: %v, want ErrNoReport", err)
		}
		if _, err := w.BuildReport(ctx, 2026, "Elders"); !errors.Is(err, workflow.ErrNoReport) {
			t.Errorf("a location without complaints: %v, want ErrNoReport", err)
		}
		// 2027 has one complaint (1 January, Amsterdam time) and one dispute.
		r, err := w.BuildReport(ctx, 2027, "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 1 || r.Geschillencommissie.Total != 1 {
			t.Errorf("2027: %d complaints, %d disputes; want 1 and 1", r.Total, r.Geschillencommissie.Total)
		}
		// 2025: one complaint.
		if r, err := w.BuildReport(ctx, 2025, ""); err != nil || r.Total != 1 {
			t.Errorf("2025: %v, %v", r, err)
		}
		// One location: only its complaints and escalations (the
		// dispute filed in 2026 about its 2025 complaint counts).
		r, err = w.BuildReport(ctx, 2026, strings.ToUpper(anker))
		if err != nil {
			t.Fatal(err)
		}
		e := expect(cs, ams(2027, 1, 5, 10, 0))
		if r.Total != e.locs[anker].total || len(r.Locations) != 1 || r.Locations[0].Name != anker || r.Klachtenloket.Total != 1 || r.Geschillencommissie.Total != 1 {
			t.Errorf("%s only: total %d, locations %d, Klachtenloket %d, Geschillencommissie %d", anker, r.Total, len(r.Locations), r.Klachtenloket.Total, r.Geschillencommissie.Total)
		}
	})
}
