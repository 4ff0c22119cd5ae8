package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// reportConfig is the report's texts and the manager who receives it.
const reportConfig = "\n[report]\nregulation_summary = \"Ouders dienen een klacht schriftelijk in; binnen zes weken volgt een gemotiveerd oordeel.\"\n" +
	"how_parents_informed = \"Bij de intake en op de website.\"\n" +
	"\n[[managers]]\nname  = \"Directie De Vlinder\"\nemail = \"" + directieAddr + "\"\n"

// The annual complaints report from a database the daemon filled (issue
// 13): the built binary, Dovecot and Mailpit, on SQLite and PostgreSQL.
// Sanne complains; Anna judges it by mail (#oordeel gegrond, #categorie
// overig, a #maatregel), then records that Sanne turned to the
// Klachtenloket and writes a line for the report (#verslag). The operator
// then runs `complaintd report` in every format: the numbers are the
// year's, and none of the names, addresses, references or words of the
// case are in it. With one complaint the case's location is a count only,
// so even the handler's own line is left out. A year without complaints
// has no report: exit status 1 and a message saying why. `complaintd due`
// shows the manager's 1 May reminder coming (the daemon runs on the real
// clock, so the reminder itself is tested on the harness's manual clock:
// TestReportReminderOnFirstMayAndTheManagersConfirmation).
func TestAnnualReportEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		t.Parallel()
		w := startWorld(t, url, reportConfig)
		c := w.complaint()
		w.judgment(c)

		at := time.Now()
		today := at.In(amsterdam).Format("2006-01-02")
		const line = "Ophaalprotocol met alle medewerkers doorgenomen."
		w.deliver(thunderbirdReply(t, c.notes[annaAddr], at, "#klachtenloket "+today+" moeder Sanne Jansen belde het loket\n#verslag "+line+"\n"), at)
		w.await(annaAddr, "the command result of #klachtenloket and #verslag", c.ref, "Verwerkt")
		w.d.stop()

		year := c.received.Year()
		y := strconv.Itoa(year)
		html := w.d.cli("report", "-year", y)
		md := w.d.cli("report", "-year", y, "-format", "md")
		csv := w.d.cli("report", "-year", y, "-format", "csv")
		for _, want := range []string{"<!DOCTYPE html>", "Klachtenverslag " + y, "Kinderopvang De Vlinder", "<svg",
			"Ouders dienen een klacht schriftelijk in", "Bij de intake en op de website.", "overig"} {
			if !strings.Contains(html, want) {
				t.Errorf("the HTML report lacks %q", want)
			}
		}
		if !strings.Contains(md, "# Klachtenverslag "+y) || !strings.Contains(md, "Klachtenloket Kinderopvang") {
			t.Errorf("the Markdown report lacks its title or part e:\n%s", md)
		}
		// The numbers, as a spreadsheet reads them: one complaint from a
		// parent, in this month, about "overig"; one Klachtenloket contact
		// still in progress; no dispute.
		month := y + "-" + c.received.Format("01")
		for _, row := range []string{y + ",,total,complaints,1", y + ",,kind,parent,1", y + ",,kind,committee,0",
			y + ",,month," + month + ",1", y + ",,category,overig,1", y + ",,total,complaints,1",
			y + ",,klachtenloket,total,1", y + ",,klachtenloket,in_progress,1", y + ",,geschillencommissie,total,0"} {
			if !strings.Contains("\n"+csv, "\n"+row+"\n") {
				t.Errorf("the CSV report lacks the row %q:\n%s", row, csv)
			}
		}
		for f, doc := range map[string]string{"html": html, "md": md, "csv": csv} {
			for _, secret := range []string{"Sanne", "Jansen", parentAddr, c.ref, "Noah", "ophaallijst", "Anna de Vries", annaAddr,
				"ophaalprotocol opnieuw door", "belde het loket", line} {
				if strings.Contains(strings.ToLower(doc), strings.ToLower(secret)) {
					t.Errorf("the %s report shows %q", f, secret)
				}
			}
			if m := regexp.MustCompile(`KL-\d{4}-\d+|[A-Za-z0-9.]+@[A-Za-z0-9.-]+\.[a-z]{2,}`).FindString(doc); m != "" {
				t.Errorf("the %s report shows %q", f, m)
			}
		}

		// -o writes a file only its owner reads.
		file := filepath.Join(w.s.workDir, "klachtenverslag.html")
		if out := w.d.cli("report", "-year", y, "-o", file); !strings.Contains(out, file) {
			t.Errorf("report -o says %q", out)
		}
		if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the report file: %v, mode %v; want 0600", err, fi.Mode().Perm())
		}

		// The operator sees the 1 May reminder coming, with the report
		// attached, for the manager.
		due := w.d.cli("due", "-at", strconv.Itoa(year+1)+"-05-01T07:30")
		if !strings.Contains(due, "annual complaints report "+y+" to Directie De Vlinder <"+directieAddr+">, for the GGD before 1 June") {
			t.Errorf("due on 1 May does not list the report reminder:\n%s", due)
		}

		// A year without complaints or disputes: no report.
		cmd := w.d.command("report", "-year", strconv.Itoa(year-3))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || stdout.Len() != 0 ||
			!strings.Contains(stderr.String(), "no report for "+strconv.Itoa(year-3)) {
			t.Errorf("report for a year without complaints: %v, stdout %q, stderr %q; want exit status 1 and why", err, stdout.String(), stderr.String())
		}
	})
}
