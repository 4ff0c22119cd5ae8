package workflow_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// gateTransport accepts mail, but holds the first send until release is
// closed, telling entered when it is there.
type gateTransport struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once

	mu   sync.Mutex
	sent map[string]int
}

func (g *gateTransport) Send(_ context.Context, _ string, _ []string, raw []byte) error {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sent == nil {
		g.sent = map[string]int{}
	}
	g.sent[string(raw)]++
	return nil
}

// Handed-over mail whose lease ran out while it waited in memory (a server
// that does not keep up) is another daemon's once that daemon claims it:
// the first daemon's next pass must not put it back in the queue under the
// new claimant, or it is claimed and sent a second time. PostgreSQL only:
// on SQLite one daemon owns the database, and any claim but its own is a
// dead daemon's.
func TestHandedOverMailPastItsLeaseStaysWithItsNewClaimant(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("two daemons share a database only on PostgreSQL (TEST_DATABASE_URL)")
	}
	func(t *testing.T, url string) {
		ctx := t.Context()
		clock := workflow.NewManualClock(groupTime())
		dbA := openDaemonDB(t, url)
		defer dbA.Close()
		trA := &checkingTransport{db: dbA}
		wA := daemonWorkflow(t, dbA, trA, clock)
		processGroup(t, wA, aGroup(clock.Now()))
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`); n != 7 {
			t.Fatalf("%d of 7 mails handed over", n)
		}

		dbB, err := store.Open(ctx, url, store.Options{Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		defer dbB.Close()
		trB := &gateTransport{entered: make(chan struct{}), release: make(chan struct{})}
		wB := daemonWorkflow(t, dbB, trB, clock)

		// The lease runs out; the other daemon claims the mail and is
		// sending the first of it when the first daemon's pass comes.
		clock.Advance(6 * time.Minute)
		done := make(chan error, 1)
		go func() {
			_, err := wB.DeliverDue(ctx)
			done <- err
		}()
		<-trB.entered
		for deliverDue(t, wA) > 0 {
		}
		close(trB.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for deliverDue(t, wB) > 0 {
		}
		for deliverDue(t, wA) > 0 {
		}

		trA.mu.Lock()
		sent := map[string]int{}
		for raw, n := range trA.sent {
			sent[raw] += n
		}
		trA.mu.Unlock()
		trB.mu.Lock()
		for raw, n := range trB.sent {
			sent[raw] += n
		}
		trB.mu.Unlock()
		if len(sent) != 7 {
			t.Errorf("%d different mails sent, want 7", len(sent))
		}
		for _, n := range sent {
			if n != 1 {
				t.Errorf("a mail was sent %d times, want once", n)
			}
		}
		if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); n != 7 {
			t.Errorf("%d of 7 mails recorded as sent", n)
		}
	}(t, storetest.URL(t, store.Postgres))
}

// Handed-over mail whose lease ran out while the outbox was busy (a pass
// that sent earlier mail to a slow server) was never handed to a server:
// when the next pass claims first, it is put back and claimed as its first
// attempt, not recorded as an attempt whose answer is unknown (which the
// case file shows as "may have been delivered twice").
func TestHandedOverMailPastItsLeaseIsNotRecordedAsMaybeSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		w, _, clock := groupWorkflowSending(t, db, tr)
		group := aGroup(clock.Now())
		processGroup(t, w, group[:2])
		if n := deliverDue(t, w); n != 4 {
			t.Fatalf("the first pass tried %d mails, want the first group's 4", n)
		}
		// Handed over while that pass ran; its lease runs out before the
		// next pass, which claims first.
		processGroup(t, w, group[2:])
		clock.Advance(6 * time.Minute)
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 7)
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'unknown'`); n != 0 {
			t.Errorf("%d attempts recorded with an unknown answer, of mail no server ever saw", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != 7 {
			t.Errorf("%d of 7 mails sent at their first attempt", n)
		}
	})
}
