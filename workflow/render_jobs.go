package workflow

import (
	"fmt"
	"net/textproto"
	"runtime"
	"sync"
	"sync/atomic"
)

// Rendering a grouped batch's mail (issue 14). Rendering the templates and
// composing the MIME bytes is a sixth of the daemon's CPU, and needs
// nothing of the database: queue hands each mail to a job, which starts on
// another core at once (renderAhead) while the single ingest goroutine goes
// on acting on the group's next messages; just before the group writes its
// outbox rows, that goroutine renders what is still waiting and waits for
// the rest.
//
// It stays inside the group's transaction: the bytes must commit together
// with the ledger entry that says the message was acted on, so that what
// was recorded is what will be sent, and rendering them after the commit
// would take a second write per mail (and a crash between the two would
// leave a confirmation without its bytes). Before the transaction nothing
// is known to render: the case, its reference and the reply tokens come
// from acting on the message.

// renderJob is one mail of a group to render and compose: its draft and
// its header fields, settled when queue ran (Message-ID, Date, References,
// reply token), and the kept rows waiting for its results. The draft is a
// copy, but what its letter points to (a CommandsView, a JudgmentView …)
// is read on another goroutine while the group goes on: a caller must not
// change a view after queuing it (none does;
// TestGroupQueuesTheMailEachMessageAloneWould would see it for the paths it
// takes, and a data race under -race).
type renderJob struct {
	w   *Workflow
	d   draft
	h   textproto.MIMEHeader // every field but Subject
	row []any                // the kept outbox row; raw is its outboxRaw value
	msg int                  // the kept messages row taking its subject, -1 for none

	taken atomic.Bool   // a goroutine has started it
	done  chan struct{} // closed when it is rendered

	subject string
	raw     []byte
	err     error
}

// run renders the job unless another goroutine took it, and reports
// whether it did.
func (j *renderJob) run() bool {
	if !j.taken.CompareAndSwap(false, true) {
		return false
	}
	j.render()
	close(j.done)
	return true
}

// renderAhead renders a group's jobs on up to GOMAXPROCS-1 goroutines of
// its own (one core stays with the ingest goroutine). They start when
// there is work and end when there is none, so a group needs no closing:
// what is still queued when the group flushes, the ingest goroutine takes
// itself.
type renderAhead struct {
	mu      sync.Mutex
	queue   []*renderJob
	workers int
}

// add queues jobs and starts a goroutine for them when one may start.
func (r *renderAhead) add(jobs []*renderJob) {
	for _, j := range jobs {
		j.done = make(chan struct{})
	}
	r.mu.Lock()
	r.queue = append(r.queue, jobs...)
	start := r.workers < max(1, runtime.GOMAXPROCS(0)-1)
	if start {
		r.workers++
	}
	r.mu.Unlock()
	if start {
		go r.work()
	}
}

func (r *renderAhead) work() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.workers--
			r.mu.Unlock()
			return
		}
		j := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.mu.Unlock()
		j.run()
	}
}

// render renders and composes the mail. A panic (a bug in a template
// function) is an error of this mail: it must not take the daemon down
// from a goroutine of its own, where the group's recover cannot catch it.
// The group then fails, and the message is processed alone, where a panic
// is caught and counted as it is for every message.
func (j *renderJob) render() {
	defer func() {
		if p := recover(); p != nil {
			j.err = fmt.Errorf("workflow: %s for %s: panic: %v", j.d.kind, j.d.ref(), p)
		}
	}()
	j.subject, j.raw, j.err = j.w.renderDraft(j.d, j.h)
}

// renderPending finishes the mail kept since the last flush (rendering
// what no goroutine has started, waiting for the rest) and fills in the
// kept outbox rows' bytes and messages rows' subjects. An error fails the
// group, which is then processed one message at a time: the error hits
// only the message whose mail it is.
func (b *groupWrites) renderPending() error {
	jobs := b.renders
	b.renders = nil
	for _, j := range jobs {
		if !j.run() {
			<-j.done
		}
	}
	for _, j := range jobs {
		if j.err != nil {
			return j.err
		}
	}
	for _, j := range jobs {
		j.row[outboxRaw] = j.raw
		if j.msg >= 0 {
			b.messages[j.msg].m.Subject = j.subject
		}
	}
	return nil
}
