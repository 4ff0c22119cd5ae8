package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Independence of the handler (complaint-law.md 2.6, R12): nobody handles
// or judges a complaint about themselves. #betreft records who a complaint
// is about; a configured handler named there cannot be assigned
// (#toewijzen) nor judge it (#oordeel, #akkoord).

// Concern is a person a complaint is about.
type Concern struct {
	Name      string    `db:"name"`
	Email     string    `db:"email"` // a configured handler's address, else ""
	CreatedBy string    `db:"created_by"`
	CreatedAt time.Time `db:"created_at"`
}

// caseConcerns lists who a case is about, in the order recorded.
func caseConcerns(ctx context.Context, db Database, caseID int64) ([]Concern, error) {
	var out []Concern
	if err := db.Select(ctx, &out, `SELECT name, email, created_by, created_at FROM case_concerns
		WHERE case_id = ? ORDER BY created_at, name`, caseID); err != nil {
		return nil, fmt.Errorf("workflow: concerns of case %d: %w", caseID, err)
	}
	return out, nil
}

// concerned reports whether the handler with this address is named.
func concerned(cs []Concern, email string) bool {
	for _, c := range cs {
		if c.Email != "" && strings.EqualFold(c.Email, email) {
			return true
		}
	}
	return false
}

// concernFor is who a #betreft line names: a configured handler (by
// address or name), or anyone else as written.
func (w *Workflow) concernFor(arg string) (Concern, bool) {
	arg = strings.Join(strings.Fields(arg), " ")
	if arg == "" {
		return Concern{}, false
	}
	if h, ok := w.findHandler(arg); ok {
		return Concern{Name: h.Name, Email: h.Email}, true
	}
	return Concern{Name: strings.Trim(arg, "<>")}, true
}

// addConcern records who a case is about; naming someone again changes nothing.
func addConcern(ctx context.Context, db Database, caseID int64, cn Concern, actor string, now time.Time) error {
	if _, err := db.Exec(ctx, `INSERT INTO case_concerns (case_id, name, email, created_by, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, name) DO NOTHING`, caseID, cn.Name, cn.Email, actor, now); err != nil {
		return fmt.Errorf("workflow: concern of case %d: %w", caseID, err)
	}
	detail := cn.Name
	if cn.Email != "" {
		detail += " <" + cn.Email + ">, a handler: not to be assigned to this case nor to judge it"
	}
	return addEvent(ctx, db, caseID, now, EventConcerns, actor, detail)
}

// handlersNamed finds the configured handlers a parent's text names: by
// address, by full name, or by a first name no other handler shares (a
// parent writes "juf Anna"). It only suggests: a handler decides with
// #betreft.
func (w *Workflow) handlersNamed(text string) []Handler {
	if len(text) > maxQuotedText {
		text = text[:maxQuotedText]
	}
	lower := strings.ToLower(text)
	words := spacedWords(lower)
	has := func(phrase string) bool {
		p := strings.Join(strings.Fields(strings.ToLower(phrase)), " ")
		return p != "" && strings.Contains(words, " "+p+" ")
	}
	first := map[string]int{}
	for _, h := range w.set.Handlers {
		if f := strings.Fields(h.Name); len(f) > 1 {
			first[strings.ToLower(f[0])]++
		}
	}
	var out []Handler
	for _, h := range w.set.Handlers {
		f := strings.Fields(h.Name)
		byFirst := len(f) > 1 && len([]rune(f[0])) >= 3 && first[strings.ToLower(f[0])] == 1 && has(f[0])
		if strings.Contains(lower, strings.ToLower(h.Email)) || (len(f) > 1 && has(h.Name)) || byFirst {
			out = append(out, h)
		}
	}
	return out
}

// spacedWords is " w1 w2 … wn ": the words of s (runs of letters, digits,
// hyphens and apostrophes), each between single spaces, so that a phrase
// is found as " phrase ". Built as one string: this runs on every new
// complaint.
func spacedWords(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	start := -1 // where the current word began
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '\''
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			b.WriteString(s[start:i])
			b.WriteByte(' ')
			start = -1
		}
	}
	if start >= 0 {
		b.WriteString(s[start:])
		b.WriteByte(' ')
	}
	if b.Len() == 1 {
		b.WriteByte(' ')
	}
	return b.String()
}
