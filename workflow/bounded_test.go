package workflow_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

func hostileShape(t *testing.T, name string) []byte {
	t.Helper()
	for _, s := range mailtest.HostileShapes() {
		if s.Name == name {
			return s.Build()
		}
	}
	t.Fatalf("no shape %q", name)
	return nil
}

// processAs runs one message through the workflow and requires it to be
// processed, not quarantined or failed.
func processAs(t *testing.T, w *workflow.Workflow, uid uint32, raw []byte, clock *workflow.ManualClock) {
	t.Helper()
	disp, err := w.Process(t.Context(), workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: uid, InternalDate: clock.Now(), Raw: raw})
	if err != nil || disp != workflow.Done {
		t.Fatalf("Process = %v, %v; want Done", disp, err)
	}
}

// outgoingSubjects parses what was queued and returns the subjects and the
// largest message without an attached original.
func outgoingSubjects(t *testing.T, db *store.DB) (subjects []string, largest int) {
	t.Helper()
	var raws [][]byte
	if err := db.Select(t.Context(), &raws, `SELECT raw FROM outbox`); err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		m, err := mailbox.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, m.Subject())
		if m.AttachmentCount() == 0 {
			largest = max(largest, len(raw))
		}
	}
	return subjects, largest
}

// Issue 9 item 10: a 10 MB subject became 86 MB in the outbox.
func TestLongSubjectAndNameAreCappedWhereStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, clock := newWorkflow(t, db, realTemplates(t))
		raw := hostileShape(t, "subject-10MB")
		// and a 10 KB display name
		raw = []byte(strings.Replace(string(raw), "From: Ouder <", "From: "+strings.Repeat("Naam ", 2000)+"<", 1))
		processAs(t, w, 1, raw, clock)
		var subject, name string
		if err := db.Get(t.Context(), &subject, `SELECT subject FROM cases`); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(t.Context(), &name, `SELECT complainant_name FROM cases`); err != nil {
			t.Fatal(err)
		}
		if n := utf8.RuneCountInString(subject); n > 250 || !strings.HasPrefix(subject, "onderwerp") || !strings.HasSuffix(subject, "…") {
			t.Errorf("case subject of %d runes: %q", n, subject[:min(len(subject), 40)])
		}
		if n := utf8.RuneCountInString(name); n > 100 || !strings.HasPrefix(name, "Naam Naam") {
			t.Errorf("complainant name of %d runes", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM messages WHERE LENGTH(subject) > 1000`); n != 0 {
			t.Errorf("%d stored messages with a subject over 1,000 characters", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM participants WHERE LENGTH(name) > 400`); n != 0 {
			t.Errorf("%d participants with a name over 400 bytes", n)
		}
		subjects, largest := outgoingSubjects(t, db)
		for _, s := range subjects {
			if len(s) > 1000 {
				t.Errorf("outgoing subject of %d bytes", len(s))
			}
		}
		if largest > 64<<10 {
			t.Errorf("confirmation of %d bytes", largest)
		}
	})
}

// Issue 9 item 10: 7,000 Cc addresses were too many SQL variables.
func TestManyCopiesOpenACase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, clock := newWorkflow(t, db, realTemplates(t))
		processAs(t, w, 1, hostileShape(t, "cc-7000"), clock)
		if n := count(t, db, `SELECT COUNT(*) FROM participants WHERE role = 'cc'`); n != 50 {
			t.Errorf("%d copies take part, want 50", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE detail LIKE '%only the first 50 take part%'`); n != 1 {
			t.Errorf("%d events say copies were left out, want 1", n)
		}
	})
}

// Issue 9 item 10: a 2.7 KB Message-ID broke PostgreSQL's index, and
// 580,000 References were too many SQL variables. Both still thread.
func TestLongMessageIDAndManyReferencesThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, clock := newWorkflow(t, db, realTemplates(t))
		long := strings.Repeat("m", 2700) + "@evil.example"
		processAs(t, w, 1, hostileShape(t, "message-id-2.7KB"), clock)
		processAs(t, w, 2, hostileShape(t, "references-580000"), clock)
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 2 {
			t.Fatalf("%d cases, want 2", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM messages WHERE LENGTH(message_id) > 500 OR LENGTH(refs) > 100000`); n != 0 {
			t.Errorf("%d messages stored with a Message-ID over 500 or References over 100,000 characters", n)
		}
		// Replies to each, naming it by its long id or among many references,
		// land on its case.
		reply := func(uid uint32, from, irt, refs string) {
			raw := fmt.Sprintf("From: <%s>\r\nTo: klachten@vlinder.example\r\nSubject: nog iets\r\n"+
				"Message-ID: <reply%d@evil.example>\r\nIn-Reply-To: <%s>\r\nReferences: %s\r\n\r\nEn verder.\r\n", from, uid, irt, refs)
			processAs(t, w, uid, []byte(raw), clock)
		}
		reply(3, "h9@evil.example", long, "<"+long+">")
		var refs strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&refs, "<x%d@x> ", i)
		}
		reply(4, "h8@evil.example", "refs@evil.example", refs.String()+"<refs@evil.example>")
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 2 {
			t.Errorf("%d cases, want the replies on the 2 existing ones", n)
		}
		if n := count(t, db, `SELECT COUNT(DISTINCT case_id) FROM messages WHERE direction = 'in' AND message_id LIKE 'reply%'`); n != 2 {
			t.Errorf("replies on %d cases, want 2", n)
		}
		// The same long-id message again is a duplicate, not a new case.
		processAs(t, w, 5, hostileShape(t, "message-id-2.7KB"), clock)
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 2 {
			t.Errorf("%d cases after a duplicate", n)
		}
	})
}

// Issue 9 item 1 end to end: nested HTML no longer writes hundreds of
// megabytes into the database.
func TestNestedHTMLStoresBoundedText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, clock := newWorkflow(t, db, realTemplates(t))
		processAs(t, w, 1, mailtest.NestedHTML("ouder@example.nl", 2000, 5000), clock)
		var size int
		if err := db.Get(t.Context(), &size, `SELECT LENGTH(full_text) FROM messages WHERE direction = 'in'`); err != nil {
			t.Fatal(err)
		}
		if size > 200<<10 {
			t.Errorf("stored text of %d bytes for a 35 KB message", size)
		}
	})
}
