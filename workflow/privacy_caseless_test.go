package workflow_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Retention also reaches what belongs to no case: a message held back by
// the new-case limit (in the ledger and the throttled table, with the
// sender's address), the handlers' notice about it, and the managers'
// digests. Past privacy.anonymise_after_months the scheduler empties the
// mail and removes the address from the throttled record; younger ones are
// kept. The rows stay, so what the limits held back can still be counted,
// and the scheduled work records what was emptied.
func TestRetentionEmptiesOldMailAndThrottledRecordsWithoutACase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		set := testSettings()
		set.Privacy.AnonymiseAfterMonths = 6
		set.Flood.NewCasesPerSender = 1
		set.Managers = []workflow.Manager{{Name: "Ilse Kramer", Email: "ilse.kramer@vlinder.example"}}
		start := time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)
		clock := workflow.NewManualClock(start)
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Clock: clock, Settings: set})
		if err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		uid := uint32(0)
		complaint := func(from string) {
			t.Helper()
			uid++
			raw := "From: " + from + "\r\nTo: klachten@vlinder.example\r\nSubject: Klacht\r\nMessage-ID: <m" + strconv.Itoa(int(uid)) +
				"@example.nl>\r\n\r\nNoah is meegegeven aan de buurvrouw.\r\n"
			if _, err := w.Process(ctx, workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: uid, InternalDate: clock.Now(), Raw: []byte(raw)}); err != nil {
				t.Fatal(err)
			}
		}
		// Sent, with the server's answer, as the outbox would record it.
		sent := func() {
			t.Helper()
			var ids []int64
			if err := db.Select(ctx, &ids, `SELECT id FROM outbox WHERE state = ?`, workflow.OutboxQueued); err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				exec(`INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome, answer) VALUES (?, 1, 1, ?, 'sent', ?)`,
					id, clock.Now(), "250 2.0.0 Ok: queued for ilse.kramer@vlinder.example")
				exec(`UPDATE outbox SET state = ?, sent_at = ? WHERE id = ?`, workflow.OutboxSent, clock.Now(), id)
			}
		}
		runDue := func() {
			t.Helper()
			if _, err := w.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			sent()
		}

		// November 2026: Sanne's complaint, and a second one over the limit.
		complaint("Sanne Jansen <sanne.jansen@example.nl>")
		complaint("Sanne Jansen <sanne.jansen@example.nl>")
		clock.Set(time.Date(2026, 11, 20, 7, 30, 0, 0, amsterdam))
		runDue() // the digest naming the new case
		// March 2027: someone else over the limit, and another digest.
		clock.Set(time.Date(2027, 3, 1, 7, 30, 0, 0, amsterdam))
		complaint("Piet Pieters <piet@example.org>")
		complaint("Piet Pieters <piet@example.org>")
		runDue()
		if n := count(t, db, `SELECT COUNT(*) FROM throttled`); n != 2 {
			t.Fatalf("%d throttled records, want 2", n)
		}
		caselessOut := `SELECT COUNT(*) FROM outbox WHERE case_id IS NULL AND length(raw) > 0 AND created_at < ?`
		march := time.Date(2027, 3, 1, 0, 0, 0, 0, amsterdam)
		if n := count(t, db, caselessOut, march); n < 2 {
			t.Fatalf("%d outgoing mails without a case from November, want the digest and the handlers' notice", n)
		}

		// Six months after November, a few days before the March ones.
		check := time.Date(2027, 5, 25, 9, 0, 0, 0, amsterdam)
		c, err := w.CaselessAt(ctx, check)
		if err != nil {
			t.Fatal(err)
		}
		if c.Inbound != 1 || c.Outbound < 2 || c.Throttled != 1 || !c.LastDone.IsZero() {
			t.Errorf("what is past the period before it is emptied: %+v", c)
		}
		clock.Set(check)
		runDue()

		// Older than six months: emptied.
		if n := count(t, db, `SELECT COUNT(*) FROM throttled WHERE address = '' AND at < ?`, march); n != 1 {
			t.Errorf("%d November throttled records without an address, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM throttled WHERE address LIKE ?`, "%sanne%"); n != 0 {
			t.Error("the throttled table still names Sanne")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE case_id IS NULL AND created_at < ? AND (length(raw) > 0 OR anonymised_at IS NULL OR reason LIKE ?)`, march, "%@%"); n != 0 {
			t.Errorf("%d November messages without a case still hold their bytes or an address", n)
		}
		if n := count(t, db, caselessOut, march); n != 0 {
			t.Errorf("%d November mails without a case still hold their bytes", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE answer <> '' AND outbox_id IN (SELECT id FROM outbox WHERE case_id IS NULL AND created_at < ?)`, march); n != 0 {
			t.Errorf("%d server answers to November mail without a case are kept", n)
		}
		// The case's own mail is retention's of the case, not this.
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE case_id IS NOT NULL AND length(raw) = 0`); n != 0 {
			t.Errorf("%d mails of the open case were emptied", n)
		}
		// Younger: kept, as they were.
		if n := count(t, db, `SELECT COUNT(*) FROM throttled WHERE address = ? AND at >= ?`, "piet@example.org", march); n != 1 {
			t.Errorf("%d March throttled records still name their sender, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE case_id IS NULL AND created_at >= ? AND length(raw) > 0 AND anonymised_at IS NULL`, march); n != 1 {
			t.Errorf("%d March messages without a case kept whole, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE case_id IS NULL AND created_at >= ? AND length(raw) > 0`, march); n < 2 {
			t.Errorf("%d March mails without a case kept whole, want the digest and the notice", n)
		}
		// The rows stay: what the limits held back is still counted.
		if n := count(t, db, `SELECT COUNT(*) FROM throttled`); n != 2 {
			t.Errorf("%d throttled records, want the 2 kept", n)
		}
		var note string
		if err := db.Get(ctx, &note, `SELECT note FROM scheduled WHERE kind = ?`, workflow.DueForget); err != nil {
			t.Fatalf("the emptying is not recorded: %v", err)
		}
		for _, want := range []string{"emptied 1 message(s) in", "removed the address from 1 record(s)", "before 2026-11-25"} {
			if !strings.Contains(note, want) {
				t.Errorf("the record of the emptying lacks %q: %s", want, note)
			}
		}
		if c, err = w.CaselessAt(ctx, check); err != nil || !c.Empty() || c.LastNote != note {
			t.Errorf("after the emptying: %v %+v", err, c)
		}
	})
}
