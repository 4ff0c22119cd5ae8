package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// Privacy (issue 13) through the built daemon, Dovecot and Mailpit, on
// SQLite and PostgreSQL. Three parents complain by mail; Anna withdraws two
// of the cases by answering her notification. Peter's complaint came in in
// March 2023: the receiving server's date says so. The daemon runs on the
// real clock, so the test makes his case old rather than moving a clock:
// it was withdrawn in March 2023 (closed_at), and the manager confirmed
// the 2023 report sent (report_confirmations), as a #verslag-verzonden
// reply would have recorded. The restarted daemon's scheduler then
// anonymises it and logs so. Sanne asks for her data: `privacy export`
// writes the HTML and JSON copies, 0600; she asks for erasure: her open
// case is refused with its reason. Marieke asks for erasure of her
// withdrawn case: it is anonymised at once. `cases show` shows the
// access log.
func TestPrivacyEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		t.Parallel()
		w := startWorld(t, url, "")

		const peterAddr, mariekeAddr = "peter.bakker@example.nl", "marieke.visser@example.org"
		old := w.withdrawn("Peter Bakker", peterAddr, "Klacht over de opvang van Fleur",
			"Fleur heeft de hele middag niets te drinken gekregen.", time.Date(2023, 3, 1, 10, 0, 0, 0, amsterdam))
		closed := w.withdrawn("Marieke Visser", mariekeAddr, "Klacht over de maaltijd",
			"Daan kreeg pindakaas terwijl zijn allergie op de lijst staat.", time.Now().In(amsterdam).Truncate(time.Minute))
		open := w.complaint()
		w.d.stop()

		db, err := store.Open(t.Context(), url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		withdrawnAt := time.Date(2023, 3, 6, 9, 0, 0, 0, amsterdam)
		if _, err := db.Exec(t.Context(), `UPDATE cases SET closed_at = ?, updated_at = ? WHERE reference = ?`, withdrawnAt, withdrawnAt, old); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(t.Context(), `INSERT INTO report_confirmations (year, location, sent_on, confirmed_by, confirmed_at)
			VALUES (2023, '', '2024-05-20', 'directie@vlinder.example', ?)`, time.Date(2024, 5, 20, 12, 0, 0, 0, amsterdam)); err != nil {
			t.Fatal(err)
		}
		if due := w.d.cli("privacy", "due"); !strings.Contains(due, old) || !strings.Contains(due, "due now") {
			t.Errorf("privacy due does not list %s as due now:\n%s", old, due)
		}

		// The daemon's scheduler anonymises the old case, and only it.
		w.d.start()
		anonymised := func(ref string) bool {
			var n int
			err := db.Get(t.Context(), &n, `SELECT COUNT(*) FROM cases WHERE reference = ? AND anonymised_at IS NOT NULL`, ref)
			return err == nil && n == 1
		}
		waitFor(t, "the daemon's scheduler to anonymise "+old, func() bool { return anonymised(old) })
		w.d.stop()
		if log := w.d.logText(); !strings.Contains(log, "case anonymised") || !strings.Contains(log, "case="+old) {
			t.Errorf("the daemon did not log the anonymisation of %s", old)
		}
		if anonymised(closed) || anonymised(open.ref) {
			t.Errorf("the daemon anonymised a case still within its retention period")
		}
		show := w.caseShow(old)
		for _, want := range []string{"anonymised 20", "retention period over", "access log"} {
			if !strings.Contains(show, want) {
				t.Errorf("cases show of the anonymised case lacks %q:\n%s", want, show)
			}
		}
		for _, gone := range []string{"Fleur", "Peter", peterAddr, "te drinken"} {
			if strings.Contains(show, gone) {
				t.Errorf("cases show of the anonymised case shows %q:\n%s", gone, show)
			}
		}

		// Sanne's access request: her one case, in files only the operator reads.
		dir := t.TempDir()
		out := w.d.cli("privacy", "export", "-email", parentAddr, "-o", dir)
		if !strings.Contains(out, "access request 1 of "+parentAddr+": 1 case(s)") {
			t.Errorf("privacy export:\n%s", out)
		}
		html := private(t, filepath.Join(dir, "privacy-request-1.html"))
		if !strings.Contains(html, "niet op de ophaallijst") || !strings.Contains(html, open.ref) || strings.Contains(html, "pindakaas") {
			t.Errorf("the HTML copy is not Sanne's case alone:\n%s", html)
		}
		if js := private(t, filepath.Join(dir, "privacy-request-1.json")); !strings.Contains(js, open.ref) {
			t.Errorf("the JSON copy lacks %s", open.ref)
		}

		// Erasure: refused for the open case, with its reason; done for the withdrawn one.
		out = w.d.cli("privacy", "erase", "-email", parentAddr)
		if !strings.Contains(out, open.ref+": NOT erased: ") || !strings.Contains(out, "open") || !strings.Contains(out, "privacy done -id 2") {
			t.Errorf("erase of the open case:\n%s", out)
		}
		if anonymised(open.ref) {
			t.Errorf("erase anonymised the open case %s", open.ref)
		}
		out = w.d.cli("privacy", "erase", "-email", mariekeAddr)
		if !strings.Contains(out, closed+": anonymised") || !strings.Contains(out, "erasure request 3 recorded and done") {
			t.Errorf("erase of the withdrawn case:\n%s", out)
		}
		show = w.caseShow(closed)
		if !strings.Contains(show, "anonymised 20") || strings.Contains(show, "pindakaas") || strings.Contains(show, mariekeAddr) {
			t.Errorf("cases show after the erasure:\n%s", show)
		}
		// Who looked at Sanne's case, and how.
		show = w.caseShow(open.ref)
		if !strings.Contains(show, "access log") || !strings.Contains(show, "privacy export") {
			t.Errorf("cases show lacks the access log with the export:\n%s", show)
		}
	})
}

// withdrawn: a parent complains by mail, received at the given time; she
// receives the confirmation and Anna the notification, which Anna answers
// with #ingetrokken. It returns the case's reference once Anna has the
// command's result.
func (w *world) withdrawn(name, addr, subject, body string, received time.Time) string {
	t := w.t
	t.Helper()
	w.deliver(rawComplaint(t, name, addr, subject, body, received), received)
	ref := reference(t, w.await(addr, "the confirmation", "KL-", "Ontvangstbevestiging").subject)
	note := w.await(annaAddr, "the new-case notification", ref, "Nieuwe klacht")
	at := time.Now()
	w.deliver(thunderbirdReply(t, note, at, "#ingetrokken\n\nZoals telefonisch besproken ronden we de klacht af."), at)
	w.await(annaAddr, "the result of #ingetrokken", ref, "Verwerkt")
	if show := w.caseShow(ref); !strings.Contains(show, "withdrawn") {
		t.Fatalf("%s is not withdrawn:\n%s", ref, show)
	}
	return ref
}

// private reads a file that must be readable by its owner only.
func private(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
