package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Issue 16, item 3: a submission server that reads one message to its final
// dot and never answers holds up only that message. The daemon's SMTP
// timeout is two minutes here; every other confirmation and notification
// must arrive well before it (the test gives up after 20 s), while the
// stalled transaction is still waiting.
func TestStalledSMTPTransactionHoldsUpOnlyItsMessage(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) { c.SMTP.Timeout, c.SMTP.Connections = 2*time.Minute, 3 })
		const complaints = 10
		for i := range complaints {
			h.deliver(rawMail(mailOpts{
				from:    fmt.Sprintf("Ouder %d <ouder%d@example.nl>", i, i),
				subject: fmt.Sprintf("Klacht %d over de opvang", i),
				body:    fmt.Sprintf("Dit is klacht nummer %d.\nDe groep was te vol.\n", i),
			}))
		}
		h.poll()
		total := h.countRows("outbox", "")
		h.smtp.HangAfterData("ouder0@example.nl") // the oldest mail: first in line

		done := make(chan error, 1)
		start := time.Now()
		go func() { _, err := h.c.wf.DeliverDue(h.ctx); done <- err }()
		wctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
		defer cancel()
		got, err := h.smtp.Wait(wctx, total-1)
		if err != nil {
			t.Fatalf("%d of the %d other mails delivered while one transaction stalled: %v", len(got), total-1, err)
		}
		t.Logf("%d mails delivered in %v while one transaction stalled", len(got), time.Since(start).Round(10*time.Millisecond))
		select {
		case err := <-done:
			t.Fatalf("the delivery pass ended (%v) while a transaction was stalled", err)
		default:
		}
		for _, m := range got {
			for _, r := range m.To {
				if r == "ouder0@example.nl" {
					t.Fatal("the stalled message was recorded as delivered")
				}
			}
		}

		// The server goes away: the stalled mail is tried again later, and
		// its case file shows the attempt and the answer.
		h.smtp.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		var row struct {
			State  string `db:"state"`
			Answer string `db:"answer"`
		}
		if err := h.c.db.Get(h.ctx, &row, `SELECT o.state, a.answer FROM outbox o JOIN outbox_attempts a ON a.outbox_id = o.id
			WHERE o.rcpt_to = ? AND o.kind = ?`, "ouder0@example.nl", workflow.MsgConfirmation); err != nil {
			t.Fatal(err)
		}
		if row.State != workflow.OutboxQueued || row.Answer == "" {
			t.Errorf("stalled confirmation %s (%q), want queued for another attempt with the answer recorded", row.State, row.Answer)
		}
	})
}
