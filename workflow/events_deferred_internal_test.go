package workflow

import (
	"context"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// A case file asked for inside a group (a manager's #dossier fetched in the
// same batch as a complaint's follow-up) shows what earlier messages of the
// group did to the case: the events they kept are in its timeline.
func TestTimelineInAGroupShowsTheGroupsEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, sdb *store.DB) {
		w := &Workflow{db: groupDB{sdb}}
		now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
		c := &Case{Reference: "KL-2026-0001", Status: StatusReceived, Kind: KindParent, ComplainantEmail: "sanne@example.nl",
			Language: "nl", ReceivedAt: now, DeadlineAt: now, CreatedAt: now, UpdatedAt: now}
		if err := insertCase(t.Context(), w.db, c); err != nil {
			t.Fatal(err)
		}
		err := w.db.InTx(t.Context(), func(ctx context.Context) error {
			ctx, events := withEventBuffer(ctx)
			if err := addEvent(ctx, w.db, c.ID, now, EventNote, "anna@vlinder.example", "Gebeld met de leidster."); err != nil {
				return err
			}
			_, tl, err := w.Timeline(ctx, c.Reference)
			if err != nil {
				return err
			}
			found := 0
			for _, e := range tl {
				if e.Kind == EventNote {
					found++
				}
			}
			if found != 1 {
				t.Errorf("the timeline read inside the group shows %d of the group's 1 note: %+v", found, tl)
			}
			if err := events.flush(ctx, w.db); err != nil {
				return err
			}
			var n int
			if err := w.db.Get(ctx, &n, `SELECT COUNT(*) FROM events WHERE case_id = ? AND kind = ?`, c.ID, EventNote); err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("the note is written %d times, want once", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
