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
// nothing of the database: queue keeps a job per mail, and just before the
// group writes its outbox rows they are all rendered at once, on as many
// goroutines as there are processors, while the single ingest goroutine
// would otherwise do them one after the other.
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
// is read when the group ends: a caller must not change a view after
// queuing it (none does; TestGroupQueuesTheMailEachMessageAloneWould
// would see it for the paths it takes).
type renderJob struct {
	w   *Workflow
	d   draft
	h   textproto.MIMEHeader // every field but Subject
	row []any                // the kept outbox row; raw is its outboxRaw value
	msg int                  // the kept messages row taking its subject, -1 for none

	subject string
	raw     []byte
	err     error
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

// renderPending renders the mail kept since the last flush and fills in the
// kept outbox rows' bytes and messages rows' subjects. An error fails the
// group, which is then processed one message at a time: the error hits
// only the message whose mail it is.
func (b *groupWrites) renderPending() error {
	jobs := b.renders
	b.renders = nil
	if err := renderAll(jobs); err != nil {
		return err
	}
	for _, j := range jobs {
		j.row[outboxRaw] = j.raw
		if j.msg >= 0 {
			b.messages[j.msg].m.Subject = j.subject
		}
	}
	return nil
}

// renderAll runs the jobs on up to GOMAXPROCS goroutines, the caller's one
// of them, and returns the first error in the jobs' order. After an error
// no job is started: the group fails anyway.
func renderAll(jobs []*renderJob) error {
	var next atomic.Int64
	var failed atomic.Bool
	work := func() {
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(jobs) {
				return
			}
			if jobs[i].render(); jobs[i].err != nil {
				failed.Store(true)
			}
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return j.err
		}
	}
	return nil
}
