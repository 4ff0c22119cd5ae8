package workflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// What a complaint is about (#categorie): the annual report counts
// complaints per location by their nature (Wko art. 1.57b(4)(c)), so every
// judged case names at least one category from a fixed list.

// Report is the configuration of the record kept for the annual report.
type Report struct {
	// Categories a handler may give a case (#categorie); default
	// DefaultCategories.
	Categories []string
}

// DefaultCategories are the kinds of complaint the sector usually reports
// (a new slice each time: no package-level mutable state).
func DefaultCategories() []string {
	return []string{
		"pedagogisch handelen", "veiligheid en gezondheid", "communicatie en informatie", "personeel",
		"plaatsing en contract", "financieel en facturen", "opvangtijden en planning", "voeding",
		"accommodatie", "overig",
	}
}

// fill sets the default categories and checks configured ones.
func (r *Report) fill() []error {
	if len(r.Categories) == 0 {
		r.Categories = DefaultCategories()
		return nil
	}
	var errs []error
	seen := map[string]bool{}
	for i, c := range r.Categories {
		c = strings.Join(strings.Fields(c), " ")
		r.Categories[i] = c
		switch {
		case c == "":
			errs = append(errs, fmt.Errorf("report.categories[%d] is empty", i))
		case seen[strings.ToLower(c)]:
			errs = append(errs, fmt.Errorf("report.categories: %q is listed twice", c))
		}
		seen[strings.ToLower(c)] = true
	}
	return errs
}

// errNoCategory: a name matches no category, or the start of several.
var errNoCategory = errors.New("workflow: no such category")

// findCategory matches what a handler wrote to one configured category:
// case and spacing do not matter, and the unique start of a name will do
// ("pedagog" for "pedagogisch handelen").
func findCategory(list []string, s string) (string, error) {
	want := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if want == "" {
		return "", errNoCategory
	}
	var started []string
	for _, c := range list {
		lc := strings.ToLower(c)
		if lc == want {
			return c, nil
		}
		if strings.HasPrefix(lc, want) {
			started = append(started, c)
		}
	}
	if len(started) == 1 {
		return started[0], nil
	}
	return "", errNoCategory
}

// caseCategories are the categories recorded for a case, in name order.
func caseCategories(ctx context.Context, db Database, caseID int64) ([]string, error) {
	var out []string
	if err := db.Select(ctx, &out, `SELECT category FROM case_categories WHERE case_id = ? ORDER BY category`, caseID); err != nil {
		return nil, fmt.Errorf("workflow: categories of case %d: %w", caseID, err)
	}
	return out, nil
}

// addCategory records one category for a case; giving it again changes nothing.
func addCategory(ctx context.Context, db Database, caseID int64, category, actor string, now time.Time) error {
	if _, err := db.Exec(ctx, `INSERT INTO case_categories (case_id, category, created_at) VALUES (?, ?, ?)
		ON CONFLICT (case_id, category) DO NOTHING`, caseID, category, now); err != nil {
		return fmt.Errorf("workflow: category of case %d: %w", caseID, err)
	}
	return addEvent(ctx, db, caseID, now, EventCategory, actor, category)
}
