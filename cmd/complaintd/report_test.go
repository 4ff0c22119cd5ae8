package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// complaintd report: the document for the GGD, in three formats, from the
// configuration file; a clear refusal without the regulation's description,
// and none for a year without complaints.
func TestReportCommand(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		config := writeHarnessConfig(t, h.cfg)

		_, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026")
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "report.regulation_summary and report.how_parents_informed") {
			t.Fatalf("without [report]: %v", err)
		}
		h.cfg.Report.RegulationSummary, h.cfg.Report.HowParentsInformed = "Klachten worden binnen zes weken schriftelijk beoordeeld.",
			"Bij de intake en op de website."
		config = writeHarnessConfig(t, h.cfg)

		file := filepath.Join(t.TempDir(), "verslag.html")
		out, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026", "-o", file)
		if err != nil || !strings.Contains(out, file) {
			t.Fatalf("report -o: %v\n%s", err, out)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		for _, want := range []string{"<!DOCTYPE html>", "Klachtenverslag 2026", h.cfg.Organisation.Name, "Klachten worden binnen zes weken",
			"Bij de intake en op de website.", "<svg"} {
			if !strings.Contains(html, want) {
				t.Errorf("the HTML report lacks %q", want)
			}
		}
		for _, format := range []string{"md", "csv"} {
			out, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026", "-format", format)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "2026") || (format == "csv" && !strings.Contains(out, "2026,,total,complaints,1")) {
				t.Errorf("report -format %s:\n%s", format, out)
			}
			for _, doc := range []string{out, html} {
				for _, secret := range []string{"Sanne", "sanne.jansen@example.nl", "KL-2026-0001", "Noah"} {
					if strings.Contains(doc, secret) {
						t.Errorf("the report shows %q", secret)
					}
				}
			}
		}
		_, _, err = run(t, h.ctx, "report", "-config", config, "-year", "2025")
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "no report for 2025") {
			t.Errorf("a year without complaints: %v", err)
		}
		if _, _, err := run(t, h.ctx, "report", "-config", config, "-format", "pdf"); exitCode(err) != 2 {
			t.Errorf("-format pdf: %v", err)
		}
	})
}
