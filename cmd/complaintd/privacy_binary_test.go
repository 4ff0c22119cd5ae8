package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// The commands as an operator runs them: the built binary, its exit
// status, its files, on each database.
func TestPrivacyCommandsOfTheBuiltBinary(t *testing.T) {
	bin := buildBinary(t)
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		config := writeHarnessConfig(t, h.cfg)
		confirmationOf(t, h)
		annaAnswers(t, h, "#ingetrokken\n\nZoals telefonisch besproken ronden we je klacht af.")
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
		dir := t.TempDir()
		out := complaintd("privacy", "export", "-email", "sanne.jansen@example.nl", "-o", dir)
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
