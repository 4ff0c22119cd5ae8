package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// urgentDays: cases with at most this many days left are marked urgent.
const urgentDays = 3

// BuildDigest is a manager's overview as it is at now: overdue cases, cases
// within the warning window, measures due or overdue, cases new since the
// previous digest and complainants who cannot be reached by email. The
// cases are those of the manager's locations, plus those whose location is
// not yet known (so none falls between two managers).
//
// New cases are those created from the previous digest's recorded moment
// on (a look at the digest also shows a case created at the moment looked
// at).
func (w *Workflow) BuildDigest(ctx context.Context, m Manager, now time.Time) (*DigestView, error) {
	return w.buildDigest(ctx, m, now, false)
}

// buildDigest is BuildDigest; recorded: the digest recorded at now, whose
// new cases end before now. Consecutive recorded digests share their
// boundary — the previous one's moment included, this one's excluded — so
// a case created at the very moment a digest was recorded, before or after
// it was made, is new in exactly one of them: the next.
func (w *Workflow) buildDigest(ctx context.Context, m Manager, now time.Time, recorded bool) (*DigestView, error) {
	now = now.Truncate(time.Microsecond) // as the stores keep a recorded moment (doDue)
	loc := w.set.Organisation.Location
	y, mo, d := now.In(loc).Date()
	today := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	v := &DigestView{Date: today, Locations: m.Locations, WarningDays: w.set.Schedule.WarningDays}
	since, err := w.previousDigest(ctx, m, now)
	if err != nil {
		return nil, err
	}
	v.Since = since
	newSince := since
	if newSince.IsZero() {
		newSince = now.Add(-24 * time.Hour)
	}
	var cases []Case
	if err := w.db.Select(ctx, &cases, `SELECT `+caseColumns+` FROM cases
		WHERE status IN (?, ?, ?) OR unreachable = ? OR created_at >= ? ORDER BY deadline_at, id`,
		StatusReceived, StatusAcknowledged, StatusInProgress, true, newSince); err != nil {
		return nil, fmt.Errorf("workflow: digest: %w", err)
	}
	byID := map[int64]*Case{}
	for i := range cases {
		c := &cases[i]
		if !managesLocation(m, c.Location) {
			continue
		}
		byID[c.ID] = c
		row := w.digestRow(c, now)
		switch {
		case c.Open() && !now.Before(c.DeadlineAt):
			v.Overdue = append(v.Overdue, row)
		case c.Open() && row.DaysLeft <= v.WarningDays:
			v.Warning = append(v.Warning, row)
		}
		if !c.CreatedAt.Before(newSince) && (!recorded || c.CreatedAt.Before(now)) {
			v.New = append(v.New, row)
		}
		if c.Unreachable && c.Status != StatusClosed && c.Status != StatusWithdrawn {
			v.Unreachable = append(v.Unreachable, row)
		}
	}
	ms, err := w.dueMeasures(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, dm := range ms {
		c, err := caseByID(ctx, w.db, dm.CaseID)
		if err != nil {
			return nil, err
		}
		if !managesLocation(m, c.Location) {
			continue
		}
		due, _ := time.ParseInLocation(time.DateOnly, dm.DueDate, loc)
		v.Measures = append(v.Measures, MeasureRow{
			Reference: c.Reference, Location: c.Location, Handler: w.handlerName(c.Assignee),
			Description: dm.Description, Due: due, DaysOverdue: daysBetween(due, now, loc),
		})
	}
	if v.PrivacyRequests, err = w.openRequestRows(ctx, now); err != nil {
		return nil, err
	}
	for _, rows := range [][]DigestRow{v.Overdue, v.Warning, v.New, v.Unreachable} {
		slices.SortStableFunc(rows, func(a, b DigestRow) int { return a.DaysLeft - b.DaysLeft })
	}
	return v, nil
}

// Empty reports whether a digest has nothing to say.
func (v *DigestView) Empty() bool {
	return len(v.Overdue)+len(v.Warning)+len(v.Measures)+len(v.New)+len(v.Unreachable)+len(v.PrivacyRequests) == 0
}

func (w *Workflow) digestRow(c *Case, now time.Time) DigestRow {
	loc := w.set.Organisation.Location
	left := DaysLeft(*c, now, loc)
	return DigestRow{
		Reference: c.Reference, Subject: c.Subject, Location: c.Location, Handler: w.handlerName(c.Assignee),
		HandlerEmail: c.Assignee, Joint: c.Kind == KindCommittee, Safeguarding: c.Safeguarding,
		Status: c.Status, Deadline: LastDay(c.DeadlineAt, loc), DaysLeft: left, Urgent: c.Open() && left <= urgentDays, Open: c.Open(),
	}
}

func (w *Workflow) handlerName(email string) string {
	if h, ok := w.set.handler(email); ok {
		return h.Name
	}
	return email
}

func managesLocation(m Manager, location string) bool {
	return location == "" || len(m.Locations) == 0 || containsFold(m.Locations, location)
}

// previousDigest is when the manager's last digest before now was made.
func (w *Workflow) previousDigest(ctx context.Context, m Manager, now time.Time) (time.Time, error) {
	var at []time.Time
	if err := w.db.Select(ctx, &at, `SELECT created_at FROM scheduled WHERE kind = ? AND key LIKE ? AND created_at < ?
		ORDER BY created_at DESC LIMIT 1`, DueDigest, "digest/"+m.Email+"/%", now); err != nil {
		return time.Time{}, fmt.Errorf("workflow: digest: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}

// sendDigest queues a manager's digest made at the moment its scheduled
// work was recorded (the next digest's start), unless it has nothing to say.
func (w *Workflow) sendDigest(ctx context.Context, m Manager, recorded time.Time) (string, error) {
	v, err := w.buildDigest(ctx, m, recorded, true)
	if err != nil {
		return "", err
	}
	if v.Empty() {
		return "not sent: nothing to report", nil
	}
	l := Letter{Org: w.set.Organisation, To: m.Name, Digest: v}
	return "", w.queue(ctx, draft{
		kind: MsgDigest, template: MsgDigest, lang: w.set.Organisation.Language,
		to: &mail.Address{Name: m.Name, Address: m.Email}, letter: l, auto: autoGenerated, essential: true,
		// The manager's token: a reply with #dossier proves it answers us.
		token: w.tokens.managerToken(0, m.Email, w.clock.Now()),
	})
}

// RenderDigest renders a manager's digest as it would be at now, without
// recording or sending anything (complaintd digest).
func (w *Workflow) RenderDigest(ctx context.Context, m Manager, now time.Time) (v *DigestView, subject, text string, err error) {
	if v, err = w.BuildDigest(ctx, m, now); err != nil {
		return nil, "", "", err
	}
	subject, text, _, err = w.render.Render(MsgDigest, w.set.Organisation.Language, Letter{Org: w.set.Organisation, To: m.Name, Digest: v})
	return v, subject, text, err
}

// DigestOutcome says what SendDigests did for one manager.
type DigestOutcome struct {
	Manager Manager
	Sent    bool   // queued now
	Note    string // why not: nothing to report, or already done today
}

// SendDigests records and queues every manager's digest for the day of now
// at once, whatever the configured time (complaintd digest -send). A digest
// already recorded for that day is not sent again.
func (w *Workflow) SendDigests(ctx context.Context, now time.Time) ([]DigestOutcome, error) {
	var outs []DigestOutcome
	for i := range w.set.Managers {
		m := &w.set.Managers[i]
		d := Due{Key: "digest/" + m.Email + "/" + now.In(w.set.Organisation.Location).Format(time.DateOnly), Kind: DueDigest, At: now, Manager: m}
		did, err := w.doDue(ctx, d)
		if err != nil {
			return outs, err
		}
		var note sql.NullString
		if err := w.db.Get(ctx, &note, `SELECT note FROM scheduled WHERE key = ?`, d.Key); err != nil {
			return outs, fmt.Errorf("workflow: digest %s: %w", d.Key, err)
		}
		o := DigestOutcome{Manager: *m, Sent: did && note.String == "", Note: note.String}
		if !did {
			o.Note = "already done today"
			if note.String != "" {
				o.Note += " (" + note.String + ")"
			}
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// DigestDelivery is the outbox state of the latest digest to a manager:
// "sent", "pending" or "failed", with the last error of a failed attempt.
func (w *Workflow) DigestDelivery(ctx context.Context, m Manager) (state, lastError string, err error) {
	var rows []struct {
		State     string `db:"state"`
		LastError string `db:"last_error"`
	}
	if err := w.db.Select(ctx, &rows, `SELECT state, last_error FROM outbox WHERE kind = ? AND rcpt_to = ? ORDER BY id DESC LIMIT 1`,
		MsgDigest, m.Email); err != nil {
		return "", "", fmt.Errorf("workflow: digest delivery: %w", err)
	}
	if len(rows) == 0 {
		return "", "", nil
	}
	return rows[0].State, rows[0].LastError, nil
}

// Manager finds a configured manager by address.
func (w *Workflow) Manager(email string) (Manager, bool) {
	for _, m := range w.set.Managers {
		if strings.EqualFold(m.Email, email) {
			return m, true
		}
	}
	return Manager{}, false
}
