package workflow

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// stmtLog keeps the statements run on a real database.
type stmtLog struct {
	Database
	mu sync.Mutex
	qs []string
}

func (l *stmtLog) note(q string) {
	l.mu.Lock()
	l.qs = append(l.qs, strings.Join(strings.Fields(q), " "))
	l.mu.Unlock()
}

// Statements counts the statements run so far that start with prefix.
func (l *stmtLog) Statements(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, q := range l.qs {
		if strings.HasPrefix(q, prefix) {
			n++
		}
	}
	return n
}

// Queries are the statements run so far that start with prefix, their
// white space folded.
func (l *stmtLog) Queries(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, q := range l.qs {
		if strings.HasPrefix(q, prefix) {
			out = append(out, q)
		}
	}
	return out
}

func (l *stmtLog) Get(ctx context.Context, dest any, q string, args ...any) error {
	l.note(q)
	return l.Database.Get(ctx, dest, q, args...)
}

func (l *stmtLog) Select(ctx context.Context, dest any, q string, args ...any) error {
	l.note(q)
	return l.Database.Select(ctx, dest, q, args...)
}

func (l *stmtLog) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	l.note(q)
	return l.Database.Exec(ctx, q, args...)
}

// A group's cases, participants and messages are written with one statement
// per table, and before anything else runs: a lookup in the middle of the
// group sees them, and a row the database numbers itself meanwhile (a
// participant of an older case) takes no id the group reserved.
func TestGroupWritesEachTableOnceAndBeforeAnyOtherStatement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, sdb *store.DB) {
		log := &stmtLog{Database: sdb}
		db := groupDB{log}
		now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
		newCase := func(ref, email string) *Case {
			return &Case{Reference: ref, Status: StatusReceived, Kind: KindParent, ComplainantEmail: email, Language: "nl",
				ReceivedAt: now, DeadlineAt: now, CreatedAt: now, UpdatedAt: now}
		}
		older := newCase("KL-2025-0001", "older@example.nl")
		if err := insertCase(t.Context(), db, older); err != nil {
			t.Fatal(err)
		}
		var handed []int64 // participant ids handed out in the group
		log.qs = nil
		err := db.InTx(t.Context(), func(ctx context.Context) error {
			b := &groupWrites{db: log, left: 3, perMessage: 3, free: map[string][]int64{},
				partsOf: map[int64]map[string]int64{}, ledger: map[int64]*ledgerWrite{}}
			ctx = context.WithValue(ctx, groupWritesKey{}, b)
			var cases []*Case
			for i, email := range []string{"sanne@example.nl", "peter@example.nl", "lisa@example.nl"} {
				c := newCase("KL-2026-000"+string(rune('1'+i)), email)
				if err := insertCase(ctx, db, c); err != nil {
					return err
				}
				ids, err := addParticipants(ctx, db, c.ID, []Participant{{Role: RoleComplainant, Email: email},
					{Role: RoleHandler, Email: "Anna@vlinder.example"}}, now)
				if err != nil {
					return err
				}
				handed = append(handed, ids[email], ids["anna@vlinder.example"])
				if err := insertMessage(ctx, db, &Message{CaseID: c.ID, Direction: DirIn, Kind: MsgComplaint,
					MessageID: email, FromAddr: email, CreatedAt: now}); err != nil {
					return err
				}
				cases = append(cases, c)
				b.left--
			}
			if n := log.Statements("INSERT"); n != 0 {
				t.Errorf("%d rows written while the group runs, want them kept", n)
			}
			// The same address again keeps its id, as ON CONFLICT would.
			if id, err := addParticipant(ctx, db, cases[0].ID, RoleCopy, "SANNE@example.nl", "", now); err != nil || id != handed[0] {
				t.Errorf("Sanne added again: id %d (%v), want %d", id, err, handed[0])
			}
			var n int
			if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM messages m JOIN participants p ON p.case_id = m.case_id
				JOIN cases c ON c.id = m.case_id WHERE c.reference LIKE 'KL-2026-%'`); err != nil {
				return err
			}
			if n != 6 {
				t.Errorf("a lookup in the group sees %d of its 6 message-participant pairs", n)
			}
			for _, table := range []string{"cases", "participants", "messages"} {
				if n := log.Statements("INSERT INTO " + table); n != 1 {
					t.Errorf("%d statements wrote the group's %s, want 1", n, table)
				}
			}
			// Numbered by the database, between two of the group's own.
			if _, err := addParticipant(ctx, db, older.ID, RoleComplainant, older.ComplainantEmail, "", now); err != nil {
				return err
			}
			kim := newCase("KL-2026-0004", "kim@example.nl")
			if err := insertCase(ctx, db, kim); err != nil {
				return err
			}
			ids, err := addParticipants(ctx, db, kim.ID, []Participant{{Role: RoleComplainant, Email: "kim@example.nl"}}, now)
			if err != nil {
				return err
			}
			handed = append(handed, ids["kim@example.nl"])
			return b.flush(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		if err := sdb.Select(t.Context(), &got, `SELECT p.id FROM participants p JOIN cases c ON c.id = p.case_id
			WHERE c.reference LIKE 'KL-2026-%' ORDER BY p.id`); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(handed) {
			t.Fatalf("participants %v, want the ids handed out %v", got, handed)
		}
		for i := range got {
			if got[i] != handed[i] {
				t.Fatalf("participants %v, want the ids handed out %v", got, handed)
			}
		}
	})
}
