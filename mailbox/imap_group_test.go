package mailbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// A group handler gets the messages of each FETCH batch together, in UID
// order; each is moved by its own outcome, and one the handler failed stays
// in the inbox for the next round.
func TestGroupPollerHandsOverBatchesInOrder(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	now := time.Now()
	for i := range 5 {
		if _, err := srv.Deliver("INBOX", testMessage(i), now); err != nil {
			t.Fatal(err)
		}
	}
	cfg := imapConfig(srv, "none")
	cfg.BatchSize = 2
	var groups [][]uint32
	p, err := mailbox.NewGroupPoller(cfg, func(_ context.Context, fs []mailbox.Fetched) []mailbox.Result {
		var uids []uint32
		rs := make([]mailbox.Result, len(fs))
		for i, f := range fs {
			uids = append(uids, f.UID)
			switch f.UID {
			case 2:
				rs[i].Outcome = mailbox.Quarantine
			case 4:
				rs[i].Err = errors.New("database down")
			}
		}
		groups = append(groups, uids)
		return rs
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), failAfter)
	defer cancel()
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	want := [][]uint32{{1, 2}, {3, 4}, {5}}
	if len(groups) != len(want) {
		t.Fatalf("groups %v, want %v", groups, want)
	}
	for i := range want {
		if len(groups[i]) != len(want[i]) || groups[i][0] != want[i][0] || groups[i][len(want[i])-1] != want[i][len(want[i])-1] {
			t.Fatalf("groups %v, want %v", groups, want)
		}
	}
	if n := len(stored(t, srv, "Processed")); n != 3 {
		t.Errorf("%d messages in Processed, want 3", n)
	}
	if n := len(stored(t, srv, "Quarantine")); n != 1 {
		t.Errorf("%d messages in Quarantine, want 1", n)
	}
	if in := stored(t, srv, "INBOX"); len(in) != 1 {
		t.Errorf("%d messages left in INBOX, want the failed one", len(in))
	}
}
