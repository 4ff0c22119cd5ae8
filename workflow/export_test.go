package workflow

import (
	"context"
	"fmt"
	"reflect"
	"slices"
)

// WithTrialCommand gives w one command more than the built-in ones, for a
// test only: #proef (English #trial) TEXT puts "proef: TEXT" on the case's
// timeline; without TEXT it is refused. It is one entry of the table, like
// every command: the test proves that is all a new command needs.
func WithTrialCommand(w *Workflow) {
	w.cmds = append(builtinCommands(), commandSpec{
		name: "proef", en: "trial", aliases: []string{"probeer"}, handler: true,
		check: func(w *Workflow, pc *planning, cmd command) {
			if cmd.arg == "" {
				pc.refuse(cmd, w.phrase("refuse.trial"))
				return
			}
			pc.confirm(w.phrase("applied.trial", cmd.arg))
		},
		apply: func(w *Workflow, ctx context.Context, a *applying, cmd command) error {
			return addEvent(ctx, w.db, a.c.ID, a.now, EventNote, a.h.Email, "proef: "+cmd.arg)
		},
		phrases: []string{"applied.trial", "refuse.trial"},
	})
}

// CaseFileText renders the case file of ref as a manager would receive it
// (#dossier), for a test: its plain text and HTML.
func CaseFileText(ctx context.Context, w *Workflow, ref, manager string) (text, html string, err error) {
	c, err := caseByReference(ctx, w.db, ref)
	if err != nil {
		return "", "", err
	}
	v, err := w.buildCaseFile(ctx, &c, manager)
	if err != nil {
		return "", "", err
	}
	l := w.letter(&c, manager)
	l.CaseFile = v
	_, text, html, err = w.render.Render(MsgCaseFile, w.set.Organisation.Language, l)
	return text, html, err
}

// StatementLog keeps the statements run on a database (stmtLog), for the
// tests that count them.
type StatementLog = stmtLog

// NewStatementLog logs the statements run on db.
func NewStatementLog(db Database) *StatementLog { return &stmtLog{Database: db} }

// SetHandoverBound sets how many mails, and bytes, groups may hand to w's
// outbox at most (outbox_handover.go), for a test of the bound.
func SetHandoverBound(w *Workflow, mails, bytes int) {
	w.handover.mu.Lock()
	w.handover.maxMails, w.handover.maxBytes = mails, bytes
	w.handover.mu.Unlock()
}

// EscalationViewOf is escalationView, for a test.
var EscalationViewOf = escalationView

// LoseHandoverSession makes the mail waiting in w's hand-over claimed under
// session, which is not w's (a session w lost, as when its PostgreSQL
// connection broke): the waiting items and their outbox rows both say
// session, as they would had w claimed them under it. It returns the rows'
// ids.
func LoseHandoverSession(ctx context.Context, w *Workflow, session int64) ([]int64, error) {
	w.handover.mu.Lock()
	defer w.handover.mu.Unlock()
	ids := make([]int64, 0, len(w.handover.items))
	for i := range w.handover.items {
		w.handover.items[i].session = session
		ids = append(ids, w.handover.items[i].ID)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{session}
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := w.db.Exec(ctx, `UPDATE outbox SET claimed_by = ? WHERE id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
		return nil, err
	}
	if _, err := w.db.Exec(ctx, `UPDATE outbox_attempts SET session = ? WHERE outbox_id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
		return nil, err
	}
	return ids, nil
}

// ForesightDiff lists where the foresight ArriveGroup works out for m
// differs from what acting on m computes, or is not what the serial path
// takes.
func (w *Workflow) ForesightDiff(m Mail) []string {
	m = bound(m)
	fm := w.foresee(m)
	f := foresightOf(fm)
	if f == nil {
		return []string{"no foresight"}
	}
	var diff []string
	text := m.Text()
	about := w.caseSubject(m) + "\n" + newText(text)
	if got, want := w.classifyMail(fm), classify(m, w.identity()); !reflect.DeepEqual(got, want) {
		diff = append(diff, fmt.Sprintf("classification %+v, acting computes %+v", got, want))
	}
	if gotText, gotFresh := textOf(fm); gotText != text || gotFresh != newText(text) {
		diff = append(diff, "text or new words")
	}
	if got, want := w.signalsAbout(fm, about), w.set.Safeguarding.signalsIn(about); !slices.Equal(got, want) {
		diff = append(diff, fmt.Sprintf("signal words %v, acting computes %v", got, want))
	}
	if got, want := w.handlersNamedAbout(fm, about), w.handlersNamed(about); !reflect.DeepEqual(got, want) {
		diff = append(diff, fmt.Sprintf("handlers named %v, acting computes %v", got, want))
	}
	// Looked up for the foreseen text, computed for any other.
	f.signals = []string{"looked up"}
	if got := w.signalsAbout(fm, about); !slices.Equal(got, f.signals) {
		diff = append(diff, "the foreseen signal words were computed again")
	}
	if got := w.signalsAbout(fm, about+" x"); slices.Equal(got, f.signals) {
		diff = append(diff, "the foresight answered for other text")
	}
	return diff
}
