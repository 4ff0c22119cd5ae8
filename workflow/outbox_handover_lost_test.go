package workflow_test

import (
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// lostSession is a session id no daemon holds: the session under which a
// daemon claimed its handed-over mail, lost since (on PostgreSQL its
// connection broke and Session gives a new one).
const lostSession = 4242424242

// Handed-over mail claimed under a session the daemon has lost is never
// handed to a server under that claim: the next pass puts it back in the
// queue, and its claim sends it at its first attempt. Left claimed, it
// would be claimed again with its unsent attempt recorded as unknown, and
// the case file would say "possibly delivered twice" of mail that went out
// once.
func TestHandedOverMailOfALostSessionIsSentAtItsFirstAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := &checkingTransport{db: db}
		w, _, clock := groupWorkflowSending(t, db, tr)
		processGroup(t, w, aGroup(clock.Now()))
		ids, err := workflow.LoseHandoverSession(t.Context(), w, lostSession)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 7 {
			t.Fatalf("%d of 7 mails handed over", len(ids))
		}
		for deliverDue(t, w) > 0 {
		}
		// Whatever is still claimed lapses with its lease (on SQLite
		// shared by a command, a claim's session is never known gone).
		clock.Advance(6 * time.Minute)
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 7)
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != 7 {
			t.Errorf("%d of 7 mails sent at their first attempt", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'unknown'`); n != 0 {
			t.Errorf("%d attempts recorded with an unknown answer (\"possibly delivered twice\"), of mail no server saw", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'accepted' AND attempt = 1`); n != 7 {
			t.Errorf("%d of 7 first attempts recorded as accepted", n)
		}
	})
}

// Putting back the mail of a lost session leaves alone a row another daemon
// has claimed meanwhile (its session is alive): the row stays that
// daemon's, with its attempts as they are, and is not sent by this one.
func TestLostSessionsMailClaimedByAnotherDaemonStaysWithIt(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		db := openSharedDB(t, url)
		other := openSharedDB(t, url)
		otherSession, err := other.Session(ctx) // alive while other is open
		if err != nil {
			t.Fatal(err)
		}
		tr := &checkingTransport{db: db}
		w, _, clock := groupWorkflowSending(t, db, tr)
		processGroup(t, w, aGroup(clock.Now()))
		ids, err := workflow.LoseHandoverSession(ctx, w, lostSession)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 7 {
			t.Fatalf("%d of 7 mails handed over", len(ids))
		}
		// The other daemon claims the first mail, as its claim does: the
		// lost attempt becomes unknown, its own attempt 2 starts.
		taken := ids[0]
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE outbox SET claimed_by = ?, attempts = 2 WHERE id = ?`, []any{otherSession, taken}},
			{`UPDATE outbox_attempts SET outcome = ?, answer = 'lost' WHERE outbox_id = ? AND outcome = ?`,
				[]any{workflow.AttemptUnknown, taken, workflow.AttemptSending}},
			{`INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome) VALUES (?, 2, ?, ?, ?)`,
				[]any{taken, otherSession, clock.Now(), workflow.AttemptSending}},
		} {
			if _, err := other.Exec(ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		for deliverDue(t, w) > 0 {
		}
		tr.check(t, 6)
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND state = 'sending' AND attempts = 2 AND claimed_by = ?`,
			taken, otherSession); n != 1 {
			t.Error("the mail another daemon claimed is no longer claimed by it")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outbox_id = ? AND attempt = 2 AND outcome = 'sending'`, taken); n != 1 {
			t.Error("the other daemon's attempt was changed")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE id <> ? AND state = 'sent' AND attempts = 1`, taken); n != 6 {
			t.Errorf("%d of the other 6 mails sent at their first attempt", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outbox_id <> ? AND outcome = 'unknown'`, taken); n != 0 {
			t.Errorf("%d attempts of the other 6 mails recorded with an unknown answer", n)
		}
	})
}

// openSharedDB opens url as a migrated handle that does not lock SQLite
// for itself, so two may be open at once.
func openSharedDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}
