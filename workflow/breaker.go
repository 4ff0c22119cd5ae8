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
// from the per-case one. One query per batch, none in a group that read
// the counts already (batch_prefetch.go).
func (w *Workflow) holdBack(ctx context.Context, drafts []draft, now time.Time) ([]string, error) {
	held := make([]string, len(drafts))
	b := w.set.Breaker
	since := now.Add(-b.Window)
	var caseID int64
	for _, d := range drafts {
		if d.auto != "" && d.c != nil {
			caseID = d.c.ID
			break
		}
	}
	var outside []string
	for _, d := range drafts {
		if rcpt := strings.ToLower(d.to.Address); d.auto != "" && !w.isHandler(rcpt) {
			outside = append(outside, rcpt)
		}
	}
	// A group counts what it queues itself (batch_prefetch.go).
	defer noteQueued(ctx, drafts, now)
	if caseID == 0 && len(outside) == 0 {
		return held, nil
	}
	perCase, perRcpt, err := w.breakerCounts(ctx, caseID, outside, since)
	if err != nil {
		return nil, err
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
