package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Stats is what the database holds at one moment, for metrics and
// readiness.
type Stats struct {
	Outbox        map[string]int // rows by state
	OldestUnsent  time.Time      // created_at of the oldest queued or sending row; zero when none
	HeldByRefusal int            // rows held because the mail server refused them
	OpenCases     map[string]int // open cases by status
	PastDeadline  int            // open cases past their deadline
	Scheduled     map[string]int // scheduled items done, by kind
}

// Stats counts the outbox, the open cases and the scheduled work.
func (w *Workflow) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Outbox: map[string]int{}, OpenCases: map[string]int{}, Scheduled: map[string]int{}}
	type count struct {
		Key string `db:"k"`
		N   int    `db:"n"`
	}
	var rows []count
	if err := w.db.Select(ctx, &rows, `SELECT state AS k, COUNT(*) AS n FROM outbox GROUP BY state`); err != nil {
		return s, fmt.Errorf("workflow: stats: %w", err)
	}
	for _, r := range rows {
		s.Outbox[r.Key] = r.N
	}
	var oldest []struct {
		At time.Time `db:"created_at"`
	}
	if err := w.db.Select(ctx, &oldest, `SELECT created_at FROM outbox WHERE state IN (?, ?) ORDER BY created_at LIMIT 1`,
		OutboxQueued, OutboxSending); err != nil {
		return s, fmt.Errorf("workflow: stats: %w", err)
	}
	if len(oldest) > 0 {
		s.OldestUnsent = oldest[0].At
	}
	if err := w.db.Get(ctx, &s.HeldByRefusal, `SELECT COUNT(*) FROM outbox WHERE state = ? AND last_error LIKE ?`,
		OutboxHeld, HeldByServerPrefix+"%"); err != nil {
		return s, fmt.Errorf("workflow: stats: %w", err)
	}
	rows = rows[:0]
	if err := w.db.Select(ctx, &rows, `SELECT status AS k, COUNT(*) AS n FROM cases WHERE status IN (?, ?, ?) GROUP BY status`,
		StatusReceived, StatusAcknowledged, StatusInProgress); err != nil {
		return s, fmt.Errorf("workflow: stats: %w", err)
	}
	for _, r := range rows {
		s.OpenCases[r.Key] = r.N
	}
	if err := w.db.Get(ctx, &s.PastDeadline, `SELECT COUNT(*) FROM cases WHERE status IN (?, ?, ?) AND deadline_at < ?`,
		StatusReceived, StatusAcknowledged, StatusInProgress, w.clock.Now()); err != nil {
		return s, fmt.Errorf("workflow: stats: %w", err)
	}
	rows = rows[:0]
	if err := w.db.Select(ctx, &rows, `SELECT kind AS k, COUNT(*) AS n FROM scheduled GROUP BY kind`); err != nil {
		return s, fmt.Errorf("workflow: stats: %w", err)
	}
	for _, r := range rows {
		s.Scheduled[r.Key] = r.N
	}
	return s, nil
}

// reasonKinds map the start of a ledger reason onto a short, stable label
// for metrics; the reasons themselves are sentences for people.
var reasonKinds = []struct{ prefix, kind string }{
	{"same message as ledger", "duplicate"},
	{"same Message-ID and body", "duplicate"},
	{"automatic message", "automatic"},
	{"delivery report", "stray_report"},
	{"our own mail came back", "own_mail"},
	{"a handler's message that names no case", "handler_no_case"},
	{"an unverified message in the name of handler", "unverified_handler"},
	{"cannot parse", "unparseable"},
	{"gave up after", "gave_up"},
	{"panic", "panic"},
}

// ReasonKind is the label of a ledger reason: duplicate, automatic,
// stray_report, own_mail, handler_no_case, unverified_handler, unparseable,
// gave_up, panic, or other.
func ReasonKind(reason string) string {
	for _, k := range reasonKinds {
		if strings.HasPrefix(reason, k.prefix) {
			return k.kind
		}
	}
	if reason == "" {
		return ""
	}
	return "other"
}
