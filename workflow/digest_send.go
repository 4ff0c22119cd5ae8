package workflow

import (
	"context"
	"time"
)

// What `complaintd digest` does, kept here rather than in cmd: the loops
// over managers and over the outbox are the domain's, the command only
// prints.

// DigestResult is what became of one manager's digest sent on request:
// SendDigests' outcome and, when it was queued, the state of its outbox
// entry after the sending (OutboxSent, OutboxQueued, OutboxHeld, ...).
type DigestResult struct {
	DigestOutcome
	State     string
	LastError string
}

// Undelivered reports whether the digest was queued and will not reach the
// manager without help: failed for good, bounced, or held back.
func (r DigestResult) Undelivered() bool {
	if !r.Sent {
		return false
	}
	switch r.State {
	case OutboxFailed, OutboxBounced, OutboxHeld:
		return true
	}
	return false
}

// SendDigestsNow records and queues every manager's digest for the day of
// now (SendDigests), sends everything due when deliver is set (false: a
// running daemon sends them), and reports each digest's outbox state.
func (w *Workflow) SendDigestsNow(ctx context.Context, now time.Time, deliver bool) ([]DigestResult, error) {
	outs, err := w.SendDigests(ctx, now)
	if err != nil {
		return nil, err
	}
	for deliver {
		tried, err := w.DeliverDue(ctx)
		if err != nil {
			return nil, err
		}
		if tried == 0 {
			break
		}
	}
	results := make([]DigestResult, len(outs))
	for i, o := range outs {
		results[i].DigestOutcome = o
		if o.Sent {
			if results[i].State, results[i].LastError, err = w.DigestDelivery(ctx, o.Manager); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// DigestPreview is a manager's digest as it would be at a moment.
type DigestPreview struct {
	Manager       Manager
	Empty         bool // nothing to report: no digest would be sent
	Subject, Text string
	Refs          []string // the cases it names, for the access log
}

// PreviewDigests renders every configured manager's digest as it would be
// at now, in the configured order, recording and sending nothing.
func (w *Workflow) PreviewDigests(ctx context.Context, now time.Time) ([]DigestPreview, error) {
	var out []DigestPreview
	for _, m := range w.set.Managers {
		v, subject, text, err := w.RenderDigest(ctx, m, now)
		if err != nil {
			return nil, err
		}
		out = append(out, DigestPreview{Manager: m, Empty: v.Empty(), Subject: subject, Text: text, Refs: v.References()})
	}
	return out, nil
}
