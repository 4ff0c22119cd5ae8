package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DueAnonymise is scheduled work: a case's retention period is over and
// nothing holds it, so its personal data is removed (complaint-law.md
// section 6, R20).
const DueAnonymise = "anonymise"

// Privacy is how long identifiable complaint files are kept.
type Privacy struct {
	// AnonymiseAfterMonths counts from the closing or withdrawal of a case
	// (default 24). The case is kept longer while a hold applies.
	AnonymiseAfterMonths int
}

// ErrAnonymised is returned when asking for content retention or erasure
// removed.
var ErrAnonymised = errors.New("workflow: anonymised")

// Retention is where a case stands on its way to anonymisation.
type Retention struct {
	CaseID    int64
	Reference string
	Status    string
	// Due is the earliest moment the case may be anonymised by the clock:
	// the retention period after closing, and the Geschillencommissie's
	// filing window after the judgment. Zero while the case is open.
	Due time.Time
	// Holds are what keeps the case identifiable regardless of the clock:
	// the case is open, measures are not done, a procedure or the
	// safeguarding flag is open, the annual report is not confirmed sent.
	// Erasable tells which of them also stop an erasure.
	Holds []Hold
}

// Hold is one reason a case is not anonymised yet.
type Hold struct {
	Reason string
	// StopsErasure: the law or the procedure needs the file as it is even
	// when the person asks to be forgotten (an open case, an open
	// procedure, a safeguarding matter, measures still to be done).
	StopsErasure bool
}

// Ready reports whether the case may be anonymised at now.
func (r Retention) Ready(now time.Time) bool {
	return len(r.Holds) == 0 && !r.Due.IsZero() && !now.Before(r.Due)
}

// Waits says in words why a case is not anonymised at now ("" when it is due).
func (r Retention) Waits(now time.Time, loc *time.Location) string {
	var why []string
	if !r.Due.IsZero() && now.Before(r.Due) {
		why = append(why, "kept until "+r.Due.In(loc).Format(time.DateOnly))
	}
	for _, h := range r.Holds {
		why = append(why, h.Reason)
	}
	return strings.Join(why, "; ")
}

// erasureRefusal is why an erasure request cannot be carried out for the
// case now ("" when it can).
func (r Retention) erasureRefusal() string {
	var why []string
	for _, h := range r.Holds {
		if h.StopsErasure {
			why = append(why, h.Reason)
		}
	}
	return strings.Join(why, "; ")
}

// RetentionOf works out where every case not yet anonymised stands, the
// first due first; with ids, only those cases.
func (w *Workflow) RetentionOf(ctx context.Context, ids ...int64) ([]Retention, error) {
	return w.retention(ctx, false, ids)
}

// retention is RetentionOf; endedOnly looks at closed and withdrawn cases
// only (the scheduler's question, asked every round: open cases are never
// due).
func (w *Workflow) retention(ctx context.Context, endedOnly bool, ids []int64) ([]Retention, error) {
	q := `SELECT ` + caseColumns + ` FROM cases WHERE anonymised_at IS NULL`
	var args []any
	if endedOnly {
		q += ` AND status IN (?, ?)`
		args = append(args, StatusClosed, StatusWithdrawn)
	}
	if len(ids) > 0 {
		q += ` AND id IN (` + placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	var cases []Case
	if err := w.db.Select(ctx, &cases, q+` ORDER BY id`, args...); err != nil {
		return nil, fmt.Errorf("workflow: retention: %w", err)
	}
	h, err := w.holdFacts(ctx)
	if err != nil {
		return nil, err
	}
	loc := w.set.Organisation.Location
	out := make([]Retention, 0, len(cases))
	for _, c := range cases {
		r := Retention{CaseID: c.ID, Reference: c.Reference, Status: c.Status}
		hold := func(stops bool, format string, args ...any) {
			r.Holds = append(r.Holds, Hold{Reason: fmt.Sprintf(format, args...), StopsErasure: stops})
		}
		switch {
		case c.Open():
			hold(true, "the case is open (%s)", c.Status)
		case c.Status == StatusDecided:
			hold(true, "judged; the case closes when its measures are done")
		}
		if n := h.openMeasures[c.ID]; n > 0 {
			hold(true, "%d measure(s) not reported done", n)
		}
		for _, body := range h.openEscalations[c.ID] {
			hold(true, "a procedure at the %s is open (no outcome recorded)", escalationName(body))
		}
		if c.Safeguarding {
			hold(true, "the safeguarding flag is set")
		}
		if h.unsent[c.ID] > 0 {
			hold(true, "mail of the case is still being sent")
		}
		// The report of the year the complaint came in counts it; the
		// report of the year an escalation was filed counts that.
		years := []int{c.ReceivedAt.In(loc).Year()}
		for _, y := range h.escalationYears[c.ID] {
			if !slices.Contains(years, y) {
				years = append(years, y)
			}
		}
		for _, year := range years {
			if !h.reported[reportKey{year, ""}] && !h.reported[reportKey{year, strings.ToLower(c.Location)}] {
				hold(false, "the annual report %d is not confirmed sent to the GGD (#verslag-verzonden)", year)
			}
		}
		if !c.ClosedAt.Valid && !c.Open() && c.Status != StatusDecided {
			hold(false, "no closing date is recorded (set it, or erase the case on request)")
		}
		if c.ClosedAt.Valid && !c.Open() && c.Status != StatusDecided {
			closed := c.ClosedAt.Time.In(loc)
			judged := closed
			if c.DecidedAt.Valid {
				judged = c.DecidedAt.Time.In(loc)
			}
			r.Due = closed.AddDate(0, w.set.Privacy.AnonymiseAfterMonths, 0)
			// A parent may go to the Geschillencommissie within twelve
			// months of the judgment: the file must still be there.
			if gck := judged.AddDate(0, w.set.Escalation.WindowMonths, 0); gck.After(r.Due) {
				r.Due = gck
			}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Retention) int {
		switch {
		case a.Due.IsZero() != b.Due.IsZero():
			if a.Due.IsZero() {
				return 1
			}
			return -1
		default:
			return a.Due.Compare(b.Due)
		}
	})
	return out, nil
}

func escalationName(body string) string {
	switch body {
	case "klachtenloket":
		return "Klachtenloket Kinderopvang"
	case "geschillencommissie":
		return "Geschillencommissie Kinderopvang"
	}
	return body
}

type reportKey struct {
	year     int
	location string
}

// holdFacts are the facts retention looks at, for all cases at once.
type holdFacts struct {
	openMeasures    map[int64]int
	openEscalations map[int64][]string
	escalationYears map[int64][]int
	unsent          map[int64]int
	reported        map[reportKey]bool
}

func (w *Workflow) holdFacts(ctx context.Context) (holdFacts, error) {
	h := holdFacts{openMeasures: map[int64]int{}, openEscalations: map[int64][]string{}, escalationYears: map[int64][]int{}, unsent: map[int64]int{}, reported: map[reportKey]bool{}}
	type count struct {
		CaseID int64 `db:"case_id"`
		N      int   `db:"n"`
	}
	var counts []count
	if err := w.db.Select(ctx, &counts, `SELECT case_id, COUNT(*) AS n FROM measures WHERE done_at IS NULL GROUP BY case_id`); err != nil {
		return h, fmt.Errorf("workflow: retention: %w", err)
	}
	for _, c := range counts {
		h.openMeasures[c.CaseID] = c.N
	}
	counts = counts[:0]
	if err := w.db.Select(ctx, &counts, `SELECT case_id, COUNT(*) AS n FROM outbox WHERE case_id IS NOT NULL AND state IN (?, ?)
		GROUP BY case_id`, OutboxQueued, OutboxSending); err != nil {
		return h, fmt.Errorf("workflow: retention: %w", err)
	}
	for _, c := range counts {
		h.unsent[c.CaseID] = c.N
	}
	var escs []struct {
		CaseID  int64  `db:"case_id"`
		Body    string `db:"body"`
		FiledOn string `db:"filed_on"`
		Outcome string `db:"outcome"`
	}
	if err := w.db.Select(ctx, &escs, `SELECT case_id, body, filed_on, outcome FROM escalations ORDER BY filed_on, id`); err != nil {
		return h, fmt.Errorf("workflow: retention: %w", err)
	}
	for _, e := range escs {
		if e.Outcome == "" {
			h.openEscalations[e.CaseID] = append(h.openEscalations[e.CaseID], e.Body)
		}
		if filed, err := time.Parse(time.DateOnly, e.FiledOn); err == nil {
			h.escalationYears[e.CaseID] = append(h.escalationYears[e.CaseID], filed.Year())
		}
	}
	var reps []struct {
		Year     int    `db:"year"`
		Location string `db:"location"`
	}
	if err := w.db.Select(ctx, &reps, `SELECT year, location FROM report_confirmations`); err != nil {
		return h, fmt.Errorf("workflow: retention: %w", err)
	}
	for _, r := range reps {
		h.reported[reportKey{r.Year, strings.ToLower(r.Location)}] = true
	}
	return h, nil
}

// retentionDues are the cases to anonymise at now, as scheduled work.
func (w *Workflow) retentionDues(ctx context.Context, now time.Time) ([]Due, error) {
	rs, err := w.retention(ctx, true, nil)
	if err != nil {
		return nil, err
	}
	var dues []Due
	for _, r := range rs {
		if r.Ready(now) {
			dues = append(dues, Due{Key: fmt.Sprintf("anonymise/%d", r.CaseID), Kind: DueAnonymise, At: r.Due.In(w.set.Organisation.Location),
				CaseID: r.CaseID, Reference: r.Reference,
				What: fmt.Sprintf("anonymise: the retention period (%d months) is over and nothing holds the case", w.set.Privacy.AnonymiseAfterMonths)})
		}
	}
	return dues, nil
}

// errHeldNow: a hold came up between listing a case as due and doing it;
// the scheduled work is rolled back and looked at again next round.
var errHeldNow = errors.New("workflow: anonymise: the case is held")

// anonymiseDue is the scheduled anonymisation of one case, in the
// scheduler's transaction. The holds are looked at again first.
func (w *Workflow) anonymiseDue(ctx context.Context, c *Case) (string, error) {
	rs, err := w.RetentionOf(ctx, c.ID)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "not done: anonymised already", nil
	}
	if now := w.clock.Now(); !rs[0].Ready(now) {
		return "", fmt.Errorf("%w: %s", errHeldNow, rs[0].Waits(now, w.set.Organisation.Location))
	}
	_, err = w.anonymise(ctx, c, ReasonRetention, "")
	return "", err
}
