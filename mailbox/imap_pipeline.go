package mailbox

import "context"

// groupPipe runs the group handler on one group at a time in a goroutine
// of its own, so that the session meanwhile fetches the next group and
// moves the groups handled before: the IMAP round trips wait alongside the
// handler's database work instead of after it.
//
// Exactly-once and order are kept: a group is handed over only after the
// handler returned for the one before (so groups, and one sender's
// messages, are handled in UID order), and a message is moved only after
// the handler returned for it. At most two groups are in memory: the one
// being handled and the one being fetched.
//
// Everything but the handler call runs on the session's goroutine, which
// alone touches the batch to move and the round's counts.
type groupPipe struct {
	ctx     context.Context
	p       *Poller
	st      *roundStats
	pending []Fetched     // with the handler; nil when it is idle
	results chan []Result // the handler's answer for pending
	b       batch         // handled, not moved yet
}

func newGroupPipe(ctx context.Context, p *Poller, st *roundStats) *groupPipe {
	return &groupPipe{ctx: ctx, p: p, st: st, results: make(chan []Result, 1)}
}

// hand passes the collected messages to the handler, once it is done with
// the previous group, and empties g for the next group (a new slice: the
// handler still holds the old one).
func (gp *groupPipe) hand(g *pendingGroup) {
	if len(g.ms) == 0 {
		return
	}
	gp.wait()
	ms := g.ms
	g.ms, g.bytes = nil, 0
	gp.pending = ms
	go func() { gp.results <- gp.p.group(gp.ctx, ms) }()
}

// wait waits until the handler is done with its group, if it has one, and
// records each outcome in the batch to move. Every path out of a round
// calls it: the handler's outcome is committed, and a message it finished
// but that is not moved is offered again (the handler is idempotent).
func (gp *groupPipe) wait() {
	if gp.pending == nil {
		return
	}
	rs := <-gp.results
	for i, f := range gp.pending {
		var r Result
		if i < len(rs) {
			r = rs[i]
		} else {
			r.Err = errShortResults
		}
		out, ok := gp.p.outcome(f, r.Outcome, r.Err)
		gp.b.record(gp.st, f.UID, out, ok)
	}
	gp.pending = nil // releases the bodies
}

// take returns what was handled so far, to be moved, and forgets it.
func (gp *groupPipe) take() batch {
	b := gp.b
	gp.b = batch{}
	return b
}
