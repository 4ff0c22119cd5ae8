package workflow_test

import (
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
