package mailbox

import (
	"context"
	"log/slog"
)

// groupBytes bounds the raw bytes of one group: a batch of large messages
// is handed over in several groups, so memory holds a few megabytes, not a
// batch of attachments.
const groupBytes = 8 << 20

// Result is what a GroupHandlerFunc made of one message: its outcome, or an
// error that leaves it in the mailbox (as for HandlerFunc).
type Result struct {
	Outcome Outcome
	Err     error
}

// GroupHandlerFunc processes messages fetched together, in the order given
// (UID order, oldest first), and returns one Result per message. Grouping
// lets the handler write a whole batch with a few statements and one
// commit. As with HandlerFunc, a message is moved only after the call
// returned, so the handler must be idempotent.
type GroupHandlerFunc func(ctx context.Context, ms []Fetched) []Result

// NewGroupPoller is NewPoller with a handler that takes the messages of a
// FETCH batch together (at most IMAPConfig.BatchSize of them and about
// 8 MB of raw bytes at a time). The messages of a group are handed over in
// UID order, so one sender's messages and a reply after what it answers keep
// their order; IMAPConfig.Workers does not apply.
func NewGroupPoller(cfg IMAPConfig, handle GroupHandlerFunc, log *slog.Logger) (*Poller, error) {
	if handle == nil {
		return nil, configError("handler", "is nil")
	}
	p, err := NewPoller(cfg, func(ctx context.Context, f Fetched) (Outcome, error) {
		r := handle(ctx, []Fetched{f})
		return r[0].Outcome, r[0].Err
	}, log)
	if err != nil {
		return nil, err
	}
	p.group = handle
	return p, nil
}

// pendingGroup collects fetched messages until they are handed over.
type pendingGroup struct {
	ms    []Fetched
	bytes int
}

// add queues f and reports whether the group is full.
func (g *pendingGroup) add(f Fetched, limit int) bool {
	g.ms = append(g.ms, f)
	g.bytes += len(f.Raw)
	return len(g.ms) >= limit || g.bytes >= groupBytes
}

// flushGroup hands the collected messages to the group handler and records
// each outcome in the batch to move.
func (p *Poller) flushGroup(ctx context.Context, g *pendingGroup, b *batch, st *roundStats) {
	if g == nil || len(g.ms) == 0 {
		return
	}
	rs := p.group(ctx, g.ms)
	for i, f := range g.ms {
		var r Result
		if i < len(rs) {
			r = rs[i]
		} else {
			r.Err = errShortResults
		}
		out, ok := p.outcome(f, r.Outcome, r.Err)
		b.record(st, f.UID, out, ok)
	}
	clear(g.ms) // release the bodies before the next group is read
	g.ms, g.bytes = g.ms[:0], 0
}
