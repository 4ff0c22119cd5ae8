package mailbox

import (
	"context"
	"strings"
	"sync"
)

// lanes hands the messages of one FETCH to the handler several at a time,
// keeping the order that matters:
//
//   - messages from one sender are handled one after the other, in arrival
//     order (a parent's complaint before her follow-up);
//   - a message that names another message of the batch in In-Reply-To or
//     References, or carries the same Message-ID (a second delivery), waits
//     until that one is done.
//
// Every wait points at a message submitted earlier, and each lane runs in
// submission order, so the earliest unfinished message can always run: no
// deadlock. A lane holds at most one message waiting, which bounds memory.
type lanes struct {
	ctx    context.Context
	p      *Poller
	queues []chan laneJob
	wg     sync.WaitGroup

	// Owned by the submitting (fetch) goroutine.
	senderLane map[string]int
	done       map[string]chan struct{} // Message-ID → closed when handled
	next       int

	mu sync.Mutex // guards b and st
	b  *batch
	st *roundStats
}

type laneJob struct {
	f    Fetched
	wait []chan struct{}
	done chan struct{}
}

func newLanes(ctx context.Context, p *Poller, n int, b *batch, st *roundStats) *lanes {
	l := &lanes{ctx: ctx, p: p, senderLane: map[string]int{}, done: map[string]chan struct{}{}, b: b, st: st}
	for range n {
		q := make(chan laneJob, 1)
		l.queues = append(l.queues, q)
		l.wg.Go(func() {
			for j := range q {
				for _, w := range j.wait {
					<-w
				}
				out, ok := l.p.dispatch(l.ctx, j.f) // without the lock: this is the slow part
				l.mu.Lock()
				l.b.record(l.st, j.f.UID, out, ok)
				l.mu.Unlock()
				close(j.done)
			}
		})
	}
	return l
}

// submit queues one message on its lane; it blocks while that lane is busy.
func (l *lanes) submit(f Fetched) {
	sender, id, refs := threadKeys(f.Raw)
	lane, ok := l.senderLane[sender]
	if !ok || sender == "" {
		lane = l.next % len(l.queues)
		l.next++
		if sender != "" {
			l.senderLane[sender] = lane
		}
	}
	j := laneJob{f: f, done: make(chan struct{})}
	for _, r := range append(refs, id) {
		if ch, ok := l.done[r]; ok && r != "" {
			j.wait = append(j.wait, ch)
		}
	}
	if id != "" {
		l.done[id] = j.done
	}
	l.queues[lane] <- j
}

// close waits until every submitted message has been handled.
func (l *lanes) close() {
	for _, q := range l.queues {
		close(q)
	}
	l.wg.Wait()
}

// threadKeys reads what orders a message among others: its sender, its own
// Message-ID, and the ids it answers.
func threadKeys(raw []byte) (sender, id string, refs []string) {
	fs, _, _ := readHeaderBlock(raw)
	if a := parseAddressHeader(fs.values("From")); len(a) > 0 {
		sender = strings.ToLower(a[0].Address)
	}
	// Field names are canonical (textproto): "Message-Id", not "Message-ID".
	if ids := parseMsgIDHeader(fs.values("Message-Id")); len(ids) > 0 {
		id = ids[0]
	}
	refs = append(parseMsgIDHeader(fs.values("In-Reply-To")), parseMsgIDHeader(fs.values("References"))...)
	return sender, id, refs
}
