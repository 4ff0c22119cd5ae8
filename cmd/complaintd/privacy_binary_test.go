package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// Privacy as an operator meets it, with the built binary on each database:
// a complaint made by mail in March 2023 and withdrawn is anonymised by the
// running daemon's scheduler once its year's report is confirmed sent (the
// daemon runs on the real clock, for which the case is long past its 24
// months); a complaint of November 2026 is exported (files 0600) and erased
// on request; cases show prints the access log.
func TestPrivacyCommandsOfTheBuiltBinary(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.Log.Level = "info" })
		config := writeHarnessConfig(t, h.cfg)
		// The old case, made by mail on the test's clock.
		h.clock.Set(time.Date(2023, 3, 1, 10, 0, 0, 0, amsterdam))
		h.deliver(rawMail(mailOpts{from: "Peter Bakker <peter.bakker@example.nl>", subject: "Klacht over de opvang van Fleur",
			id: "old@mail.example.org", body: "Fleur heeft de hele middag niets te drinken gekregen.\n"}))
		h.poll()
		h.flush()
		h.clock.Set(time.Date(2023, 3, 6, 9, 0, 0, 0, amsterdam))
		annaAnswers(t, h, "#ingetrokken\n\nZoals telefonisch besproken ronden we de klacht af.")
		// This year's case.
		h.clock.Set(received)
		confirmationOf(t, h)
		annaAnswers(t, h, "#ingetrokken\n\nZoals telefonisch besproken ronden we je klacht af.")
		old := h.caseByRef("KL-2023-0001")
		if old.Status != "withdrawn" || !strings.Contains(h.personalTraces(old.ID), "Fleur") {
			t.Fatalf("the 2023 case: %+v", old)
		}
		h.c.close() // the daemon below takes the SQLite file

		complaintd := func(args ...string) string {
			t.Helper()
			cmd := exec.CommandContext(h.ctx, bin, append(args, "-config", config)...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("complaintd %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		out := complaintd("privacy", "due")
		if !strings.Contains(out, "KL-2023-0001") || !strings.Contains(out, "the annual report 2023 is not confirmed sent") {
			t.Errorf("privacy due before the report is confirmed:\n%s", out)
		}
		look, err := store.Open(h.ctx, url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer look.Close()
		if _, err := look.Exec(h.ctx, `INSERT INTO report_confirmations (year, location, sent_on, confirmed_by, confirmed_at)
			VALUES (2023, '', '2024-05-20', 'directie@vlinder.example', ?)`, time.Now()); err != nil {
			t.Fatal(err)
		}
		if out := complaintd("privacy", "due"); !strings.Contains(out, "due now") {
			t.Errorf("privacy due once the report is confirmed:\n%s", out)
		}

		// The daemon, on the real clock: its scheduler anonymises the old case.
		d := startDaemon(t, bin, config)
		waitFor(t, "the daemon's scheduler to anonymise KL-2023-0001", func() bool {
			var n int
			err := look.Get(h.ctx, &n, `SELECT COUNT(*) FROM cases WHERE anonymised_at IS NOT NULL`)
			return err == nil && n > 0
		})
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-d.exited:
		case <-time.After(crashFailAfter):
			t.Fatalf("the daemon did not stop on SIGTERM:\n%s", d.log())
		}
		if !strings.Contains(d.log(), "case anonymised") || !strings.Contains(d.log(), "case=KL-2023-0001") ||
			strings.Contains(d.log(), "case=KL-2026-0001 reason") {
			t.Errorf("the daemon anonymised other than the 2023 case:\n%s", d.log())
		}
		out = complaintd("cases", "show", "KL-2023-0001")
		for _, want := range []string{"anonymised 20", "retention period over", "Withdrawn", "access log"} {
			if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
				t.Errorf("cases show of the anonymised case lacks %q:\n%s", want, out)
			}
		}
		for _, gone := range []string{"Fleur", "Peter", "peter.bakker", "te drinken"} {
			if strings.Contains(out, gone) {
				t.Errorf("cases show of the anonymised case shows %q:\n%s", gone, out)
			}
		}

		// Access and erasure for this year's case.
		dir := t.TempDir()
		out = complaintd("privacy", "export", "-email", "sanne.jansen@example.nl", "-o", dir)
		if !strings.Contains(out, "access request 1 of sanne.jansen@example.nl: 1 case(s)") {
			t.Errorf("export:\n%s", out)
		}
		if page := readPrivate(t, filepath.Join(dir, "privacy-request-1.html")); !strings.Contains(page, "Noah is meegegeven") {
			t.Error("the HTML copy lacks the complaint")
		}
		readPrivate(t, filepath.Join(dir, "privacy-request-1.json"))
		out = complaintd("privacy", "erase", "-email", "sanne.jansen@example.nl")
		if !strings.Contains(out, "KL-2026-0001: anonymised") || !strings.Contains(out, "erasure request 2 recorded and done") {
			t.Errorf("erase:\n%s", out)
		}
		out = complaintd("cases", "show", "KL-2026-0001")
		if !strings.Contains(out, "anonymised") || strings.Contains(out, "Noah") || !strings.Contains(out, "privacy export") ||
			!strings.Contains(out, osUser(func(string) string { return "" })) {
			t.Errorf("cases show after the erasure:\n%s", out)
		}
		if out = complaintd("privacy", "due"); !strings.Contains(out, "no case holds personal data") {
			t.Errorf("privacy due:\n%s", out)
		}
		// The access request waits for its answer; the erasure was done at once.
		if out = complaintd("privacy", "requests"); !strings.Contains(out, "access  sanne.jansen@example.nl") || strings.Contains(out, "erasure") {
			t.Errorf("privacy requests:\n%s", out)
		}
	})
}

// The copy for an access request shows strangers' text: whatever it is,
// it is escaped, and only the reviewer's marks are HTML.
func FuzzExportMark(f *testing.F) {
	f.Add("De leidster <b>Anna de Vries</b> zei: anna.devries@vlinder.example", "Anna de Vries")
	f.Add("<script>alert(1)</script>", "<script>")
	f.Add("\xff\xfeANNA\u0130", "anna")
	f.Fuzz(func(t *testing.T, text, other string) {
		v := exportView{others: []string{other, "anna.devries@vlinder.example"}}
		out := string(v.Mark(text))
		const open, end = `<mark title="another person: review before handing over">`, `</mark>`
		if strings.Count(out, open) != strings.Count(out, end) {
			t.Fatalf("unbalanced marks: %q", out)
		}
		rest := strings.ReplaceAll(strings.ReplaceAll(out, open, ""), end, "")
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("text reached the page as HTML: %q -> %q", text, out)
		}
	})
}
