package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds of privacy request.
const (
	RequestAccess  = "access"  // AVG art. 15: a copy of what is held
	RequestErasure = "erasure" // AVG art. 17: to be forgotten
)

// ErrRequestNotFound is returned for a privacy request id that does not exist.
var ErrRequestNotFound = errors.New("workflow: no such privacy request")

// ErrRequestDone is returned when marking a request done a second time.
var ErrRequestDone = errors.New("workflow: privacy request already done")

// PrivacyRequest is a person's request about their data. The answer is
// due one month after it was received (AVG art. 12(3)); until it is marked
// done it is in the managers' digest.
type PrivacyRequest struct {
	ID         int64        `db:"id"`
	Kind       string       `db:"kind"`
	Email      string       `db:"email"`
	ReceivedOn string       `db:"received_on"`
	DueOn      string       `db:"due_on"`
	Note       string       `db:"note"`
	CreatedBy  string       `db:"created_by"`
	CreatedAt  time.Time    `db:"created_at"`
	DoneAt     sql.NullTime `db:"done_at"`
	DoneBy     string       `db:"done_by"`
}

const requestColumns = `id, kind, email, received_on, due_on, note, created_by, created_at, done_at, done_by`

// AddPrivacyRequest records a request received on the given day (in the
// organisation's zone); by is who recorded it.
func (w *Workflow) AddPrivacyRequest(ctx context.Context, kind, email string, received time.Time, by, note string) (PrivacyRequest, error) {
	loc := w.set.Organisation.Location
	r := received.In(loc)
	day := time.Date(r.Year(), r.Month(), r.Day(), 0, 0, 0, 0, loc)
	var id int64
	if err := w.db.Get(ctx, &id, `INSERT INTO privacy_requests (kind, email, received_on, due_on, note, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, kind, strings.ToLower(email), day.Format(time.DateOnly),
		day.AddDate(0, 1, 0).Format(time.DateOnly), note, by, w.clock.Now()); err != nil {
		return PrivacyRequest{}, fmt.Errorf("workflow: privacy request: %w", err)
	}
	return w.PrivacyRequestByID(ctx, id)
}

// PrivacyRequestByID returns one request.
func (w *Workflow) PrivacyRequestByID(ctx context.Context, id int64) (PrivacyRequest, error) {
	var r PrivacyRequest
	err := w.db.Get(ctx, &r, `SELECT `+requestColumns+` FROM privacy_requests WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: #%d", ErrRequestNotFound, id)
	}
	if err != nil {
		return r, fmt.Errorf("workflow: privacy request %d: %w", id, err)
	}
	return r, nil
}

// PrivacyRequests lists the requests, the first due first; openOnly leaves
// out those done.
func (w *Workflow) PrivacyRequests(ctx context.Context, openOnly bool) ([]PrivacyRequest, error) {
	q := `SELECT ` + requestColumns + ` FROM privacy_requests`
	if openOnly {
		q += ` WHERE done_at IS NULL`
	}
	var rs []PrivacyRequest
	if err := w.db.Select(ctx, &rs, q+` ORDER BY due_on, id`); err != nil {
		return nil, fmt.Errorf("workflow: privacy requests: %w", err)
	}
	return rs, nil
}

// PrivacyRequestDone marks a request answered.
func (w *Workflow) PrivacyRequestDone(ctx context.Context, id int64, by string) error {
	n, err := w.db.Exec(ctx, `UPDATE privacy_requests SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL`,
		w.clock.Now(), by, id)
	if err != nil {
		return fmt.Errorf("workflow: privacy request %d: %w", id, err)
	}
	if n == 0 {
		if _, err := w.PrivacyRequestByID(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("%w: #%d", ErrRequestDone, id)
	}
	return nil
}

// PrivacyRequestRow is an open request in a manager's digest. It names no
// person: the digest is mail, and the request itself says who.
type PrivacyRequestRow struct {
	ID       int64
	Kind     string // RequestAccess or RequestErasure
	Received time.Time
	Due      time.Time
	DaysLeft int // negative: late
}

// openRequestRows are the open requests as digest rows at now.
func (w *Workflow) openRequestRows(ctx context.Context, now time.Time) ([]PrivacyRequestRow, error) {
	rs, err := w.PrivacyRequests(ctx, true)
	if err != nil {
		return nil, err
	}
	loc := w.set.Organisation.Location
	var rows []PrivacyRequestRow
	for _, r := range rs {
		rec, _ := time.ParseInLocation(time.DateOnly, r.ReceivedOn, loc)
		due, _ := time.ParseInLocation(time.DateOnly, r.DueOn, loc)
		rows = append(rows, PrivacyRequestRow{ID: r.ID, Kind: r.Kind, Received: rec, Due: due, DaysLeft: -daysBetween(due, now, loc)})
	}
	return rows, nil
}

// Access is one showing of case content through the command line.
type Access struct {
	At        time.Time     `db:"at"`
	OSUser    string        `db:"os_user"`
	Command   string        `db:"command"`
	CaseID    sql.NullInt64 `db:"case_id"`
	LedgerID  sql.NullInt64 `db:"ledger_id"`
	RequestID sql.NullInt64 `db:"request_id"`
}

// Accessed names what a command showed: cases (by id or reference), a
// ledger entry (and so the case it was acted on for), a privacy request.
// Each case named gets its own entry, which cases show lists.
type Accessed struct {
	Cases     []int64
	Refs      []string
	LedgerID  int64
	RequestID int64
}

// LogAccess records that osUser ran command at now, which shows case
// content (Wko 1.57d confidentiality, R13). now is the caller's: a command
// looking at another moment (-at) is still logged when it ran. The caller
// shows nothing when it fails.
func (w *Workflow) LogAccess(ctx context.Context, now time.Time, osUser, command string, what Accessed) error {
	ins := func(ctx context.Context, caseID int64) error {
		_, err := w.db.Exec(ctx, `INSERT INTO access_log (at, os_user, command, case_id, ledger_id, request_id) VALUES (?, ?, ?, ?, ?, ?)`,
			now, osUser, command, nullID(caseID), nullID(what.LedgerID), nullID(what.RequestID))
		return err
	}
	err := w.db.InTx(ctx, func(ctx context.Context) error {
		ids, err := w.accessedCases(ctx, what)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return ins(ctx, 0)
		}
		for _, id := range ids {
			if err := ins(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("workflow: access log: %w", err)
	}
	return nil
}

// accessedCases are the ids of the cases what names, each once.
func (w *Workflow) accessedCases(ctx context.Context, what Accessed) ([]int64, error) {
	ids := slices.Clone(what.Cases)
	for refs := what.Refs; len(refs) > 0; {
		n := min(len(refs), 500) // bounded statements, however long the list
		args := make([]any, n)
		for i, r := range refs[:n] {
			args[i] = r
		}
		var found []int64
		if err := w.db.Select(ctx, &found, `SELECT id FROM cases WHERE reference IN (`+placeholders(n)+`)`, args...); err != nil {
			return nil, err
		}
		ids, refs = append(ids, found...), refs[n:]
	}
	if what.LedgerID != 0 {
		var found []int64
		if err := w.db.Select(ctx, &found, `SELECT case_id FROM ledger WHERE id = ? AND case_id IS NOT NULL`, what.LedgerID); err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// AccessLog lists who was shown a case's content, oldest first.
func (w *Workflow) AccessLog(ctx context.Context, caseID int64) ([]Access, error) {
	var as []Access
	if err := w.db.Select(ctx, &as, `SELECT at, os_user, command, case_id, ledger_id, request_id FROM access_log
		WHERE case_id = ? ORDER BY id`, caseID); err != nil {
		return nil, fmt.Errorf("workflow: access log: %w", err)
	}
	return as, nil
}
