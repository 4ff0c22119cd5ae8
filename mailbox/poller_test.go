package mailbox_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

var amsterdam = time.FixedZone("CEST", 2*60*60)

func TestPollOnceHandsOverAndMovesByOutcome(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	validity, err := srv.UIDValidity("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	type delivered struct {
		uid  uint32
		raw  []byte
		date time.Time
	}
	var msgs []delivered
	for i := range 3 {
		raw := testMessage(i)
		date := time.Date(2026, 3, 2+i, 9, 30, 15, 0, amsterdam)
		uid, err := srv.Deliver("INBOX", raw, date)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, delivered{uid, raw, date})
	}

	// First message done, second quarantined, third fails this time.
	rec := newRecorder(func(f mailbox.Fetched) (mailbox.Outcome, error) {
		switch f.UID {
		case msgs[0].uid:
			return mailbox.Done, nil
		case msgs[1].uid:
			return mailbox.Quarantine, nil
		}
		return 0, errors.New("database unavailable")
	})
	p := newPoller(t, imapConfig(srv, "none"), rec.handle)
	if err := p.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}

	got := rec.all()
	if len(got) != 3 {
		t.Fatalf("handler saw %d messages, want 3", len(got))
	}
	for i, f := range got {
		want := msgs[i]
		if f.Mailbox != "INBOX" || f.UIDValidity != validity || f.UID != want.uid {
			t.Errorf("message %d: key (%s, %d, %d), want (INBOX, %d, %d)", i, f.Mailbox, f.UIDValidity, f.UID, validity, want.uid)
		}
		if !f.InternalDate.Equal(want.date) {
			t.Errorf("message %d: InternalDate %v, want %v", i, f.InternalDate, want.date)
		}
		if f.Size != int64(len(want.raw)) {
			t.Errorf("message %d: Size %d, want %d", i, f.Size, len(want.raw))
		}
		if !bytes.Equal(f.Raw, want.raw) {
			t.Errorf("message %d: raw bytes differ:\n got %q\nwant %q", i, f.Raw, want.raw)
		}
	}

	assertRaw(t, srv, "Processed", msgs[0].raw)
	assertRaw(t, srv, "Quarantine", msgs[1].raw)
	assertRaw(t, srv, "INBOX", msgs[2].raw)
	// Moved messages keep their receipt time.
	if d := stored(t, srv, "Processed")[0].InternalDate; !d.Equal(msgs[0].date) {
		t.Errorf("Processed copy has INTERNALDATE %v, want %v", d, msgs[0].date)
	}

	// The failed message is offered again, under the same key, next time.
	rec2 := newRecorder(nil)
	p2 := newPoller(t, imapConfig(srv, "none"), rec2.handle)
	if err := p2.PollOnce(t.Context()); err != nil {
		t.Fatalf("second PollOnce: %v", err)
	}
	again := rec2.all()
	if len(again) != 1 || again[0].UID != msgs[2].uid || !bytes.Equal(again[0].Raw, msgs[2].raw) {
		t.Fatalf("second round offered %v, want only UID %d", uids(again), msgs[2].uid)
	}
	assertRaw(t, srv, "INBOX")
	assertRaw(t, srv, "Processed", msgs[0].raw, msgs[2].raw)

	// Nobody read anything: \Seen is never set.
	for _, mbox := range []string{"INBOX", "Processed", "Quarantine"} {
		for _, m := range stored(t, srv, mbox) {
			if slices.Contains(m.Flags, `\Seen`) {
				t.Errorf("%s UID %d has \\Seen", mbox, m.UID)
			}
		}
	}
}

func TestPollOnceBatchesInArrivalOrder(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	var want []uint32
	for i := range 7 {
		uid, err := srv.Deliver("INBOX", testMessage(i), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, uid)
	}
	rec := newRecorder(nil)
	cfg := imapConfig(srv, "none")
	cfg.BatchSize = 3
	if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if got := uids(rec.all()); !slices.Equal(got, want) {
		t.Fatalf("handled UIDs %v, want %v", got, want)
	}
	if n := len(stored(t, srv, "Processed")); n != 7 {
		t.Fatalf("Processed holds %d messages, want 7", n)
	}
}

func TestPollOnceEmptyMailbox(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	rec := newRecorder(nil)
	if err := newPoller(t, imapConfig(srv, "none"), rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("handler called %d times on an empty mailbox", n)
	}
}

// Without MOVE the poller copies, flags and expunges exactly its own UIDs
// (UIDPLUS): a message somebody else flagged \Deleted stays untouched.
func TestMoveFallbackCopyStoreUIDExpunge(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{NoMove: true})
	othersDeleted := []byte("Subject: deleted by a colleague, not yet expunged\r\n\r\nbody\r\n")
	if _, err := srv.Deliver("INBOX", othersDeleted, time.Time{}, `\Deleted`); err != nil {
		t.Fatal(err)
	}
	ours := testMessage(1)
	if _, err := srv.Deliver("INBOX", ours, time.Time{}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(nil)
	if err := newPoller(t, imapConfig(srv, "none"), rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if got := rec.all(); len(got) != 1 || !bytes.Equal(got[0].Raw, ours) {
		t.Fatalf("handler saw %d messages, want only ours (a \\Deleted message must be skipped)", len(got))
	}
	assertRaw(t, srv, "Processed", ours)
	inbox := stored(t, srv, "INBOX")
	if len(inbox) != 1 || !bytes.Equal(inbox[0].Raw, othersDeleted) {
		t.Fatalf("INBOX after fallback move: %d messages, want only the colleague's deleted one", len(inbox))
	}
}

// Without MOVE and UIDPLUS there is no safe expunge: the message is copied,
// left flagged \Deleted, and not offered again.
func TestMoveFallbackWithoutUIDPlusNeverExpunges(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{NoMove: true, NoUIDPlus: true})
	othersDeleted := []byte("Subject: deleted by a colleague\r\n\r\nbody\r\n")
	if _, err := srv.Deliver("INBOX", othersDeleted, time.Time{}, `\Deleted`); err != nil {
		t.Fatal(err)
	}
	ours := testMessage(2)
	if _, err := srv.Deliver("INBOX", ours, time.Time{}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(nil)
	p := newPoller(t, imapConfig(srv, "none"), rec.handle)
	for range 2 {
		if err := p.PollOnce(t.Context()); err != nil {
			t.Fatalf("PollOnce: %v", err)
		}
	}
	if n := len(rec.all()); n != 1 {
		t.Fatalf("handler called %d times over two rounds, want 1", n)
	}
	assertRaw(t, srv, "Processed", ours)
	inbox := stored(t, srv, "INBOX")
	if len(inbox) != 2 {
		t.Fatalf("INBOX holds %d messages, want both still there (nothing expunged)", len(inbox))
	}
	for _, m := range inbox {
		if !slices.Contains(m.Flags, `\Deleted`) {
			t.Errorf("INBOX UID %d lacks \\Deleted", m.UID)
		}
	}
}

func TestCheckDescribesServerAndCreatesFolders(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	if _, err := srv.Deliver("INBOX", testMessage(1), time.Time{}); err != nil {
		t.Fatal(err)
	}
	validity, _ := srv.UIDValidity("INBOX")
	cfg := imapConfig(srv, "none")
	cfg.ProcessedMailbox = "Klachten/Verwerkt"
	p := newPoller(t, cfg, newRecorder(nil).handle)

	// Check changes nothing: the missing folder is reported, not made.
	looked, err := p.Check(t.Context())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !strings.Contains(looked, `MISSING folder(s) "Klachten/Verwerkt":`) {
		t.Errorf("Check does not report the missing folders:\n%s", looked)
	}
	if _, err := srv.UIDValidity("Klachten/Verwerkt"); err == nil {
		t.Errorf("Check created the processed folder")
	}

	summary, err := p.CheckCreate(t.Context())
	if err != nil {
		t.Fatalf("CheckCreate: %v", err)
	}
	for _, want := range []string{"IDLE yes", "MOVE yes", "UIDPLUS yes", "1 message(s)",
		"UIDVALIDITY " + itoa(validity), "created now: Klachten/Verwerkt"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if _, err := srv.UIDValidity("Klachten/Verwerkt"); err != nil {
		t.Errorf("Check did not create the processed folder: %v", err)
	}
	again, err := p.Check(t.Context())
	if err != nil {
		t.Fatalf("second Check: %v", err)
	}
	if strings.Contains(again, "created now") {
		t.Errorf("second Check claims to have created folders:\n%s", again)
	}
	// Check never touches the messages.
	assertRaw(t, srv, "INBOX", testMessage(1))

	noIdle := startIMAP(t, mailtest.IMAPOptions{NoIdle: true, NoMove: true})
	s2, err := newPoller(t, imapConfig(noIdle, "none"), newRecorder(nil).handle).Check(t.Context())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, want := range []string{"IDLE no", "MOVE no", "UIDPLUS yes", "polled every"} {
		if !strings.Contains(s2, want) {
			t.Errorf("summary lacks %q:\n%s", want, s2)
		}
	}
}

func assertRaw(t *testing.T, srv *mailtest.IMAPServer, mbox string, want ...[]byte) {
	t.Helper()
	got := stored(t, srv, mbox)
	if len(got) != len(want) {
		t.Fatalf("%s holds %d messages, want %d", mbox, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Raw, want[i]) {
			t.Errorf("%s message %d differs:\n got %q\nwant %q", mbox, i, got[i].Raw, want[i])
		}
	}
}

func uids(fs []mailbox.Fetched) []uint32 {
	var out []uint32
	for _, f := range fs {
		out = append(out, f.UID)
	}
	return out
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
