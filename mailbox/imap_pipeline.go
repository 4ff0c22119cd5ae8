package mailbox

import "context"

// groupPipe runs the group handler on the session's groups in goroutines of
// their own, so that the session meanwhile fetches the next group and moves
// the groups handled before: the IMAP round trips wait alongside the
// handler's database work instead of after it.
//
// A handler works in two stages (StagedGroupHandlerFunc): a group's first
// stage (recording its arrivals) runs while the group before is in its
// second (acting on them), so the two use the machine's cores and database
// connections side by side. Second stages run one at a time, in the order
// the groups were fetched.
//
// Exactly-once and order are kept: a group's second stage starts only after
// the one before returned (so groups, and one sender's messages, are acted
// on in UID order), and a message is moved only after its group's handler
// returned. At most three groups are in memory: one in its second stage,
// one in its first (or waiting for the second), and the one being fetched.
//
// Everything but the handler calls runs on the session's goroutine, which
// alone touches the batch to move and the round's counts.
type groupPipe struct {
	ctx      context.Context
	p        *Poller
	st       *roundStats
	inFlight []*handedGroup // with the handler, oldest first; at most two
	b        batch          // handled, not moved yet
}

// handedGroup is one group with the handler.
type handedGroup struct {
	ms      []Fetched
	results chan []Result // the handler's answer (buffered: sent once)
	acted   chan struct{} // closed when its second stage returned
}

func newGroupPipe(ctx context.Context, p *Poller, st *roundStats) *groupPipe {
	return &groupPipe{ctx: ctx, p: p, st: st}
}

// hand passes the collected messages to the handler and empties g for the
// next group (a new slice: the handler still holds the old one). With two
// groups already there it first waits for the older one.
func (gp *groupPipe) hand(g *pendingGroup) {
	if len(g.ms) == 0 {
		return
	}
	if len(gp.inFlight) == 2 {
		gp.settleOldest()
	}
	ms := g.ms
	g.ms, g.bytes = nil, 0
	h := &handedGroup{ms: ms, results: make(chan []Result, 1), acted: make(chan struct{})}
	var before <-chan struct{}
	if n := len(gp.inFlight); n > 0 {
		before = gp.inFlight[n-1].acted
	}
	gp.inFlight = append(gp.inFlight, h)
	go func() {
		act := gp.p.group(gp.ctx, ms)
		if before != nil {
			<-before
		}
		var rs []Result
		if err := gp.ctx.Err(); err != nil {
			// Stopping: the group waiting behind the one being acted on is
			// not started with a cancelled context (each message would fail
			// on its own, with a warning); it stays for the next start, and
			// its first stage's work is given back.
			act(true)
			rs = make([]Result, len(ms))
			for i := range rs {
				rs[i].Err = err
			}
		} else {
			rs = act(false)
		}
		close(h.acted)
		h.results <- rs
	}()
}

// wait waits until the handler is done with every group it has, and
// records each outcome in the batch to move. Every path out of a round
// calls it: the handler's outcome is committed, and a message it finished
// but that is not moved is offered again (the handler is idempotent).
func (gp *groupPipe) wait() {
	for len(gp.inFlight) > 0 {
		gp.settleOldest()
	}
}

// settleOldest waits for the oldest group's answer and records it.
func (gp *groupPipe) settleOldest() {
	h := gp.inFlight[0]
	gp.inFlight = gp.inFlight[1:]
	rs := <-h.results
	for i, f := range h.ms {
		var r Result
		if i < len(rs) {
			r = rs[i]
		} else {
			r.Err = errShortResults
		}
		out, ok := gp.p.outcome(f, r.Outcome, r.Err)
		gp.b.record(gp.st, f.UID, out, ok)
	}
}

// take returns what was handled so far, to be moved, and forgets it.
func (gp *groupPipe) take() batch {
	b := gp.b
	gp.b = batch{}
	return b
}
