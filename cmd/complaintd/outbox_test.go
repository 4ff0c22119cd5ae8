package main

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

func outboxState(t *testing.T, h *harness, kind string) (state, lastErr string) {
	t.Helper()
	var row struct {
		State     string `db:"state"`
		LastError string `db:"last_error"`
	}
	if err := h.c.db.Get(h.ctx, &row, `SELECT state, last_error FROM outbox WHERE kind = ? ORDER BY id LIMIT 1`, kind); err != nil {
		t.Fatal(err)
	}
	return row.State, row.LastError
}

// A refusal of our message at DATA (content, policy) is our server's word on
// our mail, not on the parent: held, the case not flagged; `outbox retry ID`
// sends it once.
func TestDataRefusalHoldsTheMailAndRetrySendsItOnce(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.smtp.Refuse(1, 554, "5.7.1 Message rejected as spam")
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		state, lastErr := outboxState(t, h, workflow.MsgConfirmation)
		if state != workflow.OutboxHeld || lastErr != "held: server refused: DATA: 554 5.7.1 Message rejected as spam" {
			t.Fatalf("confirmation %s (%q), want held with the server's answer", state, lastErr)
		}
		c := h.cases()[0]
		if c.Unreachable || c.Status != workflow.StatusReceived {
			t.Errorf("case %s unreachable=%v, want received and not flagged", c.Status, c.Unreachable)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 0 {
			t.Fatalf("parent got %d mails", n)
		}
		out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), c.Reference)
		if err != nil || !strings.Contains(out, "held: server refused: DATA: 554 5.7.1") {
			t.Errorf("the timeline does not show the hold: %v\n%s", err, out)
		}

		var id int64
		if err := h.c.db.Get(h.ctx, &id, `SELECT id FROM outbox WHERE kind = ?`, workflow.MsgConfirmation); err != nil {
			t.Fatal(err)
		}
		config := writeHarnessConfig(t, h.cfg)
		if out, _, err := run(t, h.ctx, "outbox", "retry", "-config", config, "#"+itoa(id)); !errors.Is(err, errUsage) {
			t.Errorf("retry with a bad id: %v %s", err, out)
		}
		if _, _, err := run(t, h.ctx, "outbox", "retry", "-config", config, "999"); err == nil || !strings.Contains(err.Error(), "no such outgoing message") {
			t.Errorf("retry of a missing id: %v", err)
		}
		if _, _, err := run(t, h.ctx, "outbox", "retry", "-config", config, itoa(id+1)); err == nil || !strings.Contains(err.Error(), "is sent") {
			t.Errorf("retry of sent mail: %v", err)
		}
		out, _, err = run(t, h.ctx, "outbox", "retry", "-config", config, itoa(id))
		if err != nil || !strings.Contains(out, "queued again") {
			t.Fatalf("outbox retry %d: %v\n%s", id, err, out)
		}
		// A second retry of the same message, before the daemon sent it,
		// does not queue it twice.
		if _, _, err := run(t, h.ctx, "outbox", "retry", "-config", config, itoa(id)); err == nil || !strings.Contains(err.Error(), "is queued") {
			t.Errorf("second retry: %v", err)
		}
		h.flush()
		h.clock.Advance(time.Hour)
		h.flush()
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("parent got %d confirmations after the retry, want exactly 1", n)
		}
		if state, _ := outboxState(t, h, workflow.MsgConfirmation); state != workflow.OutboxSent {
			t.Errorf("confirmation %s after the retry", state)
		}
		if c := h.cases()[0]; c.Status != workflow.StatusAcknowledged || c.Unreachable {
			t.Errorf("case %s unreachable=%v after the retry", c.Status, c.Unreachable)
		}
	})
}

// A server that keeps answering 4xx until the attempts run out is our
// server's trouble: the mail is held, never blamed on the parent. (It used
// to fail and flag the complainant unreachable.)
func TestAttemptsRunningOutOnOurServerHoldTheMail(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, storetest.URL(t, "sqlite"), func(c *Config) { c.Processing.SendAttempts = 3 })
	h.smtp.Refuse(100, 451, "4.3.0 Local error in processing")
	h.deliver(complaintFromSanne())
	h.poll()
	for range 4 {
		h.flush()
		h.clock.Advance(2 * time.Hour)
	}
	state, lastErr := outboxState(t, h, workflow.MsgConfirmation)
	if state != workflow.OutboxHeld || !strings.HasPrefix(lastErr, "held: server refused: DATA: 451 4.3.0") {
		t.Errorf("confirmation %s (%q), want held", state, lastErr)
	}
	if c := h.cases()[0]; c.Unreachable {
		t.Error("complainant flagged unreachable for our server's trouble")
	}
}

// A recipient refused at RCPT TO for its own sake is that recipient's
// problem: failed for good, the case flagged; the others are sent.
func TestRecipientRefusalFlagsTheComplainant(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	h.smtp.RefuseRecipient("sanne.jansen@example.nl", 550, "5.1.1 User unknown")
	h.deliver(complaintFromSanne())
	h.poll()
	h.flush()
	state, lastErr := outboxState(t, h, workflow.MsgConfirmation)
	if state != workflow.OutboxFailed || !strings.Contains(lastErr, "550 5.1.1 User unknown") {
		t.Errorf("confirmation %s (%q), want failed", state, lastErr)
	}
	if c := h.cases()[0]; !c.Unreachable {
		t.Error("case not flagged complainant-unreachable")
	}
	if n := len(h.sent()); n == 0 {
		t.Error("the handlers' notifications were not sent")
	}
}

func TestOutboxListAndRetryAllHeld(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		// A server answer with a terminal escape sequence in it.
		h.smtp.Refuse(1, 554, "5.7.1 Rejected \x1b[2J\x1b[31mby policy")
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		// Mail the loop breaker held back (as outgoing.go records it).
		if _, err := h.c.db.Exec(h.ctx, `UPDATE outbox SET state = ?, last_error = ? WHERE kind <> ?`,
			workflow.OutboxHeld, "held back by the loop breaker: 5 automatic messages", workflow.MsgConfirmation); err != nil {
			t.Fatal(err)
		}
		config := writeHarnessConfig(t, h.cfg)
		out, _, err := run(t, h.ctx, "outbox", "list", "-config", config)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"ID", "CASE", "RECIPIENT", "LAST ERROR", "KL-2026-0001", "confirmation",
			"sanne.jansen@example.nl", "held (server)", `Rejected \x1b[2J\x1b[31mby policy`, "held back by the loop breaker"} {
			if !strings.Contains(out, want) {
				t.Errorf("outbox list lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("outbox list printed a raw escape character:\n%q", out)
		}
		if _, _, err := run(t, h.ctx, "outbox", "list", "-config", config, "-state", "lost"); !errors.Is(err, errUsage) {
			t.Errorf("unknown state: %v", err)
		}
		out, _, err = run(t, h.ctx, "outbox", "retry", "-config", config, "-all-held")
		if err != nil || !strings.Contains(out, "1 held message(s) queued again") {
			t.Fatalf("retry -all-held: %v\n%s", err, out)
		}
		h.flush()
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("parent got %d confirmations, want 1", n)
		}
		if n := h.countRows("outbox", "state = ? AND last_error LIKE 'held back by the loop breaker%'", workflow.OutboxHeld); n == 0 {
			t.Error("-all-held released mail the loop breaker held back")
		}
		out, _, err = run(t, h.ctx, "outbox", "list", "-config", config, "-state", "sent")
		if err != nil || !strings.Contains(out, "confirmation") || strings.Contains(out, "loop breaker") {
			t.Errorf("outbox list -state sent: %v\n%s", err, out)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// digest -send says when our server refused the digest, and what to do: it
// used to say "the daemon keeps trying", which held mail it does not.
func TestDigestSendReportsAHeldDigest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	config := writeHarnessConfig(t, h.cfg)
	h.clock.Set(time.Now())
	h.deliver(complaintFromSanne())
	h.poll()
	h.flush()
	h.smtp.Refuse(10, 554, "5.7.1 Sending denied by policy")
	// The daemon stops, so that digest -send holds the SQLite file and
	// sends itself (beside a running daemon it only queues).
	h.c.close()
	out, _, err := run(t, h.ctx, "digest", "-config", config, "-send")
	if err == nil {
		t.Error("digest -send succeeded although no digest was delivered")
	}
	if !strings.Contains(out, "held: server refused: DATA: 554 5.7.1 Sending denied by policy") ||
		!strings.Contains(out, "complaintd outbox retry -all-held") || strings.Contains(out, "keeps trying") {
		t.Errorf("digest -send with a refusing server:\n%s", out)
	}
}
