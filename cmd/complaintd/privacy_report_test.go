package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// An anonymised case still counts in the annual report of its year
// (issue 13): the case is kept by the handler's commands (location,
// verdict, category, measure, report line, a Geschillencommissie procedure
// and its ruling), the manager confirms the 2026 report sent by answering
// the 1 May reminder; once retention anonymised the case, the report of
// 2026 says exactly what it said before, in every format, and none of them
// holds the personal data.
func TestAnonymisedCaseStillCountsInItsYearsReport(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) {
			c.Report.RegulationSummary, c.Report.HowParentsInformed = "Klachten worden binnen zes weken schriftelijk beoordeeld.",
				"Bij de intake en op de website."
		})
		config := writeHarnessConfig(t, h.cfg)
		c := judgedAndClosed(t, h)
		annaAnswers(t, h, "#locatie "+locRups)

		// 1 May: the reminder; the directie answers it from her client.
		h.at(time.Date(2027, 5, 1, 7, 30, 0, 0, amsterdam))
		var reminder *sentMail
		for _, m := range h.sentTo("directie@vlinder.example") {
			if strings.HasPrefix(m.msg.Subject(), "Klachtenverslag 2026") {
				reminder = &m
			}
		}
		if reminder == nil {
			t.Fatal("no 1 May reminder for the 2026 report")
		}
		h.at(time.Date(2027, 5, 20, 14, 0, 0, 0, amsterdam))
		h.deliver(rawMail(mailOpts{from: "Directie De Vlinder <directie@vlinder.example>", subject: "Re: " + reminder.msg.Subject(),
			id: "verzonden@vlinder.example", inReplyTo: reminder.msg.MessageID(), body: "#verslag-verzonden 2027-05-20\n"}))
		h.poll()
		h.flush()
		if n := h.countRows("report_confirmations", "year = 2026"); n != 1 {
			t.Fatalf("the directie's confirmation was not recorded (%d rows)", n)
		}
		// The Geschillencommissie rules.
		h.at(time.Date(2027, 6, 2, 9, 0, 0, 0, amsterdam))
		annaAnswers(t, h, "#uitspraak ongegrond 2027-06-01")

		formats := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			for _, f := range []string{"html", "md", "csv"} {
				text, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026", "-format", f)
				if err != nil {
					t.Fatalf("report -format %s: %v", f, err)
				}
				out[f] = text
			}
			return out
		}
		before, err := h.c.wf.BuildReport(h.ctx, 2026, "")
		if err != nil {
			t.Fatal(err)
		}
		if before.Total != 1 || before.Geschillencommissie.Total != 1 {
			t.Fatalf("the report before anonymisation: %+v", before)
		}
		docsBefore := formats()

		h.at(time.Date(2029, 2, 2, 9, 0, 0, 0, amsterdam))
		if n := h.countRows("cases", "id = ? AND anonymised_at IS NOT NULL", c.ID); n != 1 {
			t.Fatal("the case was not anonymised")
		}
		after, err := h.c.wf.BuildReport(h.ctx, 2026, "")
		if err != nil {
			t.Fatalf("no report for the year of an anonymised case: %v", err)
		}
		after.Made = before.Made
		if !reflect.DeepEqual(before, after) {
			t.Errorf("the report changed when its case was anonymised:\nbefore %+v\nafter  %+v", before, after)
		}
		docsAfter := formats()
		if docsAfter["csv"] != docsBefore["csv"] {
			t.Errorf("the CSV report changed when its case was anonymised:\nbefore\n%s\nafter\n%s", docsBefore["csv"], docsAfter["csv"])
		}
		for f, doc := range docsAfter {
			if !strings.Contains(doc, "2026") || !strings.Contains(doc, locRups) {
				t.Errorf("the %s report lacks the year or the location:\n%.600s", f, doc)
			}
			for _, gone := range []string{"Sanne", "sanne.jansen", "Noah", "Anna de Vries", "Marco Bos", "GCK-2026-4711", "KL-2026-0001"} {
				if strings.Contains(doc, gone) {
					t.Errorf("the %s report shows %q", f, gone)
				}
			}
		}
	})
}
