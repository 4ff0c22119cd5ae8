package workflow_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// tripDB runs trip once, on the first statement starting with prefix.
type tripDB struct {
	workflow.Database
	prefix  string
	tripped atomic.Bool
	trip    func()
}

func (d *tripDB) check(q string) {
	if strings.HasPrefix(strings.Join(strings.Fields(q), " "), d.prefix) && d.tripped.CompareAndSwap(false, true) {
		d.trip()
	}
}

func (d *tripDB) Get(ctx context.Context, dest any, q string, args ...any) error {
	d.check(q)
	return d.Database.Get(ctx, dest, q, args...)
}

func (d *tripDB) Select(ctx context.Context, dest any, q string, args ...any) error {
	d.check(q)
	return d.Database.Select(ctx, dest, q, args...)
}

func (d *tripDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	d.check(q)
	return d.Database.Exec(ctx, q, args...)
}

// A group interrupted while it writes its kept rows (a panic, or the daemon
// stopping, after its cases and participants are written and before its
// messages are) leaves none of them: every message is acted on exactly once,
// alone at once after a panic, or on the next offer after a stop. (Checks
// that the rollback of store.InTx covers the kept rows.)
func TestGroupInterruptedMidWriteLeavesNothingHalfDone(t *testing.T) {
	for _, how := range []string{"panic", "cancel"} {
		t.Run(how, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				at := time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				tdb := &tripDB{Database: db, prefix: "INSERT INTO messages"}
				tdb.trip = func() {
					if how == "panic" {
						panic("the disk went away")
					}
					cancel()
				}
				w, err := workflow.New(workflow.Deps{DB: tdb, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Clock: workflow.NewManualClock(at), Settings: testSettings()})
				if err != nil {
					t.Fatal(err)
				}
				group := aGroup(at)
				rs := w.ProcessGroup(ctx, group)
				if how == "cancel" {
					for i, r := range rs {
						if r.Err == nil {
							t.Errorf("message %d reported done although the daemon stopped before the commit", i+1)
						}
					}
					if n := count(t, db, `SELECT COUNT(*) FROM cases`) + count(t, db, `SELECT COUNT(*) FROM participants`) +
						count(t, db, `SELECT COUNT(*) FROM outbox`) + count(t, db, `SELECT COUNT(*) FROM messages`); n != 0 {
						t.Fatalf("%d rows left by a group stopped while writing", n)
					}
					if n := count(t, db, `SELECT COUNT(*) FROM ledger WHERE state = 'pending'`); n != len(group) {
						t.Fatalf("%d of %d entries pending after the stop", n, len(group))
					}
					rs = w.ProcessGroup(t.Context(), group)
				}
				for i, r := range rs {
					if r.Err != nil || r.Disposition != workflow.Done {
						t.Errorf("message %d: %+v", i+1, r)
					}
				}
				if how == "panic" {
					checkGroupOutcome(t, db)
				} else { // offered twice: each entry counts two attempts
					if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 3 {
						t.Errorf("%d cases, want 3", n)
					}
					if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 7 {
						t.Errorf("%d outgoing mails, want 7", n)
					}
					if n := count(t, db, `SELECT COUNT(*) FROM messages WHERE direction = 'in'`); n != len(group) {
						t.Errorf("%d inbound messages recorded, want %d", n, len(group))
					}
				}
				if n := count(t, db, `SELECT COUNT(*) FROM participants p LEFT JOIN cases c ON c.id = p.case_id WHERE c.id IS NULL`); n != 0 {
					t.Errorf("%d participants of no case", n)
				}
			})
		})
	}
}
