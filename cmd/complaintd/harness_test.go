package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/workflow"
)

// harness runs the real daemon against in-process IMAP and SMTP servers and
// a real database, on a clock the test moves. Steps run synchronously
// (poll, flush) so tests need no sleeps; TestDaemonRunsOnItsOwn covers the
// loops themselves.
type harness struct {
	t     *testing.T
	ctx   context.Context
	imap  *mailtest.IMAPServer
	smtp  *mailtest.SMTPServer
	cfg   *Config
	clock *workflow.ManualClock
	c     *components
}

var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// startPeers starts the in-process IMAP and SMTP servers a test's daemon uses, closed when the test ends.
func startPeers(t *testing.T) (*mailtest.IMAPServer, *mailtest.SMTPServer) {
	t.Helper()
	imapSrv, err := mailtest.StartIMAP(mailtest.IMAPOptions{Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { imapSrv.Close() })
	smtpSrv, err := mailtest.StartSMTP(mailtest.SMTPOptions{TLS: "none", Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smtpSrv.Close() })
	return imapSrv, smtpSrv
}

func newHarness(t *testing.T, dbURL string) *harness {
	t.Helper()
	return newHarnessWith(t, dbURL, nil)
}

// newHarnessWith is newHarness with a change to the configuration.
func newHarnessWith(t *testing.T, dbURL string, change func(*Config)) *harness {
	t.Helper()
	imapSrv, smtpSrv := startPeers(t)
	cfg := demoConfig(t.TempDir(), imapSrv.Addr(), smtpSrv.Addr())
	cfg.Database.URL = dbURL
	// One mail at a time, so that a refusal set up with h.smtp.Refuse(1, …)
	// meets the oldest message; the tests of the pool set their own.
	cfg.SMTP.Connections = 1
	if change != nil {
		change(cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, ctx: t.Context(), imap: imapSrv, smtp: smtpSrv, cfg: cfg,
		clock: workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)),
	}
	h.start()
	return h
}

// testLog sends logs to the test's output, shown when it fails.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start builds the daemon's parts, as a (re)start of the process does.
func (h *harness) start() {
	h.t.Helper()
	c, err := build(h.ctx, h.cfg, testLog(h.t), options{clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
	h.t.Cleanup(c.close)
}

// restart drops every part of the daemon and builds it again from the
// same configuration and database: what survives is what was committed.
func (h *harness) restart() {
	h.t.Helper()
	h.c.close()
	h.start()
}

// deliver puts a message in the inbox, received now by the test clock.
func (h *harness) deliver(raw []byte) uint32 {
	h.t.Helper()
	uid, err := h.imap.Deliver("INBOX", raw, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return uid
}

// poll runs one polling round: everything in the inbox is handled and moved.
func (h *harness) poll() {
	h.t.Helper()
	if err := h.c.poller.PollOnce(h.ctx); err != nil {
		h.t.Fatalf("poll: %v", err)
	}
}

// flush sends everything that is due now.
func (h *harness) flush() {
	h.t.Helper()
	for {
		n, err := h.c.wf.DeliverDue(h.ctx)
		if err != nil {
			h.t.Fatalf("outbox: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// sentMail is a message the SMTP server accepted, parsed.
type sentMail struct {
	to   []string
	raw  []byte
	msg  *mailbox.Message
	text string
}

func (s sentMail) header(k string) string { return s.msg.Header().Get(k) }

// sent returns everything the SMTP server accepted so far.
func (h *harness) sent() []sentMail {
	h.t.Helper()
	var out []sentMail
	for _, c := range h.smtp.Messages() {
		m, err := mailbox.Parse(c.Raw)
		if err != nil {
			h.t.Fatalf("we sent an unparseable message: %v", err)
		}
		out = append(out, sentMail{to: c.To, raw: c.Raw, msg: m, text: m.Text()})
	}
	return out
}

// sentTo returns the mail sent to addr.
func (h *harness) sentTo(addr string) []sentMail {
	var out []sentMail
	for _, m := range h.sent() {
		for _, to := range m.to {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

func (h *harness) cases() []workflow.Case {
	h.t.Helper()
	cs, err := h.c.wf.Cases(h.ctx, workflow.CaseFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return cs
}

func (h *harness) folder(name string) []mailtest.StoredMessage {
	h.t.Helper()
	msgs, err := h.imap.Messages(name)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

// countRows counts rows of a table matching where.
func (h *harness) countRows(table, where string, args ...any) int {
	h.t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := h.c.db.Get(h.ctx, &n, q, args...); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// mailOpts are the parts of a test message.
type mailOpts struct {
	from, to, subject, id, inReplyTo, refs, body string
	extra                                        []string
}

// rawMail writes a plain-text message the way a mail client would.
func rawMail(o mailOpts) []byte {
	if o.to == "" {
		o.to = "Kinderopvang De Vlinder - Klachten <klachten@vlinder.example>"
	}
	if o.id == "" {
		o.id = fmt.Sprintf("%d@mail.example.nl", time.Now().UnixNano())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Thu, 19 Nov 2026 21:40:00 +0100\r\nMessage-ID: <%s>\r\n", o.from, o.to, o.subject, o.id)
	if o.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", o.inReplyTo)
	}
	if o.refs != "" {
		fmt.Fprintf(&b, "References: %s\r\n", o.refs)
	}
	for _, x := range o.extra {
		b.WriteString(x + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(o.body, "\n", "\r\n"))
	return []byte(b.String())
}
