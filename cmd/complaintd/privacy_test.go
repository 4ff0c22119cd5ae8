package main

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// exec runs a statement on the harness's database: the test plays the
// handler commands and report confirmations of other parts of issue 13.
func (h *harness) exec(q string, args ...any) {
	h.t.Helper()
	if _, err := h.c.db.Exec(h.ctx, q, args...); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
}

// judgedAndClosed: Sanne's complaint, judged well-founded on day 10 with
// one measure, a category and a line for the annual report; the parent goes
// to the Geschillencommissie; the measure is reported done on 12 January
// 2027, which closes the case.
func judgedAndClosed(t *testing.T, h *harness) workflow.Case {
	t.Helper()
	confirmationOf(t, h)
	h.at(received.Add(10 * time.Hour)) // the managers' digest names the new case
	h.at(received.AddDate(0, 0, 10))
	annaAnswers(t, h, "#oordeel gegrond\n#categorie veiligheid en gezondheid\n#betreft Marco Bos\n#verslag Het ophaalprotocol is met alle medewerkers doorgenomen.\n"+
		"#maatregel 2027-01-15 "+trainingNL+"\n\nGegrond: Noah had niet meegegeven mogen worden.")
	h.at(received.AddDate(0, 0, 20))
	annaAnswers(t, h, "#geschillencommissie 2026-12-08 GCK-2026-4711 Sanne Jansen vraagt schadevergoeding")
	h.at(time.Date(2027, 1, 12, 10, 0, 0, 0, amsterdam))
	annaAnswers(t, h, "#uitgevoerd\n\nAlle medewerkers hebben het protocol doorgenomen.")
	c := h.caseByRef("KL-2026-0001")
	if c.Status != workflow.StatusClosed {
		t.Fatalf("the case is %s, want closed", c.Status)
	}
	return c
}

// personalTraces is every stored text of a case that may hold personal
// data, raw mail in and out included, as one string to search.
func (h *harness) personalTraces(caseID int64) string {
	h.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT complainant_name || ' ' || complainant_email || ' ' || committee || ' ' || subject || ' ' || assignee FROM cases WHERE id = ?`,
		`SELECT from_addr || ' ' || to_addr || ' ' || subject || ' ' || full_text || ' ' || new_text || ' ' || attachments || ' ' || in_reply_to || ' ' || refs FROM messages WHERE case_id = ?`,
		`SELECT email || ' ' || name FROM participants WHERE case_id = ?`,
		`SELECT actor || ' ' || detail FROM events WHERE case_id = ?`,
		`SELECT description FROM measures WHERE case_id = ?`,
		`SELECT reference || ' ' || note FROM escalations WHERE case_id = ?`,
		`SELECT rcpt_to || ' ' || last_error FROM outbox WHERE case_id = ?`,
		`SELECT name || ' ' || email FROM case_concerns WHERE case_id = ?`,
		`SELECT answer FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE case_id = ?)`,
	} {
		var rows []string
		if err := h.c.db.Select(h.ctx, &rows, q, caseID); err != nil {
			h.t.Fatalf("%s: %v", q, err)
		}
		b.WriteString(strings.Join(rows, "\n") + "\n")
	}
	for _, q := range []string{
		`SELECT raw FROM outbox WHERE case_id = ?`,
		`SELECT raw FROM ledger WHERE id IN (SELECT ledger_id FROM messages WHERE case_id = ?)`,
	} {
		var raws [][]byte
		if err := h.c.db.Select(h.ctx, &raws, q, caseID); err != nil {
			h.t.Fatalf("%s: %v", q, err)
		}
		for _, r := range raws {
			b.Write(r)
		}
	}
	return b.String()
}

// reportFacts are the columns the annual report counts, as one line.
func (h *harness) reportFacts(caseID int64) string {
	h.t.Helper()
	var c struct {
		Kind, Location, Status, Verdict, ReportLine string
		Received                                    time.Time
		Decided, Closed                             sql.NullTime
		Exceeded                                    bool
	}
	row := struct {
		Kind       string       `db:"kind"`
		Location   string       `db:"location"`
		Status     string       `db:"status"`
		Verdict    string       `db:"verdict"`
		ReportLine string       `db:"report_line"`
		Received   time.Time    `db:"received_at"`
		Deadline   time.Time    `db:"deadline_at"`
		Decided    sql.NullTime `db:"decided_at"`
		Closed     sql.NullTime `db:"closed_at"`
		Exceeded   bool         `db:"deadline_exceeded"`
	}{}
	if err := h.c.db.Get(h.ctx, &row, `SELECT kind, location, status, verdict, report_line, received_at, deadline_at, decided_at, closed_at,
		deadline_exceeded FROM cases WHERE id = ?`, caseID); err != nil {
		h.t.Fatal(err)
	}
	c.Kind, c.Location, c.Status, c.Verdict, c.ReportLine = row.Kind, row.Location, row.Status, row.Verdict, row.ReportLine
	var cats, escs, measures []string
	if err := h.c.db.Select(h.ctx, &cats, `SELECT category FROM case_categories WHERE case_id = ? ORDER BY category`, caseID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.c.db.Select(h.ctx, &escs, `SELECT body || ' ' || filed_on || ' ' || outcome || ' ' || outcome_on FROM escalations WHERE case_id = ? ORDER BY id`, caseID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.c.db.Select(h.ctx, &measures, `SELECT due_date || CASE WHEN done_at IS NULL THEN ' open' ELSE ' done' END FROM measures WHERE case_id = ? ORDER BY id`, caseID); err != nil {
		h.t.Fatal(err)
	}
	return strings.Join([]string{c.Kind, c.Location, c.Status, c.Verdict, c.ReportLine,
		row.Received.UTC().Format(time.RFC3339), row.Deadline.UTC().Format(time.RFC3339), row.Decided.Time.UTC().Format(time.RFC3339), row.Closed.Time.UTC().Format(time.RFC3339),
		map[bool]string{true: "exceeded", false: "in time"}[row.Exceeded],
		strings.Join(cats, ","), strings.Join(escs, ","), strings.Join(measures, ",")}, " | ")
}

// Retention: a closed case keeps its personal data while the annual report
// is not confirmed sent and a Geschillencommissie procedure is open, and
// until 24 months after closing; then the scheduler anonymises it. What the
// report counts survives; the ledger keeps its rows, so neither the same
// message coming back nor a reply to the old thread brings anything back
// into the case.
func TestRetentionAnonymisesAClosedCaseWhenNothingHoldsIt(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		config := writeHarnessConfig(t, h.cfg)
		c := judgedAndClosed(t, h)
		if c.Verdict != "gegrond" || c.ReportLine == "" {
			t.Fatalf("the handler's record is not kept: %+v", c)
		}
		// A mail of the case that failed for good: after anonymisation it
		// must not be sent as an empty message by a retry.
		var failedID int64
		if err := h.c.db.Get(h.ctx, &failedID, `SELECT MIN(id) FROM outbox WHERE case_id = ?`, c.ID); err != nil {
			t.Fatal(err)
		}
		h.exec(`UPDATE outbox SET state = ? WHERE id = ?`, workflow.OutboxFailed, failedID)
		// A request in the directie's name that cannot be verified: only an
		// event on the case, but its bytes are in the ledger.
		h.deliver(rawMail(mailOpts{from: "Directie De Vlinder <directie@vlinder.example>", subject: "Dossier",
			id: "dossier@vlinder.example", body: "#dossier KL-2026-0001\n\nGraag het dossier over Noah.\n"}))
		h.poll()
		h.flush()
		if n := h.countRows("ledger", "case_id = ? AND id NOT IN (SELECT ledger_id FROM messages WHERE ledger_id IS NOT NULL)", c.ID); n != 1 {
			t.Fatalf("%d ledger entries of the case outside its messages, want the refused request", n)
		}
		before := h.reportFacts(c.ID)

		// Months after closing: the procedure is open, the report not sent.
		out, _, err := run(t, h.ctx, "privacy", "due", "-config", config, "-at", "2027-06-01")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"KL-2026-0001", "closed", "kept until 2029-01-12",
			"the annual report 2026 is not confirmed sent", "a procedure at the Geschillencommissie Kinderopvang is open"} {
			if !strings.Contains(out, want) {
				t.Errorf("privacy due lacks %q:\n%s", want, out)
			}
		}
		// The Geschillencommissie decides; the handler records it.
		h.at(time.Date(2027, 9, 15, 9, 0, 0, 0, amsterdam))
		annaAnswers(t, h, "#uitspraak ongegrond 2027-09-14")
		ledgerRows := h.countRows("ledger", "")

		// Long past the retention period, but the report is not confirmed sent.
		h.at(time.Date(2029, 2, 1, 9, 0, 0, 0, amsterdam))
		if !strings.Contains(h.personalTraces(c.ID), "sanne.jansen@example.nl") {
			t.Fatal("the case was anonymised while the report was not confirmed sent")
		}
		out, _, err = run(t, h.ctx, "privacy", "due", "-config", config, "-at", "2029-02-01T09:00")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "the annual report 2026 is not confirmed sent") || strings.Contains(out, "procedure") {
			t.Errorf("privacy due after the ruling:\n%s", out)
		}

		// The report goes out.
		h.exec(`INSERT INTO report_confirmations (year, location, sent_on, confirmed_by, confirmed_at) VALUES (?, ?, ?, ?, ?)`,
			2026, "", "2027-05-20", "directie@vlinder.example", h.clock.Now())
		out, _, err = run(t, h.ctx, "privacy", "due", "-config", config, "-at", "2029-02-01T10:00")
		if err != nil || !strings.Contains(out, "due now") {
			t.Fatalf("privacy due once nothing holds the case: %v\n%s", err, out)
		}
		// The daemon's scheduler emptied the 2026 digests this morning.
		if !strings.Contains(out, "nothing from before 2027-02-01 left to empty") ||
			!strings.Contains(out, "last emptied 2029-02-01: emptied 0 message(s) in and 3 out that belonged to no case") {
			t.Errorf("privacy due does not say the old mail without a case (the 2026 digests) was emptied:\n%s", out)
		}
		h.at(time.Date(2029, 2, 2, 9, 0, 0, 0, amsterdam))

		traces := h.personalTraces(c.ID)
		// Every message in the ledger was about this case; the mail
		// without a case (the digests naming it and its measure) is older
		// than the retention period too.
		var raws [][]byte
		if err := h.c.db.Select(h.ctx, &raws, `SELECT raw FROM ledger`); err != nil {
			t.Fatal(err)
		}
		var digests [][]byte
		if err := h.c.db.Select(h.ctx, &digests, `SELECT raw FROM outbox WHERE kind = 'digest'`); err != nil || len(digests) == 0 {
			t.Fatalf("no digest was sent: %v", err)
		}
		for _, r := range append(raws, digests...) {
			traces += string(r)
		}
		for _, d := range digests {
			if strings.Contains(string(d), "KL-2026-0001") {
				t.Error("a digest of 2026 naming the case is still stored")
			}
		}
		for _, gone := range []string{"Sanne", "sanne.jansen", "Noah", "anna.devries", "Anna de Vries", "Marco Bos", "ophaalprotocol",
			"Alle medewerkers", "GCK-2026-4711", "schadevergoeding"} {
			if strings.Contains(strings.ToLower(traces), strings.ToLower(gone)) {
				t.Errorf("after anonymisation the case still holds %q", gone)
			}
		}
		want := strings.Replace(before, "geschillencommissie 2026-12-08  ", "geschillencommissie 2026-12-08 ongegrond 2027-09-14", 1)
		if after := h.reportFacts(c.ID); after != want {
			t.Errorf("what the report counts changed:\nbefore %s\nafter  %s", want, after)
		}
		if n := h.countRows("ledger", ""); n != ledgerRows {
			t.Errorf("the ledger has %d rows, had %d: rows are kept, only their bytes go", n, ledgerRows)
		}
		if n := h.countRows("ledger", "anonymised_at IS NOT NULL AND state = ? AND sha256 <> ''", workflow.LedgerProcessed); n == 0 {
			t.Error("no ledger entry was marked anonymised with its state and digest kept")
		}
		var detail string
		if err := h.c.db.Get(h.ctx, &detail, `SELECT detail FROM events WHERE case_id = ? AND kind = ?`, c.ID, workflow.EventAnonymised); err != nil {
			t.Fatalf("no anonymisation on the timeline: %v", err)
		}
		for _, want := range []string{workflow.ReasonRetention, "raw inbound", "measure description"} {
			if !strings.Contains(detail, want) {
				t.Errorf("the anonymisation record lacks %q: %s", want, detail)
			}
		}
		if n := h.countRows("scheduled", "kind = ? AND case_id = ?", workflow.DueAnonymise, c.ID); n != 1 {
			t.Errorf("%d scheduled anonymisations recorded, want 1", n)
		}

		out, _, err = run(t, h.ctx, "cases", "show", "-config", config, "KL-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"anonymised 2029-02-02", "raw inbound", "access log", "cases show  ", osUser(func(string) string { return "" })} {
			if !strings.Contains(out, want) {
				t.Errorf("cases show lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "Sanne") || strings.Contains(out, "Noah") {
			t.Errorf("cases show of an anonymised case shows personal data:\n%s", out)
		}
		out, _, _ = run(t, h.ctx, "privacy", "due", "-config", config, "-at", "2029-03-01")
		if strings.Contains(out, "KL-2026-0001") {
			t.Errorf("privacy due still lists the anonymised case:\n%s", out)
		}
		if !strings.Contains(out, "nothing from before 2027-03-01 left to empty") || !strings.Contains(out, "last emptied 2029-02-01: emptied ") {
			t.Errorf("privacy due does not say the old mail without a case was emptied:\n%s", out)
		}

		// Nothing brings the content back or sends it from nothing.
		if _, _, err := run(t, h.ctx, "outbox", "retry", "-config", config, itoa(failedID)); err == nil || !strings.Contains(err.Error(), "removed") {
			t.Errorf("retrying an anonymised case's failed mail: %v", err)
		}
		var firstLedger int64
		if err := h.c.db.Get(h.ctx, &firstLedger, `SELECT MIN(ledger_id) FROM messages WHERE case_id = ?`, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := run(t, h.ctx, "quarantine", "release", "-config", config, itoa(firstLedger)); err == nil {
			t.Error("an anonymised ledger entry was released for processing")
		}
		out, _, err = run(t, h.ctx, "quarantine", "show", "-config", config, itoa(firstLedger))
		if err != nil || !strings.Contains(out, "anonymised:") {
			t.Errorf("quarantine show of an anonymised entry: %v\n%s", err, out)
		}
		messages := h.countRows("messages", "case_id = ?", c.ID)
		h.deliver(complaintFromSanne()) // the same bytes again, under a new UID
		h.poll()
		h.deliver(rawMail(mailOpts{from: sanne, subject: "Re: [KL-2026-0001] Klacht over het ophalen van Noah", id: "late@mail.example.nl",
			inReplyTo: lastTo(t, h, "sanne.jansen@example.nl").msg.MessageID(), body: "Ik heb toch nog een vraag over Noah.\n"}))
		h.poll()
		h.flush()
		if n := h.countRows("messages", "case_id = ?", c.ID); n != messages {
			t.Errorf("the anonymised case got %d new messages", n-messages)
		}
		if strings.Contains(strings.ToLower(h.personalTraces(c.ID)), "noah") {
			t.Error("mail after the anonymisation put personal data back into the case")
		}
		cases := h.cases()
		if len(cases) != 2 || cases[0].ComplainantEmail != "sanne.jansen@example.nl" && cases[1].ComplainantEmail != "sanne.jansen@example.nl" {
			t.Errorf("the reply to the old thread should open a new case (and the same message again none): %d cases", len(cases))
		}
	})
}

// Erasure (AVG art. 17): a closed case goes at once, whatever the
// retention period and the report; an open one and one under a
// safeguarding flag are refused with the reason, and the request stays in
// the managers' digest until it is answered.
func TestPrivacyEraseAnonymisesClosedCasesAndRefusesHeldOnes(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		config := writeHarnessConfig(t, h.cfg)
		for i, body := range []string{"Noah is meegegeven aan iemand die niet op de ophaallijst staat.", "De leidster schreeuwde tegen Noah.", "De factuur klopt niet."} {
			h.deliver(rawMail(mailOpts{from: sanne, subject: "Klacht " + itoa(int64(i+1)) + " over Noah", id: "e" + itoa(int64(i)) + "@mail.example.nl", body: body + "\n"}))
			h.poll()
			h.flush()
			if i < 2 {
				annaAnswers(t, h, "#ingetrokken\n\nZoals telefonisch besproken ronden we je klacht af.")
			}
		}
		h.exec(`UPDATE cases SET safeguarding = ? WHERE reference = ?`, true, "KL-2026-0002")
		out, _, err := run(t, h.ctx, "privacy", "erase", "-config", config, "-email", "Sanne.Jansen@example.nl", "-received", "2026-11-20")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"KL-2026-0001: anonymised (" + workflow.ReasonErasure,
			"KL-2026-0002: NOT erased: the safeguarding flag is set", "KL-2026-0003: NOT erased: the case is open",
			"erasure request 1 recorded; answer sanne.jansen@example.nl by 2026-12-20"} {
			if !strings.Contains(out, want) {
				t.Errorf("privacy erase lacks %q:\n%s", want, out)
			}
		}
		for ref, kept := range map[string]bool{"KL-2026-0001": false, "KL-2026-0002": true, "KL-2026-0003": true} {
			c := h.caseByRef(ref)
			if has := strings.Contains(h.personalTraces(c.ID), "Noah"); has != kept {
				t.Errorf("%s still holds personal data: %v, want %v", ref, has, kept)
			}
		}
		if s := h.caseByRef("KL-2026-0001"); s.Status != workflow.StatusWithdrawn || s.ReceivedAt.IsZero() {
			t.Errorf("the erased case lost what the report counts: %+v", s)
		}
		m, _ := h.c.wf.Manager("directie@vlinder.example")
		v, err := h.c.wf.BuildDigest(h.ctx, m, h.clock.Now())
		if err != nil || len(v.PrivacyRequests) != 1 || v.PrivacyRequests[0].Kind != workflow.RequestErasure {
			t.Fatalf("the refused erasure request is not in the digest: %v %+v", err, v)
		}
		// Again: nothing left to erase of the first case; the others still refused.
		out, _, _ = run(t, h.ctx, "privacy", "erase", "-config", config, "-email", "sanne.jansen@example.nl")
		if strings.Contains(out, "KL-2026-0001") || !strings.Contains(out, "KL-2026-0003: NOT erased") {
			t.Errorf("a second erasure:\n%s", out)
		}
		if _, _, err := run(t, h.ctx, "privacy", "erase", "-config", config, "-email", "not an address"); exitCode(err) != 2 {
			t.Errorf("a bad address: %v", err)
		}
	})
}

func TestPrivacyConfigRefusesANonsenseRetention(t *testing.T) {
	t.Parallel()
	_, err := loadConfig(writeConfig(t, goodConfig+"\n[privacy]\nanonymise_after_months = 0\n"), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "privacy.anonymise_after_months") {
		t.Errorf("anonymise_after_months = 0: %v", err)
	}
	cfg, err := loadConfig(writeConfig(t, goodConfig), func(string) string { return "" })
	if err != nil || cfg.Privacy.AnonymiseAfterMonths != 24 {
		t.Errorf("default: %v %+v", err, cfg)
	}
}
