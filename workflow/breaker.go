package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// holdBack applies the loop breaker to a batch of drafts: for each, the
// reason it must be held back, or "". Only automatic mail counts and is held;
// mail a person wrote always goes. Handlers are exempt from the per-recipient
// cap (they may rightly get many notifications about many cases) but not
// from the per-case one. One query per batch.
func (w *Workflow) holdBack(ctx context.Context, drafts []draft, now time.Time) ([]string, error) {
	held := make([]string, len(drafts))
	b := w.set.Breaker
	since := now.Add(-b.Window)
	var selects []string
	var args []any
	var caseID int64
	for _, d := range drafts {
		if d.auto != "" && d.c != nil {
			caseID = d.c.ID
			break
		}
	}
	selects = append(selects, `0 AS i, (SELECT COUNT(*) FROM outbox WHERE case_id = ? AND created_at > ? AND automatic = ?) AS n`)
	args = append(args, caseID, since, true)
	var outside []string
	for _, d := range drafts {
		if rcpt := strings.ToLower(d.to.Address); d.auto != "" && !w.isHandler(rcpt) {
			outside = append(outside, rcpt)
			selects = append(selects, fmt.Sprintf(`%d, (SELECT COUNT(*) FROM outbox WHERE rcpt_to = ? AND created_at > ? AND automatic = ?)`, len(outside)))
			args = append(args, rcpt, since, true)
		}
	}
	if caseID == 0 && len(outside) == 0 {
		return held, nil
	}
	var counts []struct {
		I int   `db:"i"`
		N int64 `db:"n"`
	}
	if err := w.db.Select(ctx, &counts, `SELECT `+strings.Join(selects, ` UNION ALL SELECT `), args...); err != nil {
		return nil, fmt.Errorf("workflow: loop breaker: %w", err)
	}
	var perCase int64
	perRcpt := map[string]int64{}
	for _, c := range counts {
		if c.I == 0 {
			perCase = c.N
		} else {
			perRcpt[outside[c.I-1]] = c.N
		}
	}
	for i, d := range drafts {
		if d.auto == "" || d.essential {
			continue
		}
		rcpt := strings.ToLower(d.to.Address)
		switch {
		case d.c != nil && perCase >= int64(b.PerCase):
			held[i] = fmt.Sprintf("held back by the loop breaker: %d automatic messages about %s in %s", perCase, d.c.Reference, b.Window)
		case !w.isHandler(rcpt) && perRcpt[rcpt] >= int64(b.PerRecipient):
			held[i] = fmt.Sprintf("held back by the loop breaker: %d automatic messages to %s in %s", perRcpt[rcpt], rcpt, b.Window)
		}
	}
	return held, nil
}
