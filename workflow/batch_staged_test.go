package workflow_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The poller records a group's arrivals while the group before is acted on
// (ArriveGroup, then Act). Taken to its extreme, the next group's arrivals
// are recorded before the group before is acted on at all: Sanne's
// follow-up, in the second group, still lands on the case her complaint in
// the first group opens, the cases are numbered in arrival order, and each
// message counts one attempt, exactly as when both are processed in turn.
func TestNextGroupsArrivalsRecordedFirstChangeNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, clock := groupWorkflow(t, db)
		all := aGroup(clock.Now())
		first, second := all[:2], all[2:]
		a1 := w.ArriveGroup(t.Context(), first)
		a2 := w.ArriveGroup(t.Context(), second)
		for _, a := range []*workflow.ArrivedGroup{a1, a2} {
			for i, r := range a.Act(t.Context()) {
				if r.Err != nil || r.Disposition != workflow.Done || r.Settled.State != workflow.LedgerProcessed {
					t.Errorf("message %d: %+v", i+1, r)
				}
			}
		}
		checkGroupOutcome(t, db)
	})
}

// On PostgreSQL the arrivals commit on a connection of their own while the
// group before holds its transaction open: both finish, and the outcome is
// the same.
func TestArrivalsRecordedWhileAGroupIsActedOn(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("arrivals overlap a group only on PostgreSQL: set TEST_DATABASE_URL")
	}
	db := storetest.Open(t, store.Postgres)
	w, _, clock := groupWorkflow(t, db)
	all := aGroup(clock.Now())
	first, second := all[:2], all[2:]
	a1 := w.ArriveGroup(t.Context(), first)
	acted := make(chan []workflow.GroupResult, 1)
	go func() { acted <- a1.Act(t.Context()) }()
	a2 := w.ArriveGroup(t.Context(), second)
	rs := append(<-acted, a2.Act(t.Context())...)
	for i, r := range rs {
		if r.Err != nil || r.Disposition != workflow.Done || r.Settled.State != workflow.LedgerProcessed {
			t.Errorf("message %d: %+v", i+1, r)
		}
	}
	checkGroupOutcome(t, db)
}

// A group's outbox rows go in statements of at most about 256 kB of mail
// each (lib/pq grows one buffer per statement by copying), and every mail
// of the group is written, with its bytes, once.
func TestGroupWritesItsMailInBoundedStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, counted, clock := groupWorkflow(t, db)
		const n = 60
		group := make([]workflow.Delivery, n)
		for i := range group {
			uid := uint32(i + 1)
			group[i] = groupMail(uid, clock.Now(), fmt.Sprintf("From: Ouder %d <ouder%d@example.nl>\r\nSubject: Klacht %d\r\nMessage-ID: <m%d@example.nl>\r\n", uid, uid, uid, uid),
				"De opvang belde niet terug over het ophalen van ons kind.")
		}
		before := counted.statements("INSERT INTO outbox") + counted.statements("WITH o AS (INSERT INTO outbox")
		processGroup(t, w, group)
		stmts := counted.statements("INSERT INTO outbox") + counted.statements("WITH o AS (INSERT INTO outbox") - before
		var rows []struct {
			N     int   `db:"n"`
			Bytes int64 `db:"bytes"`
			Empty int   `db:"empty"`
		}
		if err := db.Select(t.Context(), &rows, `SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(raw)), 0) AS bytes,
			COUNT(CASE WHEN raw IS NULL OR LENGTH(raw) = 0 THEN 1 END) AS empty FROM outbox`); err != nil {
			t.Fatal(err)
		}
		r := rows[0]
		if r.N != 2*n || r.Empty != 0 {
			t.Fatalf("%d outbox rows (%d without bytes), want %d with bytes", r.N, r.Empty, 2*n)
		}
		if want := int(r.Bytes/(256<<10)) + 1; stmts < want || stmts > want+1 {
			t.Errorf("%d statements wrote %d kB of mail, want %d or %d (256 kB each at most)", stmts, r.Bytes>>10, want, want+1)
		}
	})
}
