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
// returned, so the handler must be idempotent. Calls never overlap: the
// next group is handed over once the call for the previous one returned.
type GroupHandlerFunc func(ctx context.Context, ms []Fetched) []Result

// StagedGroupHandlerFunc is a GroupHandlerFunc in two stages: the call is
// the first stage and returns the second, which returns the Results. A
// group's first stage may run while the group before is in its second;
// second stages never overlap and run in UID order. The first stage must
// therefore not depend on what the group before does (recording that the
// messages arrived, parsing them), and the second must not assume the
// first ran alone.
//
// The poller calls the second stage once per group: with stop false it acts
// and returns the Results; with stop true it must not act. That call
// comes when the poller stops before the group's turn (the group behind
// the one being acted on): the messages stay in the inbox for the next
// start, and the second stage gives back what its first stage took for
// them (an attempt counted, say) and returns nothing.
type StagedGroupHandlerFunc func(ctx context.Context, ms []Fetched) (second func(stop bool) []Result)

// NewGroupPoller is NewPoller with a handler that takes the messages of a
// FETCH batch together (at most IMAPConfig.BatchSize of them and about
// 8 MB of raw bytes at a time). The messages of a group are handed over in
// UID order, so one sender's messages and a reply after what it answers keep
// their order; IMAPConfig.Workers does not apply. While the handler works
// on one group, the poller fetches the next and moves the ones before
// (imap_pipeline.go).
func NewGroupPoller(cfg IMAPConfig, handle GroupHandlerFunc, log *slog.Logger) (*Poller, error) {
	if handle == nil {
		return nil, configError("handler", "is nil")
	}
	return NewStagedGroupPoller(cfg, func(ctx context.Context, ms []Fetched) func(bool) []Result {
		return func(stop bool) []Result {
			if stop {
				return nil
			}
			return handle(ctx, ms)
		}
	}, log)
}

// NewStagedGroupPoller is NewGroupPoller with a handler in two stages, so a
// group's first stage overlaps the group before's second.
func NewStagedGroupPoller(cfg IMAPConfig, handle StagedGroupHandlerFunc, log *slog.Logger) (*Poller, error) {
	if handle == nil {
		return nil, configError("handler", "is nil")
	}
	p, err := NewPoller(cfg, func(ctx context.Context, f Fetched) (Outcome, error) {
		r := handle(ctx, []Fetched{f})(false)
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
