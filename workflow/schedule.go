package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds of scheduled work.
const (
	DueReminder = "reminder" // to the handlers: the term is running out
	DueProgress = "progress" // to the complainant: nobody wrote for a while
	DueDeadline = "deadline" // six weeks passed without a judgment
	DueMeasure  = "measure"  // a measure's date has come
	DueDigest   = "digest"   // a manager's overview
)

// progressQuietBeforeDeadline: no progress message this close to the
// deadline; the judgment or the deadline notice follows within it.
const progressQuietBeforeDeadline = 48 * time.Hour

// Due is one piece of scheduled work that is due and not yet done.
type Due struct {
	Key       string // unique: what, for what and for which period
	Kind      string
	At        time.Time // when it fell due
	CaseID    int64
	Reference string
	MeasureID int64
	Manager   *Manager
	Year      int    // the annual report's year, for its reminder
	What      string // a line for people, e.g. for complaintd due
}

// RunScheduler does scheduled work until ctx ends: at start, and then every
// Schedule.Interval. What is due is worked out from the database each time,
// never kept in memory, so a restart, a long downtime or a second daemon on
// the same database neither skips nor repeats anything.
func (w *Workflow) RunScheduler(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n, err := w.RunDue(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("scheduled work failed", "err", err)
		} else if n > 0 {
			w.wakeOutbox()
		}
		t.Reset(w.set.Schedule.Interval)
	}
}

// RunDue does everything due now and reports how many items it did.
func (w *Workflow) RunDue(ctx context.Context) (int, error) {
	dues, err := w.DueAt(ctx, w.clock.Now())
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, d := range dues {
		ok, err := w.doDue(ctx, d)
		if err != nil {
			// One failing item must not hold up the others; it is tried
			// again at the next run.
			errs = append(errs, fmt.Errorf("%s: %w", d.Key, err))
			continue
		}
		if ok {
			done++
		}
	}
	return done, errors.Join(errs...)
}

// doDue records an item and does it, in one transaction. The record comes
// first: when another scheduler already did it, the insert finds its key
// (waiting for that scheduler's transaction to end) and nothing is done.
func (w *Workflow) doDue(ctx context.Context, d Due) (bool, error) {
	did := false
	// The moment recorded is stored exactly (both stores keep microseconds):
	// a digest's cut-off is this moment, and the next digest starts at it.
	now := w.clock.Now().Truncate(time.Microsecond)
	err := w.db.InTx(ctx, func(ctx context.Context) error {
		var key string
		err := w.db.Get(ctx, &key, `INSERT INTO scheduled (key, kind, case_id, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING RETURNING key`, d.Key, d.Kind, nullID(d.CaseID), now)
		if isNoRows(err) {
			return nil // done already, by us or another daemon
		}
		if err != nil {
			return fmt.Errorf("workflow: schedule %s: %w", d.Key, err)
		}
		did = true
		note, err := w.perform(ctx, d, now)
		if err != nil || note == "" {
			return err
		}
		_, err = w.db.Exec(ctx, `UPDATE scheduled SET note = ? WHERE key = ?`, note, d.Key)
		return err
	})
	if did && err == nil {
		w.log.Info("scheduled work done", "key", d.Key)
	}
	return did, err
}

// perform does one item recorded at the moment recorded; a non-empty note
// says why nothing was sent.
func (w *Workflow) perform(ctx context.Context, d Due, recorded time.Time) (string, error) {
	switch d.Kind {
	case DueDigest:
		return w.sendDigest(ctx, *d.Manager, recorded)
	case DueForget:
		return w.forgetCaseless(ctx)
	}
	if d.Kind == DueReport {
		return w.sendReportReminder(ctx, *d.Manager, d.Year)
	}
	c, err := caseByID(ctx, w.db, d.CaseID)
	if err != nil {
		return "", err
	}
	switch d.Kind {
	case DueReminder, DueProgress, DueDeadline:
		if !c.Open() { // a judgment or withdrawal came in meanwhile
			return "not sent: the case is " + c.Status, nil
		}
	}
	now := w.clock.Now()
	switch d.Kind {
	case DueReminder:
		return "", w.remind(ctx, &c, d)
	case DueProgress:
		if err := addEvent(ctx, w.db, c.ID, now, EventScheduled, "", "progress message to the complainant"); err != nil {
			return "", err
		}
		return "", w.progress(ctx, &c, now)
	case DueDeadline:
		return "", w.deadlinePassed(ctx, &c)
	case DueMeasure:
		return w.measureDue(ctx, &c, d.MeasureID)
	case DueAnonymise:
		return w.anonymiseDue(ctx, &c)
	case DueReachable:
		return "", clearUnreachable(ctx, w.db, &c, "", fmt.Sprintf("mail to %s was accepted by %s and has not come back; the flag complainant-unreachable is cleared",
			c.ComplainantEmail, d.At.Add(-reachableAfter).In(w.set.Organisation.Location).Format("2006-01-02 15:04")), now)
	}
	return "", fmt.Errorf("workflow: unknown scheduled work %q", d.Kind)
}

// DueAt lists the scheduled work due at now and not yet done.
func (w *Workflow) DueAt(ctx context.Context, now time.Time) ([]Due, error) {
	loc := w.set.Organisation.Location
	var open []Case
	if err := w.db.Select(ctx, &open, `SELECT `+caseColumns+` FROM cases WHERE status IN (?, ?, ?) ORDER BY id`,
		StatusReceived, StatusAcknowledged, StatusInProgress); err != nil {
		return nil, fmt.Errorf("workflow: due: %w", err)
	}
	lastOut, err := w.lastToComplainants(ctx)
	if err != nil {
		return nil, err
	}
	var dues []Due
	for _, c := range open {
		received := c.ReceivedAt.In(loc)
		// Only the latest reminder that has come, and none once the term
		// has passed (the deadline notice says more): after a downtime the
		// handlers get one current message, not a backlog of stale ones.
		latest := 0
		for _, days := range w.set.Schedule.ReminderDays {
			if !now.Before(received.AddDate(0, 0, days)) && days > latest {
				latest = days
			}
		}
		if latest > 0 && now.Before(c.DeadlineAt) {
			dues = append(dues, Due{Key: fmt.Sprintf("reminder/%d/%d", c.ID, latest), Kind: DueReminder, At: received.AddDate(0, 0, latest),
				CaseID: c.ID, Reference: c.Reference, What: fmt.Sprintf("reminder to the case's handler(s), %d days after receipt", latest)})
		}
		last := received
		if t, ok := lastOut[c.ID]; ok && t.After(last) {
			last = t.In(loc)
		}
		// No progress message in the last two days before the deadline
		// (it would promise a date about to pass), nor once the deadline
		// passed until the deadline notice went out: that notice is the
		// message the parent needs, and it restarts the count.
		at := last.AddDate(0, 0, w.set.Organisation.ProgressDays)
		// Judged by now, not by when the message fell due: after a downtime
		// a message due long ago would otherwise go out on the eve of the
		// deadline all the same.
		nearDeadline := now.Before(c.DeadlineAt) && !now.Before(c.DeadlineAt.Add(-progressQuietBeforeDeadline))
		awaitingNotice := !now.Before(c.DeadlineAt) && last.Before(c.DeadlineAt)
		if !now.Before(at) && !nearDeadline && !awaitingNotice {
			dues = append(dues, Due{Key: fmt.Sprintf("progress/%d/%s", c.ID, at.Format(time.DateOnly)), Kind: DueProgress, At: at,
				CaseID: c.ID, Reference: c.Reference,
				What: fmt.Sprintf("progress message to the complainant: nothing sent to them since %s", last.Format("2006-01-02 15:04"))})
		}
		if !now.Before(c.DeadlineAt) {
			dues = append(dues, Due{Key: fmt.Sprintf("deadline/%d", c.ID), Kind: DueDeadline, At: c.DeadlineAt.In(loc),
				CaseID: c.ID, Reference: c.Reference, What: "deadline passed without a judgment: notice to complainant, handlers and managers"})
		}
	}
	ms, err := w.dueMeasures(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		due, _ := time.ParseInLocation(time.DateOnly, m.DueDate, loc)
		// The date is in the key: a measure given a new date is due again.
		dues = append(dues, Due{Key: fmt.Sprintf("measure/%d/%s", m.ID, m.DueDate), Kind: DueMeasure, At: due, CaseID: m.CaseID,
			Reference: m.Reference, MeasureID: m.ID, What: "measure due: " + m.Description})
	}
	reach, err := w.reachableDues(ctx, now)
	if err != nil {
		return nil, err
	}
	dues = append(dues, reach...)
	anon, err := w.retentionDues(ctx, now)
	if err != nil {
		return nil, err
	}
	dues = append(dues, anon...)
	forget, err := w.forgetDues(ctx, now)
	if err != nil {
		return nil, err
	}
	dues = append(dues, forget...)
	for i := range w.set.Managers {
		m := &w.set.Managers[i]
		if at, ok := w.digestTime(now); ok {
			dues = append(dues, Due{Key: "digest/" + m.Email + "/" + at.Format(time.DateOnly), Kind: DueDigest, At: at,
				Manager: m, What: "digest to " + m.Name + " <" + m.Email + ">"})
		}
	}
	reports, err := w.reportDues(ctx, now)
	if err != nil {
		return nil, err
	}
	dues = append(dues, reports...)
	dues, err = w.notDone(ctx, dues)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(dues, func(a, b Due) int { return a.At.Compare(b.At) })
	return dues, nil
}

// digestTime is the digest moment due at now, if any: today's once it has
// come. A digest missed during a downtime is caught up only when the next
// one is more than a day away (a weekly digest); a missed daily one is
// simply replaced by the next.
func (w *Workflow) digestTime(now time.Time) (time.Time, bool) {
	s := w.set.Schedule
	local := now.In(w.set.Organisation.Location)
	moment := func(daysAgo int) (time.Time, bool) {
		y, mo, d := local.Date()
		at := time.Date(y, mo, d-daysAgo, s.DigestHour, s.DigestMinute, 0, 0, local.Location())
		return at, len(s.DigestDays) == 0 || slices.Contains(s.DigestDays, at.Weekday())
	}
	var last time.Time
	for ago := 0; ago <= 7 && last.IsZero(); ago++ {
		if at, ok := moment(ago); ok && !now.Before(at) {
			last = at
		}
	}
	if last.IsZero() {
		return time.Time{}, false
	}
	if y, mo, d := last.Date(); y == local.Year() && mo == local.Month() && d == local.Day() {
		return last, true
	}
	for ahead := 0; ahead >= -8; ahead-- { // negative: days from now
		if at, ok := moment(ahead); ok && at.After(now) {
			return last, at.Sub(now) > 24*time.Hour
		}
	}
	return last, true
}

// notDone drops the items already recorded.
func (w *Workflow) notDone(ctx context.Context, dues []Due) ([]Due, error) {
	done := map[string]bool{}
	for start := 0; start < len(dues); start += 500 {
		chunk := dues[start:min(start+500, len(dues))]
		args := make([]any, len(chunk))
		for i, d := range chunk {
			args[i] = d.Key
		}
		var keys []string
		if err := w.db.Select(ctx, &keys, `SELECT key FROM scheduled WHERE key IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return nil, fmt.Errorf("workflow: due: %w", err)
		}
		for _, k := range keys {
			done[k] = true
		}
	}
	return slices.DeleteFunc(dues, func(d Due) bool { return done[d.Key] }), nil
}

// lastToComplainants is, per open case, when mail last went to its
// complainant (mail held back or refused does not count).
func (w *Workflow) lastToComplainants(ctx context.Context) (map[int64]time.Time, error) {
	var rows []struct {
		CaseID    int64     `db:"case_id"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := w.db.Select(ctx, &rows, `SELECT o.case_id, o.created_at FROM outbox o JOIN cases c ON c.id = o.case_id
		WHERE o.rcpt_to = c.complainant_email AND o.state NOT IN (?, ?) AND c.status IN (?, ?, ?)`,
		OutboxHeld, OutboxFailed, StatusReceived, StatusAcknowledged, StatusInProgress); err != nil {
		return nil, fmt.Errorf("workflow: due: %w", err)
	}
	last := map[int64]time.Time{}
	for _, r := range rows {
		if r.CreatedAt.After(last[r.CaseID]) {
			last[r.CaseID] = r.CreatedAt
		}
	}
	return last, nil
}

// dueMeasure is a measure not done whose date has come, on a decided case.
type dueMeasure struct {
	Measure
	Reference string `db:"reference"`
}

func (w *Workflow) dueMeasures(ctx context.Context, now time.Time) ([]dueMeasure, error) {
	var ms []dueMeasure
	today := now.In(w.set.Organisation.Location).Format(time.DateOnly)
	if err := w.db.Select(ctx, &ms, `SELECT m.id, m.case_id, m.description, m.due_date, m.created_at, m.done_at, c.reference
		FROM measures m JOIN cases c ON c.id = m.case_id
		WHERE m.done_at IS NULL AND c.status = ? AND m.due_date <= ? ORDER BY m.due_date, m.id`, StatusDecided, today); err != nil {
		return nil, fmt.Errorf("workflow: due measures: %w", err)
	}
	return ms, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// caseManagers are the managers of a case's location (those without
// locations manage all; a case without a location concerns them all).
func (w *Workflow) caseManagers(c *Case) []Manager {
	var out []Manager
	for _, m := range w.set.Managers {
		if c.Location == "" || len(m.Locations) == 0 || containsFold(m.Locations, c.Location) {
			out = append(out, m)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
