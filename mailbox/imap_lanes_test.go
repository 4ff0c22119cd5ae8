package mailbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

func laneMessage(from, id, inReplyTo string) []byte {
	irt := ""
	if inReplyTo != "" {
		irt = "In-Reply-To: <" + inReplyTo + ">\r\n"
	}
	return fmt.Appendf(nil, "From: <%s>\r\nTo: klachten@kinderopvang.example\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%s\r\nTekst\r\n", from, id, id, irt)
}

// With several workers, messages of different senders run at the same time,
// while a sender's messages, and a reply and what it answers, keep their order.
func TestWorkersRunIndependentMessagesTogetherAndKeepOrder(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	now := time.Now()
	for _, m := range [][]byte{
		laneMessage("a@example.nl", "a1", ""),   // waits until b1 has started
		laneMessage("b@example.nl", "b1", ""),   // different sender: runs beside a1
		laneMessage("a@example.nl", "a2", ""),   // same sender as a1: after a1
		laneMessage("c@example.nl", "c1", "b1"), // answers b1: after b1
	} {
		if _, err := srv.Deliver("INBOX", m, now); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), failAfter)
	defer cancel()
	b1Started := make(chan struct{})
	var mu sync.Mutex
	var events []string
	note := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	cfg := imapConfig(srv, "none")
	cfg.Workers = 4
	p := newPoller(t, cfg, func(ctx context.Context, f mailbox.Fetched) (mailbox.Outcome, error) {
		id := strings.TrimSuffix(strings.SplitN(string(f.Raw), "Message-ID: <", 2)[1][:2], ">")
		note("start " + id)
		switch id {
		case "a1":
			select {
			case <-b1Started: // only possible when b1 runs at the same time
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		case "b1":
			close(b1Started)
		}
		note("end " + id)
		return mailbox.Done, nil
	})
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, e := range events {
		pos[e] = i
	}
	if len(pos) != 8 {
		t.Fatalf("events %v, want start and end of 4 messages", events)
	}
	for _, before := range [][2]string{{"end a1", "start a2"}, {"end b1", "start c1"}} {
		if pos[before[0]] > pos[before[1]] {
			t.Errorf("%q came after %q: %v", before[0], before[1], events)
		}
	}
	if done, _ := srv.Messages("Processed"); len(done) != 4 {
		t.Errorf("%d messages processed, want 4", len(done))
	}
}
