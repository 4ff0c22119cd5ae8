package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Case states (DESIGN.md "Case life").
const (
	StatusReceived     = "received"
	StatusAcknowledged = "acknowledged"
	StatusInProgress   = "in_progress"
	StatusDecided      = "decided"
	StatusClosed       = "closed"
	StatusWithdrawn    = "withdrawn"
)

// Complainant kinds.
const (
	KindParent    = "parent"
	KindCommittee = "committee"
)

// ErrCaseNotFound is returned when no case has the reference or id asked for.
var ErrCaseNotFound = errors.New("workflow: case not found")

// Case is one complaint.
type Case struct {
	ID               int64        `db:"id"`
	Reference        string       `db:"reference"`
	Status           string       `db:"status"`
	Kind             string       `db:"kind"`
	Committee        string       `db:"committee"`
	ComplainantName  string       `db:"complainant_name"`
	ComplainantEmail string       `db:"complainant_email"`
	Subject          string       `db:"subject"`
	Location         string       `db:"location"`
	Assignee         string       `db:"assignee"`
	Language         string       `db:"language"`
	ReceivedAt       time.Time    `db:"received_at"`
	DeadlineAt       time.Time    `db:"deadline_at"`
	DeadlineExceeded bool         `db:"deadline_exceeded"`
	Unreachable      bool         `db:"unreachable"`
	Safeguarding     bool         `db:"safeguarding"` // a handler marked it as touching a child's safety (#veiligheid)
	Verdict          string       `db:"verdict"`      // what the judgment decided (R8): gegrond, deels-gegrond, ongegrond; "" before
	ReportLine       string       `db:"report_line"`  // the handler's line for the annual report (#verslag)
	DecidedAt        sql.NullTime `db:"decided_at"`
	ClosedAt         sql.NullTime `db:"closed_at"`
	CreatedAt        time.Time    `db:"created_at"`
	UpdatedAt        time.Time    `db:"updated_at"`
}

// Open reports whether the case still awaits handling.
func (c Case) Open() bool {
	switch c.Status {
	case StatusReceived, StatusAcknowledged, StatusInProgress:
		return true
	}
	return false
}

const caseColumns = `id, reference, status, kind, committee, complainant_name, complainant_email, subject,
	location, assignee, language, received_at, deadline_at, deadline_exceeded, unreachable, safeguarding,
	verdict, report_line, decided_at, closed_at, created_at, updated_at`

// insertCase stores a new case and sets c.ID.
func insertCase(ctx context.Context, db Database, c *Case) error {
	if ok, err := caseInGroup(ctx, c); ok {
		return err // written with the group's other cases (batch_writes.go)
	}
	err := db.Get(ctx, &c.ID, `INSERT INTO cases (reference, status, kind, committee, complainant_name,
		complainant_email, subject, location, assignee, language, received_at, deadline_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Reference, c.Status, c.Kind, c.Committee, c.ComplainantName, c.ComplainantEmail, c.Subject,
		c.Location, c.Assignee, c.Language, c.ReceivedAt, c.DeadlineAt, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("workflow: insert case %s: %w", c.Reference, err)
	}
	return nil
}

func caseByID(ctx context.Context, db Database, id int64) (Case, error) {
	var c Case
	err := db.Get(ctx, &c, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: id %d", ErrCaseNotFound, id)
	}
	if err != nil {
		return c, fmt.Errorf("workflow: case %d: %w", id, err)
	}
	return c, nil
}

func caseByReference(ctx context.Context, db Database, ref string) (Case, error) {
	var c Case
	err := db.Get(ctx, &c, `SELECT `+caseColumns+` FROM cases WHERE reference = ?`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: %s", ErrCaseNotFound, ref)
	}
	if err != nil {
		return c, fmt.Errorf("workflow: case %s: %w", ref, err)
	}
	return c, nil
}

// pendingReference is a case's reference until assignReference numbers it,
// unique because it names the ledger entry that opens the case.
func pendingReference(ledgerID int64) string { return fmt.Sprintf("pending-%d", ledgerID) }

// assignReference gives a case the next reference of its year. Taken inside
// the transaction that opens the case, a rolled-back case gives its number
// back: references have no gaps.
func assignReference(ctx context.Context, db Database, c *Case, year int, now time.Time) error {
	ref, err := nextReference(ctx, db, year)
	if err != nil {
		return err
	}
	if _, err := db.Exec(ctx, `UPDATE cases SET reference = ?, updated_at = ? WHERE id = ?`, ref, now, c.ID); err != nil {
		return fmt.Errorf("workflow: case reference %s: %w", ref, err)
	}
	c.Reference = ref
	return nil
}

// nextReference hands out the next case reference of a year: KL-2026-0001.
// The counter row is locked by the update, so two daemons never get the same.
func nextReference(ctx context.Context, db Database, year int) (string, error) {
	var n int
	err := db.Get(ctx, &n, `INSERT INTO reference_counters (year, last) VALUES (?, 1)
		ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + 1 RETURNING last`, year)
	if err != nil {
		return "", fmt.Errorf("workflow: next case reference: %w", err)
	}
	return fmt.Sprintf("KL-%d-%04d", year, n), nil
}

// setUnreachable flags that mail to the complainant does not arrive.
func setUnreachable(ctx context.Context, db Database, c *Case, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE cases SET unreachable = ?, updated_at = ? WHERE id = ?`, true, now, c.ID); err != nil {
		return fmt.Errorf("workflow: case %s unreachable: %w", c.Reference, err)
	}
	c.Unreachable = true
	return nil
}

// setStatus moves a case to status and records the change.
func setStatus(ctx context.Context, db Database, c *Case, status, actor string, now time.Time) error {
	if c.Status == status {
		return nil
	}
	if _, err := db.Exec(ctx, `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, status, now, c.ID); err != nil {
		return fmt.Errorf("workflow: case %s status: %w", c.Reference, err)
	}
	from := c.Status
	c.Status = status
	return addEvent(ctx, db, c.ID, now, EventStatus, actor, from+" → "+status)
}
