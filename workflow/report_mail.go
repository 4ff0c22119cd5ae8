package workflow

import (
	"context"
	"fmt"
	"strings"
)

// ReportMailResult is what became of one manager's copy of the report
// mailed on request (`complaintd report -mail`): Note says why nothing was
// queued; otherwise State and LastError are its outbox entry's after the
// sending (OutboxSent, OutboxQueued, OutboxHeld, ...).
type ReportMailResult struct {
	Manager   Manager
	Note      string
	State     string
	LastError string
}

// MailReport queues, for every configured manager, the same message as the
// 1 May reminder: the report of year attached, to be sent to the GGD before
// 1 June, answerable with #verslag-verzonden. The outbox sends it: when
// deliver is set, MailReport sends everything due itself (false: a running
// daemon sends it). A year without complaints or disputes queues nothing
// (ErrNoReport).
func (w *Workflow) MailReport(ctx context.Context, year int, deliver bool) ([]ReportMailResult, error) {
	if _, err := w.BuildReport(ctx, year, ""); err != nil {
		return nil, err
	}
	out := make([]ReportMailResult, len(w.set.Managers))
	var ids []int64
	for i, m := range w.set.Managers {
		out[i].Manager = m
		var before int64
		if err := w.db.Get(ctx, &before, `SELECT COALESCE(MAX(id), 0) FROM outbox`); err != nil {
			return nil, fmt.Errorf("workflow: report mail: %w", err)
		}
		note, err := w.sendReportReminder(ctx, m, year)
		if err != nil {
			return nil, err
		}
		out[i].Note = note
		var id int64
		if err := w.db.Get(ctx, &id, `SELECT COALESCE(MAX(id), 0) FROM outbox WHERE kind = ? AND rcpt_to = ? AND id > ?`,
			MsgReportReminder, strings.ToLower(m.Email), before); err != nil {
			return nil, fmt.Errorf("workflow: report mail: %w", err)
		}
		ids = append(ids, id)
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
	for i, id := range ids {
		if id == 0 {
			continue
		}
		var row struct {
			State     string `db:"state"`
			LastError string `db:"last_error"`
		}
		if err := w.db.Get(ctx, &row, `SELECT state, last_error FROM outbox WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("workflow: report mail: %w", err)
		}
		out[i].State, out[i].LastError = row.State, row.LastError
	}
	return out, nil
}
