package workflow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// A group whose kept rows pass one statement's limit of values (thousands
// of participants: a complaint copied to many, many handlers) writes them in
// parts, every one of them with the id its reply tokens name.
func TestGroupWritesMoreRowsThanOneStatementTakes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, sdb *store.DB) {
		db := groupDB{sdb}
		now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
		const cases, perCase = 3, 1200 // 3,600 participants: four statements of at most 1,000
		handed := map[int64]string{}
		err := db.InTx(t.Context(), func(ctx context.Context) error {
			b := &groupWrites{db: sdb, left: cases, perMessage: 3, free: map[string][]int64{},
				partsOf: map[int64]map[string]int64{}, ledger: map[int64]*ledgerWrite{}}
			ctx = context.WithValue(ctx, groupWritesKey{}, b)
			for i := range cases {
				c := &Case{Reference: fmt.Sprintf("KL-2026-%04d", i+1), Status: StatusReceived, Kind: KindParent,
					ComplainantEmail: fmt.Sprintf("p%d@example.nl", i), Language: "nl", ReceivedAt: now, DeadlineAt: now,
					CreatedAt: now, UpdatedAt: now}
				if err := insertCase(ctx, db, c); err != nil {
					return err
				}
				var ps []Participant
				for j := range perCase {
					ps = append(ps, Participant{Role: RoleCopy, Email: fmt.Sprintf("c%d.%d@example.nl", i, j)})
				}
				ids, err := addParticipants(ctx, db, c.ID, ps, now)
				if err != nil {
					return err
				}
				for email, id := range ids {
					handed[id] = email
				}
				b.left--
			}
			return b.flush(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			ID    int64  `db:"id"`
			Email string `db:"email"`
		}
		if err := sdb.Select(t.Context(), &rows, `SELECT id, email FROM participants`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != cases*perCase || len(handed) != cases*perCase {
			t.Fatalf("%d participants written, %d ids handed out, want %d", len(rows), len(handed), cases*perCase)
		}
		for _, r := range rows {
			if handed[r.ID] != r.Email {
				t.Fatalf("participant %d is %s, its tokens name %q", r.ID, r.Email, handed[r.ID])
			}
		}
	})
}
