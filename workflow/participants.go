package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Participant roles.
const (
	RoleComplainant = "complainant"
	RoleHandler     = "handler"
	RoleCopy        = "cc" // someone the complainant copied in
)

// Participant is a person taking part in a case.
type Participant struct {
	ID        int64     `db:"id"`
	CaseID    int64     `db:"case_id"`
	Role      string    `db:"role"`
	Email     string    `db:"email"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// addParticipant records that email takes part in the case, once, and
// returns its id; a later role for the same address does not replace the
// first.
func addParticipant(ctx context.Context, db Database, caseID int64, role, email, name string, now time.Time) (int64, error) {
	if ids, ok, err := participantsInGroup(ctx, caseID, []Participant{{Role: role, Email: email, Name: name}}, now); ok {
		return ids[strings.ToLower(email)], err // a case the group opened (batch_writes.go)
	}
	var id int64
	// DO UPDATE (of nothing) rather than DO NOTHING, so RETURNING has a row.
	if err := db.Get(ctx, &id, `INSERT INTO participants (case_id, role, email, name, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, email) DO UPDATE SET email = excluded.email RETURNING id`,
		caseID, role, strings.ToLower(email), name, now); err != nil {
		return 0, fmt.Errorf("workflow: add participant: %w", err)
	}
	return id, nil
}

// isParticipant reports whether email takes part in the case.
func isParticipant(ctx context.Context, db Database, caseID int64, email string) (bool, error) {
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM participants WHERE case_id = ? AND email = ?`,
		caseID, strings.ToLower(email)); err != nil {
		return false, fmt.Errorf("workflow: participant: %w", err)
	}
	return n > 0, nil
}

// addParticipants records several participants with one statement and
// returns their ids by address.
func addParticipants(ctx context.Context, db Database, caseID int64, ps []Participant, now time.Time) (map[string]int64, error) {
	ids := map[string]int64{}
	if len(ps) == 0 {
		return ids, nil
	}
	if ids, ok, err := participantsInGroup(ctx, caseID, ps, now); ok {
		return ids, err // a case the group opened (batch_writes.go)
	}
	var args []any
	seen := map[string]bool{}
	n := 0
	for _, p := range ps {
		email := strings.ToLower(p.Email)
		if seen[email] { // one statement cannot touch a row twice
			continue
		}
		seen[email] = true
		args = append(args, caseID, p.Role, email, p.Name, now)
		n++
	}
	var rows []struct {
		ID    int64  `db:"id"`
		Email string `db:"email"`
	}
	if err := db.Select(ctx, &rows, `INSERT INTO participants (case_id, role, email, name, created_at) VALUES `+
		valueRows(n, 5)+` ON CONFLICT (case_id, email) DO UPDATE SET email = excluded.email RETURNING id, email`, args...); err != nil {
		return nil, fmt.Errorf("workflow: add participants: %w", err)
	}
	for _, r := range rows {
		ids[r.Email] = r.ID
	}
	return ids, nil
}

// participantByID finds a participant, e.g. the one a reply token names.
func participantByID(ctx context.Context, db Database, id int64) (Participant, error) {
	var p Participant
	if err := db.Get(ctx, &p, `SELECT id, case_id, role, email, name, created_at FROM participants WHERE id = ?`, id); err != nil {
		return p, fmt.Errorf("workflow: participant %d: %w", id, err)
	}
	return p, nil
}
