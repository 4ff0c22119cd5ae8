package workflow_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A server that hands out a UID again under the same UIDVALIDITY (a restore
// from backup, a rebuilt uid list) gives us another message under a key we
// processed: it is a new complaint, with a warning, not the old one again.
func TestReusedUIDWithOtherBytesIsANewMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs bytes.Buffer
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
			Clock: clock, Settings: testSettings(), Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		first := delivery(1, clock.Now())
		if disp, err := w.Process(t.Context(), first); err != nil || disp != workflow.Done {
			t.Fatalf("first message: %v %v", disp, err)
		}
		second := first
		second.Raw = []byte("From: Peter Bakker <peter@example.nl>\r\nTo: klachten@vlinder.example\r\nSubject: Eten\r\n" +
			"Message-ID: <other@example.nl>\r\n\r\nDe lunch was koud.\r\n")
		for i := range 2 { // fetched again in the next round: still one case for it
			if disp, err := w.Process(t.Context(), second); err != nil || disp != workflow.Done {
				t.Fatalf("reused UID, round %d: %v %v", i, disp, err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 2 {
			t.Fatalf("%d cases, want 2: the message under the reused UID was taken for the first", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE complainant_email = 'peter@example.nl'`); n != 1 {
			t.Errorf("%d cases for the second complainant", n)
		}
		if !strings.Contains(logs.String(), "reused a UID") || strings.Count(logs.String(), "reused a UID") != 1 {
			t.Errorf("want one warning about the reused UID, log:\n%s", logs.String())
		}
		// The first message seen again is still the first: nothing new.
		if _, err := w.Process(t.Context(), first); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 2 {
			t.Errorf("%d cases after the first message came again", n)
		}
	})
}

// A group whose UIDs lie far apart (a message left behind in the mailbox
// next to new mail) finds what the ledger holds under each of them: the
// same bytes again are nothing new, other bytes under a reused UID are a
// new complaint.
func TestGroupWithUIDsFarApartFindsEntriesUnderEach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, clock := groupWorkflow(t, db)
		old := groupMail(1000, clock.Now(), "From: Lisa de Boer <lisa@example.nl>\r\nSubject: Wenperiode\r\nMessage-ID: <l0@example.nl>\r\n",
			"De wenperiode was te kort.")
		left := groupMail(2000, clock.Now(), "From: Peter Bakker <peter.bakker@example.nl>\r\nSubject: Rooster\r\nMessage-ID: <p0@example.nl>\r\n",
			"Het rooster is niet gedeeld.")
		for _, d := range []workflow.Delivery{old, left} {
			if disp, err := w.Process(t.Context(), d); err != nil || disp != workflow.Done {
				t.Fatalf("uid %d alone: %v %v", d.UID, disp, err)
			}
		}
		reused := groupMail(1000, clock.Now(), "From: Jan Smit <jan@example.nl>\r\nSubject: Hek\r\nMessage-ID: <j1@example.nl>\r\n",
			"Het hek stond open.")
		group := append(aGroup(clock.Now()), reused, left)
		for i, r := range w.ProcessGroup(t.Context(), group) {
			if r.Err != nil || r.Disposition != workflow.Done {
				t.Errorf("message %d (uid %d): %+v", i+1, group[i].UID, r)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE complainant_email = 'jan@example.nl'`); n != 1 {
			t.Errorf("%d cases for the message under the reused UID, want 1", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE complainant_email = 'peter.bakker@example.nl'`); n != 2 {
			t.Errorf("%d cases for Peter, want 2: the message left behind was taken for a new one", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE uid = 2000`); n != 1 {
			t.Errorf("%d ledger entries under uid 2000, want 1", n)
		}
	})
}
