package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/ops"
	"github.com/complaintd/complaintd/workflow"
)

// HTTPConfig is the optional listener for /healthz, /readyz and /metrics.
type HTTPConfig struct {
	// Addr is host:port; empty turns the listener off. A bare ":port"
	// listens on 127.0.0.1 only.
	Addr string `toml:"addr"`
	// AllowRemote permits an address other than loopback: the endpoints
	// have no authentication, so exposing them is a deliberate choice.
	AllowRemote bool `toml:"allow_remote"`
}

func (h HTTPConfig) problems() []error {
	if h.Addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(h.Addr)
	if err != nil || port == "" {
		return []error{fmt.Errorf("http.addr: %q must be host:port, like 127.0.0.1:9464", h.Addr)}
	}
	if host != "" && !mailbox.IsLoopbackHost(host) && !h.AllowRemote {
		return []error{fmt.Errorf("http.addr: %q is not a loopback address; the endpoints have no authentication, so set http.allow_remote = true to listen there on purpose", h.Addr)}
	}
	return nil
}

// listenAddr is http.addr with a bare ":port" bound to loopback.
func (h HTTPConfig) listenAddr() string {
	host, port, _ := net.SplitHostPort(h.Addr)
	if host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return h.Addr
}

// observer counts what the daemon does for the metrics and remembers what
// readiness needs to know about sending.
type observer struct {
	metrics *ops.Metrics
	log     *slog.Logger

	mu          sync.Mutex
	smtpRefusal error // the last server-level refusal, until a send succeeds
}

// transport wraps the SMTP sender so every attempt is counted.
func (o *observer) transport(t workflow.Transport) workflow.Transport {
	return observedTransport{t: t, o: o}
}

type observedTransport struct {
	t workflow.Transport
	o *observer
}

// Connections passes on how many sends the wrapped transport runs at once
// (the outbox sends that many in parallel: issue 16).
func (ot observedTransport) Connections() int {
	if p, ok := ot.t.(interface{ Connections() int }); ok {
		return p.Connections()
	}
	return 1
}

func (ot observedTransport) Send(ctx context.Context, from string, to []string, raw []byte) error {
	err := ot.t.Send(ctx, from, to, raw)
	ot.o.sendResult(err)
	return err
}

func (o *observer) sendResult(err error) {
	var tmp interface{ Temporary() bool }
	result := "sent"
	switch {
	case err == nil:
	case errors.As(err, &tmp) && tmp.Temporary():
		result = "temporary"
	default:
		result = "permanent"
	}
	o.metrics.SendResult(result, time.Now())
	// A refusal of one recipient says nothing about the server; anything
	// else that failed (connect, AUTH, MAIL FROM, DATA) stops all mail.
	var se *mailbox.SMTPError
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case err == nil:
		o.smtpRefusal = nil
	case errors.As(err, &se) && se.Op == "RCPT TO":
	case errors.Is(err, context.Canceled):
	default:
		o.smtpRefusal = err
	}
}

// settled counts one processed message with the outcome Process reported.
// A message a stop interrupted is not counted: it neither settled nor
// failed, and is tried at the next start with its attempt given back.
func (o *observer) settled(s workflow.Settled, procErr error, took time.Duration) {
	if errors.Is(procErr, context.Canceled) {
		return
	}
	if procErr != nil {
		o.metrics.MessageSettled("failed", "", took)
		return
	}
	kind := ""
	if s.State != workflow.LedgerProcessed {
		kind = workflow.ReasonKind(s.Reason)
	}
	o.metrics.MessageSettled(s.State, kind, took)
}

// readiness lists the checks /readyz runs.
func (c *components) readiness() []ops.Check {
	checks := c.baseReadiness()
	if c.tokens != nil {
		checks = append(checks, ops.Check{Name: "oauth2", Fn: oauth2Ready(c.tokens)})
	}
	return checks
}

func (c *components) baseReadiness() []ops.Check {
	return []ops.Check{
		{Name: "database", Fn: c.db.Ping},
		{Name: "imap", Fn: c.imapReady},
		{Name: "smtp", Fn: func(context.Context) error {
			c.obs.mu.Lock()
			defer c.obs.mu.Unlock()
			if c.obs.smtpRefusal != nil {
				return fmt.Errorf("the last attempt to send failed: %w", c.obs.smtpRefusal)
			}
			return nil
		}},
		{Name: "outbox", Fn: func(ctx context.Context) error {
			s, err := c.wf.Stats(ctx)
			if err != nil {
				return err
			}
			if s.HeldByRefusal > 0 {
				return fmt.Errorf("%d message(s) held because the mail server refused them (see complaintd outbox)", s.HeldByRefusal)
			}
			return nil
		}},
	}
}

// imapReady: connected, or a round finished within two poll intervals, or
// standing by while another daemon polls the mailbox.
func (c *components) imapReady(context.Context) error {
	if c.standby.Load() {
		return nil
	}
	h := c.poller.Health()
	if h.Connected || (!h.LastRound.IsZero() && time.Since(h.LastRound) < 2*c.cfg.IMAP.PollInterval) {
		return nil
	}
	if h.LastError != nil {
		return fmt.Errorf("not connected (%d failure(s) in a row since %s): %w",
			h.FailuresInRow, h.LastErrorAt.Format(time.RFC3339), h.LastError)
	}
	return errors.New("not connected yet")
}

// snapshot maps the workflow's counts onto the metrics' gauges.
func (c *components) snapshot(ctx context.Context) (ops.Snapshot, error) {
	s, err := c.wf.Stats(ctx)
	if err != nil {
		return ops.Snapshot{}, err
	}
	return ops.Snapshot{Outbox: s.Outbox, OldestUnsent: s.OldestUnsent, Cases: s.OpenCases,
		PastDeadline: s.PastDeadline, Scheduled: s.Scheduled}, nil
}

// serveOps starts the HTTP listener when http.addr is set. The listener is
// opened before it returns, so a bad or busy address stops start-up.
func (c *components) serveOps(ctx context.Context, wg *sync.WaitGroup) (*ops.Server, error) {
	if c.cfg.HTTP.Addr == "" {
		return nil, nil
	}
	srv := &ops.Server{Addr: c.cfg.HTTP.listenAddr(), Checks: c.readiness(), Metrics: c.obs.metrics, Log: c.log}
	ln, err := srv.Listen()
	if err != nil {
		return nil, err
	}
	c.log.Info("http listening", "addr", ln.Addr().String(), "endpoints", "/healthz /readyz /metrics")
	wg.Go(func() {
		if err := srv.Serve(ctx, ln); err != nil {
			c.log.Error("http stopped", "err", err)
		}
	})
	return srv, nil
}

// notifySystemd tells systemd the daemon is ready and keeps its watchdog
// fed until ctx ends. Outside systemd it does nothing.
func notifySystemd(ctx context.Context, n *ops.Notifier, log *slog.Logger, wg *sync.WaitGroup) {
	if n == nil {
		return
	}
	if err := n.Notify("READY=1\nSTATUS=polling the mailbox"); err != nil {
		log.Warn("systemd notification failed", "err", err)
	}
	every := n.WatchdogInterval()
	if every <= 0 {
		return
	}
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := n.Notify("WATCHDOG=1"); err != nil {
					log.Warn("systemd watchdog notification failed", "err", err)
				}
			}
		}
	})
}
