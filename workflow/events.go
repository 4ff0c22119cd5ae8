package workflow

import (
	"context"
	"fmt"
	"time"
)

// Event kinds on a case's timeline.
const (
	EventOpened           = "opened"
	EventMessage          = "message"
	EventStatus           = "status"
	EventDeliveryFailed   = "delivery_failed"
	EventForgedToken      = "forged_token"
	EventHeld             = "held"
	EventAutoReply        = "auto_reply"
	EventBounce           = "bounce"
	EventCommand          = "command"
	EventCommandsRefused  = "commands_refused"
	EventNote             = "note"
	EventRelay            = "relay"
	EventSuspectedSpoof   = "suspected_spoofing"
	EventScheduled        = "scheduled"
	EventDeadlineExceeded = "deadline_exceeded"
	EventWithheld         = "withheld"    // the confirmation did not repeat the complaint (issue 9)
	EventOwnAddress       = "own_address" // mail From our address that we did not send
)

// Event is one entry of a case's audit trail.
type Event struct {
	ID     int64     `db:"id"`
	CaseID int64     `db:"case_id"`
	At     time.Time `db:"at"`
	Kind   string    `db:"kind"`
	Actor  string    `db:"actor"`
	Detail string    `db:"detail"`
}

func addEvent(ctx context.Context, db Database, caseID int64, at time.Time, kind, actor, detail string) error {
	if deferEvent(ctx, Event{CaseID: caseID, At: at, Kind: kind, Actor: actor, Detail: detail}) {
		return nil // written with the group's other events (events_deferred.go)
	}
	if _, err := db.Exec(ctx, `INSERT INTO events (case_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`,
		caseID, at, kind, actor, detail); err != nil {
		return fmt.Errorf("workflow: event %s: %w", kind, err)
	}
	return nil
}
