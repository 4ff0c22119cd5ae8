package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Issue 16, item 4: `cases show` lists every attempt of every mail with the
// server's answer, and says when a mail may have gone out twice: here the
// confirmation is deferred once (451), then its daemon is lost in the middle
// of the second attempt (the answer never recorded), and the third attempt
// is accepted.
func TestCaseFileShowsEveryAttempt(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.smtp.Refuse(1, 451, "4.3.0 Try again later")
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		if state, _ := outboxState(t, h, workflow.MsgConfirmation); state != workflow.OutboxQueued {
			t.Fatalf("confirmation %s after a 451, want queued", state)
		}

		// A daemon (session 4242, gone) claimed the second attempt, handed
		// it to the server and died before the answer was recorded.
		var id int64
		if err := h.c.db.Get(h.ctx, &id, `SELECT id FROM outbox WHERE kind = ?`, workflow.MsgConfirmation); err != nil {
			t.Fatal(err)
		}
		now := h.clock.Now().Add(2 * time.Minute)
		if _, err := h.c.db.Exec(h.ctx, `UPDATE outbox SET state = ?, attempts = 2, claimed_by = 4242, claimed_until = ? WHERE id = ?`,
			workflow.OutboxSending, now.Add(5*time.Minute), id); err != nil {
			t.Fatal(err)
		}
		if _, err := h.c.db.Exec(h.ctx, `INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome)
			VALUES (?, 2, 4242, ?, ?)`, id, now, workflow.AttemptSending); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(3 * time.Minute)
		h.flush()
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Fatalf("parent got %d confirmations, want 1 (from the third attempt)", n)
		}

		c := h.cases()[0]
		out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), c.Reference)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`(?m)^\s+attempt 1  \S+ \S+  deferred: .*451 4\.3\.0 Try again later \(temporary\)$`,
			`(?m)^\s+attempt 2  \S+ \S+  unknown: no answer recorded: the daemon sending it was lost`,
			`(?m)^\s+attempt 3  \S+ \S+  accepted: the server took the message$`,
			`confirmation to sanne\.jansen@example\.nl: .*\[sent [^]]*; possibly delivered twice`,
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("cases show lacks %s:\n%s", want, out)
			}
		}
		// Every other mail of the case shows its one accepted attempt.
		if n := strings.Count(out, "accepted: the server took the message"); n != h.countRows("outbox", "case_id = ?", c.ID) {
			t.Errorf("%d accepted attempts shown for %d mails:\n%s", n, h.countRows("outbox", "case_id = ?", c.ID), out)
		}
	})
}
