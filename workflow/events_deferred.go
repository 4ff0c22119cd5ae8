package workflow

import (
	"context"
	"fmt"
)

// A grouped batch (ProcessGroup) writes its cases' events with one
// statement per eventChunk rows, when its messages have all been acted on,
// instead of one statement each, and each case's events keep their order.
// The one read of events inside a group, a timeline (the case file of
// #dossier), writes the kept ones first (writeDeferredEvents).

// eventChunk bounds one statement's rows (5 variables each; SQLite allows
// 32,766).
const eventChunk = 500

type eventBuffer struct{ rows []Event }

type eventBufferKey struct{}

// withEventBuffer makes addEvent under ctx keep its events for flush.
func withEventBuffer(ctx context.Context) (context.Context, *eventBuffer) {
	b := &eventBuffer{}
	return context.WithValue(ctx, eventBufferKey{}, b), b
}

// deferEvent keeps e when ctx carries a buffer.
func deferEvent(ctx context.Context, e Event) bool {
	b, _ := ctx.Value(eventBufferKey{}).(*eventBuffer)
	if b == nil {
		return false
	}
	b.rows = append(b.rows, e)
	return true
}

// flush writes the kept events, in the order they were added.
func (b *eventBuffer) flush(ctx context.Context, db Database) error {
	for len(b.rows) > 0 {
		part := b.rows[:min(len(b.rows), eventChunk)]
		args := make([]any, 0, 5*len(part))
		for _, e := range part {
			args = append(args, e.CaseID, e.At, e.Kind, e.Actor, e.Detail)
		}
		if _, err := db.Exec(ctx, `INSERT INTO events (case_id, at, kind, actor, detail) VALUES `+valueRows(len(part), 5), args...); err != nil {
			return fmt.Errorf("workflow: %d events: %w", len(part), err)
		}
		b.rows = b.rows[len(part):]
	}
	return nil
}

// writeDeferredEvents writes the events kept under ctx now: a read of a
// case's events inside a group (the case file of #dossier) must see what
// the group's earlier messages did to the case.
func writeDeferredEvents(ctx context.Context, db Database) error {
	if b, _ := ctx.Value(eventBufferKey{}).(*eventBuffer); b != nil {
		return b.flush(ctx, db)
	}
	return nil
}
