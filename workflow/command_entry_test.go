package workflow_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A new command is one entry of the table (issue 15 point 5): a test-only
// entry, #proef, added to a real workflow and nowhere else, is read from a
// handler's reply, checked, applied to the case, confirmed to the handler,
// refused when wrong, and listed among the known commands.
func TestNewCommandIsOneEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		w, clock := newWorkflow(t, db, realTemplates(t))
		workflow.WithTrialCommand(w)
		if _, err := w.Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		notice := lastTo(t, db, "anna.devries@vlinder.example")
		reply := func(uid uint32, commands string) string {
			t.Helper()
			clock.Advance(time.Minute)
			raw := fmt.Sprintf("From: Anna de Vries <anna.devries@vlinder.example>\r\nTo: klachten@vlinder.example\r\n"+
				"Subject: Re: %s\r\nMessage-ID: <anna%d@vlinder.example>\r\nIn-Reply-To: %s\r\nReferences: %s\r\n\r\n%s\r\n",
				notice.Subject(), uid, notice.MessageID(), notice.MessageID(), commands)
			d := workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: uid, InternalDate: clock.Now(), Raw: []byte(raw)}
			if disp, err := w.Process(ctx, d); err != nil || disp != workflow.Done {
				t.Fatalf("%q: %v %v", commands, disp, err)
			}
			return lastTo(t, db, "anna.devries@vlinder.example").Text()
		}

		got := reply(2, "#PROEF hallo wereld")
		if !strings.Contains(got, "applied.trial") || strings.Contains(got, "NIET uitgevoerd") {
			t.Errorf("the confirmation does not say what #proef did:\n%s", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE kind = ? AND detail = ?`, workflow.EventNote, "proef: hallo wereld"); n != 1 {
			t.Errorf("#proef's effect is on the timeline %d times, want once", n)
		}

		got = reply(3, "#trial\n#status in-behandeling")
		if !strings.Contains(got, "NIET uitgevoerd") || !strings.Contains(got, "refuse.trial") {
			t.Errorf("#trial without text is not refused with its own reason:\n%s", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE detail LIKE 'proef:%'`); n != 1 {
			t.Errorf("a refused #trial was applied: %d notes", n)
		}

		got = reply(4, "#prioriteit hoog")
		if !strings.Contains(strings.Join(strings.Fields(got), " "), "#uitspraak, #akkoord en #proef") {
			t.Errorf("the refusal of an unknown command does not list #proef:\n%s", got)
		}
	})
}

// lastTo is the last message queued to addr, parsed.
func lastTo(t *testing.T, db *store.DB, addr string) *mailbox.Message {
	t.Helper()
	var raw []byte
	if err := db.Get(t.Context(), &raw, `SELECT raw FROM outbox WHERE rcpt_to = ? ORDER BY id DESC LIMIT 1`, addr); err != nil {
		t.Fatal(err)
	}
	m, err := mailbox.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
