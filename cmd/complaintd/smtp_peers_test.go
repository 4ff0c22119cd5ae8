package main

// The daemon against the SMTP servers people run (issue 8): Debian's Postfix
// with strict settings and SASL, and Mailpit. IMAP stays the in-process
// server; the database is SQLite and PostgreSQL.

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// smtpPeer is what these tests need of Postfix or Mailpit.
type smtpPeer interface {
	Addr() string
	Username() string
	Password() string
	Messages() []peers.Msg
	Wait(n int) []peers.Msg
}

// peerHarness is the harness with a real SMTP server, and the daemon's log
// kept for assertions.
type peerHarness struct {
	*harness
	peer smtpPeer
	logs *syncBuffer
}

// newPeerHarness runs the daemon with the peer as its SMTP server, logged in
// with the peer's account; change adjusts the configuration.
func newPeerHarness(t *testing.T, dbURL string, peer smtpPeer, change func(*Config)) *peerHarness {
	t.Helper()
	imapSrv, err := mailtest.StartIMAP(mailtest.IMAPOptions{Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { imapSrv.Close() })
	cfg := demoConfig(t.TempDir(), imapSrv.Addr(), peer.Addr())
	cfg.Database.URL = dbURL
	cfg.SMTP.Username, cfg.SMTP.Password = peer.Username(), peer.Password()
	if change != nil {
		change(cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	h := &peerHarness{
		harness: &harness{
			t: t, ctx: t.Context(), imap: imapSrv, cfg: cfg,
			clock: workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)),
		},
		peer: peer, logs: &syncBuffer{},
	}
	h.startLogged()
	return h
}

// startLogged builds the daemon as a (re)start does, logging to the test and
// to h.logs.
func (h *peerHarness) startLogged() {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(io.MultiWriter(h.t.Output(), h.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := build(h.ctx, h.cfg, log, options{clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
	h.t.Cleanup(c.close)
}

func (h *peerHarness) restartLogged() {
	h.t.Helper()
	h.c.close()
	h.startLogged()
}

// outboxRow is what the tests read of one outgoing message.
type outboxRow struct {
	ID        int64  `db:"id"`
	Kind      string `db:"kind"`
	Rcpt      string `db:"rcpt_to"`
	State     string `db:"state"`
	LastError string `db:"last_error"`
	Raw       []byte `db:"raw"`
	MessageID string `db:"message_id"`
}

func (h *peerHarness) outbox() []outboxRow {
	h.t.Helper()
	var rows []outboxRow
	if err := h.c.db.Select(h.ctx, &rows, `SELECT id, kind, rcpt_to, state, last_error, raw, message_id FROM outbox ORDER BY id`); err != nil {
		h.t.Fatal(err)
	}
	return rows
}

func (h *peerHarness) confirmation() outboxRow {
	h.t.Helper()
	for _, r := range h.outbox() {
		if r.Kind == workflow.MsgConfirmation {
			return r
		}
	}
	h.t.Fatal("no confirmation in the outbox")
	return outboxRow{}
}

// copiesOf counts the copies the peer received of the message with this
// Message-ID, for rcpt.
func copiesOf(msgs []peers.Msg, messageID, rcpt string) int {
	n := 0
	for _, m := range msgs {
		parsed, err := mailbox.Parse(m.Data)
		if err != nil || parsed.MessageID() != messageID {
			continue
		}
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				n++
			}
		}
	}
	return n
}

func eachPeer(t *testing.T, fn func(t *testing.T, url string, peer func(t *testing.T) smtpPeer)) {
	t.Run("postfix", func(t *testing.T) {
		storetest.EachURL(t, func(t *testing.T, url string) {
			fn(t, url, func(t *testing.T) smtpPeer { return peers.StartPostfix(t, peers.PostfixOptions{}) })
		})
	})
	t.Run("mailpit", func(t *testing.T) {
		storetest.EachURL(t, func(t *testing.T, url string) {
			fn(t, url, func(t *testing.T) smtpPeer { return peers.StartMailpit(t) })
		})
	})
}

// A complaint's confirmation and the handlers' notifications go through a
// strict server, byte for byte (the bare "MAIL FROM:addr" the daemon used to
// send was refused with 501).
func TestRealSMTPServerTakesOurMail(t *testing.T) {
	t.Parallel()
	eachPeer(t, func(t *testing.T, url string, start func(t *testing.T) smtpPeer) {
		h := newPeerHarness(t, url, start(t), nil)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		rows := h.outbox()
		if len(rows) < 2 {
			t.Fatalf("%d messages queued, want a confirmation and notifications", len(rows))
		}
		msgs := h.peer.Wait(len(rows)) // Postfix: one copy per recipient; one recipient per row
		for _, r := range rows {
			if r.State != workflow.OutboxSent {
				t.Errorf("%s to %s: state %s (%s), want sent", r.Kind, r.Rcpt, r.State, r.LastError)
			}
			if n := copiesOf(msgs, r.MessageID, r.Rcpt); n != 1 {
				t.Errorf("%s to %s arrived %d times, want once", r.Kind, r.Rcpt, n)
			}
			for _, m := range msgs {
				if bytes.Contains(m.Data, []byte(r.MessageID)) && !bytes.Equal(m.Data, r.Raw) {
					t.Errorf("%s to %s arrived altered", r.Kind, r.Rcpt)
				}
			}
		}
		for _, m := range msgs {
			if m.From != h.cfg.Organisation.Address {
				t.Errorf("envelope sender %q, want %q", m.From, h.cfg.Organisation.Address)
			}
		}
		if c := h.cases()[0]; c.Status != workflow.StatusAcknowledged || c.Unreachable {
			t.Errorf("case %s unreachable=%v, want acknowledged and reachable", c.Status, c.Unreachable)
		}
	})
}

// check proves the server takes our envelope, and says so when it does not.
func TestRealSMTPCheck(t *testing.T) {
	t.Parallel()
	pf := peers.StartPostfix(t, peers.PostfixOptions{})
	h := newPeerHarness(t, storetest.URL(t, "sqlite"), pf, nil)
	out, _, err := run(t, h.ctx, "check", "-config", writeHarnessConfig(t, h.cfg))
	if err != nil || !strings.Contains(out, "smtp: ok") ||
		!strings.Contains(out, "MAIL FROM:<klachten@vlinder.example> and RCPT TO:<klachten@vlinder.example> accepted") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	// Without the account Postfix will not relay our mail: check fails
	// with Postfix's words, where it used to print "smtp: ok".
	h.cfg.SMTP.Username, h.cfg.SMTP.Password = "", ""
	out, _, err = run(t, h.ctx, "check", "-config", writeHarnessConfig(t, h.cfg))
	if err == nil || !strings.Contains(out, "smtp: FAILED") || !strings.Contains(out, "554 5.7.1 <klachten@vlinder.example>: Relay access denied") {
		t.Errorf("check without the SMTP account: %v\n%s", err, out)
	}
	if n := len(pf.Messages()); n != 0 {
		t.Errorf("check sent %d message(s)", n)
	}
}

// RCPT TO 550 5.1.1 for the parent is the parent's address: the confirmation
// fails and the case is flagged; the handlers are still told.
func TestRealSMTPUnknownParentFlagsTheCase(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		pf := peers.StartPostfix(t, peers.PostfixOptions{
			RefuseRecipients: map[string]string{"sanne.jansen@example.nl": "550 5.1.1 User unknown"},
		})
		h := newPeerHarness(t, url, pf, nil)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		conf := h.confirmation()
		if conf.State != workflow.OutboxFailed || !strings.Contains(conf.LastError, "550 5.1.1") {
			t.Errorf("confirmation %s (%s), want failed with the server's answer", conf.State, conf.LastError)
		}
		if c := h.cases()[0]; !c.Unreachable {
			t.Error("case not flagged complainant-unreachable")
		}
		if n := len(pf.Wait(len(h.outbox()) - 1)); n != len(h.outbox())-1 {
			t.Errorf("%d notifications arrived, want %d", n, len(h.outbox())-1)
		}
	})
}

// Our server refusing our transaction is never the parent's fault: the mail
// is held, the log names the server's answer, the case is not flagged; once
// the account is fixed on the server, `outbox retry` sends it exactly once.
// And mail held under one configuration goes out when the daemon starts
// under a corrected one.
func TestRealSMTPRefusalOfOurMailHoldsIt(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		pf := peers.StartPostfix(t, peers.PostfixOptions{})
		h := newPeerHarness(t, url, pf, nil)
		pf.SetPassword("changed-by-the-provider")
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()

		rows := h.outbox()
		for _, r := range rows {
			if r.State != workflow.OutboxHeld || !strings.HasPrefix(r.LastError, "held: server refused: AUTH: 535 5.7.8") {
				t.Errorf("%s to %s: %s (%s), want held with the server's answer", r.Kind, r.Rcpt, r.State, r.LastError)
			}
		}
		if c := h.cases()[0]; c.Unreachable || c.Status != workflow.StatusReceived {
			t.Errorf("case %s unreachable=%v: our server's refusal was blamed on the parent", c.Status, c.Unreachable)
		}
		if logs := h.logs.String(); !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "535 5.7.8") {
			t.Errorf("no ERROR log line naming the server's answer:\n%s", logs)
		}
		config := writeHarnessConfig(t, h.cfg)
		out, _, err := run(t, h.ctx, "outbox", "list", "-config", config, "-state", "held")
		if err != nil || !strings.Contains(out, "held (server)") || !strings.Contains(out, "KL-2026-0001") ||
			!strings.Contains(out, "sanne.jansen@example.nl") || !strings.Contains(out, "535 5.7.8") {
			t.Errorf("outbox list -state held: %v\n%s", err, out)
		}

		// The same configuration again: nothing is released by a restart.
		h.restartLogged()
		h.flush()
		if n := h.countRows("outbox", "state = ?", workflow.OutboxHeld); n != len(rows) {
			t.Errorf("%d of %d held after a restart with the same configuration", n, len(rows))
		}

		// The operator has the account fixed on the server and asks.
		pf.SetPassword(h.cfg.SMTP.Password)
		out, _, err = run(t, h.ctx, "outbox", "retry", "-config", config, "-all-held")
		if err != nil || !strings.Contains(out, "queued again") {
			t.Fatalf("outbox retry -all-held: %v\n%s", err, out)
		}
		h.flush()
		h.flush()
		msgs := pf.Wait(len(rows))
		for _, r := range h.outbox() {
			if r.State != workflow.OutboxSent {
				t.Errorf("%s to %s after retry: %s (%s)", r.Kind, r.Rcpt, r.State, r.LastError)
			}
			if n := copiesOf(msgs, r.MessageID, r.Rcpt); n != 1 {
				t.Errorf("%s to %s arrived %d times, want exactly once", r.Kind, r.Rcpt, n)
			}
		}
		if c := h.cases()[0]; c.Status != workflow.StatusAcknowledged || c.Unreachable {
			t.Errorf("case %s unreachable=%v after the retry", c.Status, c.Unreachable)
		}

		// A new password on the server, then in the configuration: the
		// restart under the new configuration sends the held mail.
		pf.SetPassword("rotated")
		h.restartLogged() // the kept connection stays authenticated otherwise
		h.deliver(rawMail(mailOpts{from: "Peter Hoekstra <p.hoekstra@example.org>", subject: "Facturen", body: "Nog steeds facturen.\n"}))
		h.poll()
		h.flush()
		held := h.countRows("outbox", "state = ?", workflow.OutboxHeld)
		if held == 0 {
			t.Fatal("nothing held after the password was rotated")
		}
		h.cfg.SMTP.Password = "rotated"
		h.restartLogged()
		h.flush()
		if n := h.countRows("outbox", "state <> ?", workflow.OutboxSent); n != 0 {
			t.Errorf("%d messages not sent after the restart under the new configuration", n)
		}
		if n := len(pf.Wait(len(rows) + held)); n != len(rows)+held {
			t.Errorf("%d messages arrived, want %d", n, len(rows)+held)
		}
	})
}

// Mailpit wants AUTH: a daemon configured without its account gets "530
// 5.7.0 Authentication required" at MAIL FROM. That is our configuration:
// held, and sent exactly once when the daemon restarts with the account.
func TestRealSMTPAuthRequiredHoldsUntilConfigured(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		mp := peers.StartMailpit(t)
		h := newPeerHarness(t, url, mp, func(c *Config) { c.SMTP.Username, c.SMTP.Password = "", "" })
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		rows := h.outbox()
		for _, r := range rows {
			if r.State != workflow.OutboxHeld || !strings.HasPrefix(r.LastError, "held: server refused: MAIL FROM: 530 5.7.0") {
				t.Errorf("%s to %s: %s (%s), want held with the server's answer", r.Kind, r.Rcpt, r.State, r.LastError)
			}
		}
		if c := h.cases()[0]; c.Unreachable {
			t.Error("parent flagged for our missing account")
		}
		h.cfg.SMTP.Username, h.cfg.SMTP.Password = mp.Username(), mp.Password()
		h.restartLogged()
		h.flush()
		h.clock.Advance(time.Hour)
		h.flush()
		msgs := mp.Wait(len(rows))
		if len(msgs) != len(rows) {
			t.Errorf("%d messages arrived, want %d", len(msgs), len(rows))
		}
		for _, r := range h.outbox() {
			if n := copiesOf(msgs, r.MessageID, r.Rcpt); r.State != workflow.OutboxSent || n != 1 {
				t.Errorf("%s to %s: %s, arrived %d times; want sent once", r.Kind, r.Rcpt, r.State, n)
			}
		}
	})
}

// The configuration a real deployment has: STARTTLS, smtp.ca_file, an
// account. check passes and the confirmation goes out.
func TestRealSMTPStartTLSWithCAFile(t *testing.T) {
	t.Parallel()
	pf := peers.StartPostfix(t, peers.PostfixOptions{STARTTLS: true})
	h := newPeerHarness(t, storetest.URL(t, "sqlite"), pf, func(c *Config) {
		c.SMTP.TLS, c.SMTP.CAFile = "starttls", pf.CA().CAFile
	})
	out, _, err := run(t, h.ctx, "check", "-config", writeHarnessConfig(t, h.cfg))
	if err != nil || !strings.Contains(out, "smtp: ok") || !strings.Contains(out, "certificate verified") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	h.deliver(complaintFromSanne())
	h.poll()
	h.flush()
	conf := h.confirmation()
	if conf.State != workflow.OutboxSent {
		t.Fatalf("confirmation %s (%s)", conf.State, conf.LastError)
	}
	if n := copiesOf(pf.Wait(len(h.outbox())), conf.MessageID, "sanne.jansen@example.nl"); n != 1 {
		t.Errorf("confirmation arrived %d times", n)
	}
}
