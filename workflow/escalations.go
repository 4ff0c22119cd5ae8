package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// External escalations (complaint-law.md R14): the parent asked the
// Klachtenloket Kinderopvang for help or filed at the Geschillencommissie.
// The annual report counts them with their outcomes (Wko art. 1.57b(4)(e)),
// and retention keeps a case with an open procedure.

// Escalation bodies, as stored in escalations.body.
const (
	BodyKlachtenloket       = "klachtenloket"
	BodyGeschillencommissie = "geschillencommissie"
)

// Outcomes of an escalation, as stored in escalations.outcome.
const (
	OutcomeUpheld     = "gegrond"
	OutcomeNotUpheld  = "ongegrond"
	OutcomeSettlement = "schikking"
)

// EscalationEntry is one row of escalations.
type EscalationEntry struct {
	ID        int64     `db:"id"`
	CaseID    int64     `db:"case_id"`
	Body      string    `db:"body"`
	FiledOn   string    `db:"filed_on"` // YYYY-MM-DD
	Reference string    `db:"reference"`
	Note      string    `db:"note"`
	Outcome   string    `db:"outcome"`    // "" while open
	OutcomeOn string    `db:"outcome_on"` // YYYY-MM-DD, "" while open
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// plannedEscalation is a checked #klachtenloket or #geschillencommissie line.
type plannedEscalation struct {
	body, filed, reference, note string
}

// plannedOutcome is a checked #uitspraak line.
type plannedOutcome struct {
	e       EscalationEntry
	outcome string
	on      string
}

// parseOutcome reads the word after #uitspraak.
func parseOutcome(s string) (string, bool) {
	switch dashed(s) {
	case "gegrond", "upheld":
		return OutcomeUpheld, true
	case "ongegrond", "niet-gegrond", "not-upheld", "rejected":
		return OutcomeNotUpheld, true
	case "schikking", "settlement", "settled", "geschikt":
		return OutcomeSettlement, true
	}
	return "", false
}

// pastDate reads a YYYY-MM-DD date that is not after today: an escalation
// or a ruling that already happened. why is the refusal, "" when ok.
func (w *Workflow) pastDate(s string, today time.Time) (string, string) {
	d, err := time.ParseInLocation(time.DateOnly, s, today.Location())
	switch {
	case err != nil:
		return "", w.phrase("refuse.escalation_date", s, today.Format(time.DateOnly))
	case d.After(today):
		return "", w.phrase("refuse.escalation_future", s)
	}
	return d.Format(time.DateOnly), ""
}

// looksLikeReference reports whether a word is a case number of the
// Geschillencommissie (e.g. 2026-123456 or 123456/KO): digits, with
// letters, '-', '/' or '.' at most.
func looksLikeReference(s string) bool {
	digit := false
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r), r == '-', r == '/', r == '.':
		default:
			return false
		}
	}
	return digit
}

// planEscalation checks `#klachtenloket DATUM [tekst]` and
// `#geschillencommissie DATUM [zaaknummer] [tekst]`.
func (w *Workflow) planEscalation(cmd command, today time.Time) (plannedEscalation, string) {
	body := BodyKlachtenloket
	if cmd.name == cmdGeschillen {
		body = BodyGeschillencommissie
	}
	date, rest, _ := strings.Cut(cmd.arg, " ")
	if date == "" {
		return plannedEscalation{}, w.phrase("refuse.escalation_"+body, today.Format(time.DateOnly))
	}
	filed, why := w.pastDate(date, today)
	if why != "" {
		return plannedEscalation{}, why
	}
	e := plannedEscalation{body: body, filed: filed, note: strings.TrimSpace(rest)}
	if body == BodyGeschillencommissie {
		if ref, note, _ := strings.Cut(e.note, " "); looksLikeReference(ref) {
			e.reference, e.note = ref, strings.TrimSpace(note)
		}
	}
	return e, ""
}

// planOutcome checks `#uitspraak gegrond|ongegrond|schikking DATUM`: the
// outcome of the open Geschillencommissie procedure, else of the open
// Klachtenloket contact.
func (w *Workflow) planOutcome(cmd command, open []EscalationEntry, today time.Time) (plannedOutcome, string) {
	word, date, _ := strings.Cut(cmd.arg, " ")
	outcome, ok := parseOutcome(word)
	if !ok {
		return plannedOutcome{}, w.phrase("refuse.outcome", word, today.Format(time.DateOnly))
	}
	on, why := w.pastDate(strings.TrimSpace(date), today)
	if why != "" {
		return plannedOutcome{}, why
	}
	var pick *EscalationEntry
	for i := range open {
		e := &open[i]
		if e.Outcome != "" {
			continue
		}
		if pick == nil || e.Body == BodyGeschillencommissie && pick.Body != BodyGeschillencommissie ||
			e.Body == pick.Body && e.ID > pick.ID {
			pick = e
		}
	}
	if pick == nil {
		return plannedOutcome{}, w.phrase("refuse.outcome_none")
	}
	if on < pick.FiledOn {
		return plannedOutcome{}, w.phrase("refuse.outcome_before", on, pick.FiledOn)
	}
	return plannedOutcome{e: *pick, outcome: outcome, on: on}, ""
}

// caseEscalations are a case's escalations, oldest first.
func caseEscalations(ctx context.Context, db Database, caseID int64) ([]EscalationEntry, error) {
	var out []EscalationEntry
	if err := db.Select(ctx, &out, `SELECT id, case_id, body, filed_on, reference, note, outcome, outcome_on,
		created_at, updated_at FROM escalations WHERE case_id = ? ORDER BY id`, caseID); err != nil {
		return nil, fmt.Errorf("workflow: escalations of case %d: %w", caseID, err)
	}
	return out, nil
}

// addEscalation records an escalation and puts it on the timeline.
func (w *Workflow) addEscalation(ctx context.Context, c *Case, e plannedEscalation, actor string, now time.Time) error {
	if _, err := w.db.Exec(ctx, `INSERT INTO escalations (case_id, body, filed_on, reference, note, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, e.body, e.filed, e.reference, e.note, now, now); err != nil {
		return fmt.Errorf("workflow: escalation of %s: %w", c.Reference, err)
	}
	detail := e.body + " since " + e.filed
	if e.reference != "" {
		detail += ", case number " + e.reference
	}
	if e.note != "" {
		detail += ": " + e.note
	}
	return addEvent(ctx, w.db, c.ID, now, EventEscalation, actor, detail)
}

// setOutcome records the outcome of an escalation.
func (w *Workflow) setOutcome(ctx context.Context, c *Case, o plannedOutcome, actor string, now time.Time) error {
	if _, err := w.db.Exec(ctx, `UPDATE escalations SET outcome = ?, outcome_on = ?, updated_at = ? WHERE id = ?`,
		o.outcome, o.on, now, o.e.ID); err != nil {
		return fmt.Errorf("workflow: outcome of escalation %d: %w", o.e.ID, err)
	}
	return addEvent(ctx, w.db, c.ID, now, EventEscalation, actor,
		fmt.Sprintf("%s (since %s): outcome %s on %s", o.e.Body, o.e.FiledOn, o.outcome, o.on))
}
