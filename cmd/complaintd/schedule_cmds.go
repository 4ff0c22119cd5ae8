package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// parseAt reads the moment given with -at, in the organisation's zone:
// "2026-12-31", "2026-12-31 09:00", "2026-12-31T09:00" or RFC 3339.
func parseAt(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: -at %q: write a moment like 2026-12-31 or 2026-12-31T09:00", errUsage, s)
}

// openWorkflowAt opens the database and settings with the clock set to at.
func openWorkflowAt(ctx context.Context, cfg *Config, clock workflow.Clock) (*workflow.Workflow, func(), error) {
	tpl, err := templates.New(cfg.Templates.Dir)
	if err != nil {
		return nil, nil, err
	}
	db, err := openExistingDB(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	set, err := workflowSettings(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	wf, err := workflow.New(workflow.Deps{DB: db, Parse: parseMail, Render: tpl, Compose: mailbox.Compose, ComposeFiles: composeFiles, ReadFiles: readFiles,
		Clock: clock, Log: slog.New(slog.DiscardHandler), Settings: set})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return wf, func() { db.Close() }, nil
}

func cmdDue(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("due [-config FILE] [-at TIME]",
		"Lists the scheduled work that is due at a moment (now by default) and not yet done: reminders,\nprogress messages, deadline notices, measures and digests. Nothing is sent.", stderr, env)
	at := fs.String("at", "", "the `moment` to look at, e.g. 2026-12-31 or 2026-12-31T09:00 (organisation's time zone)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	loc, _ := time.LoadLocation(cfg.Organisation.Timezone)
	now, err := parseAt(*at, loc)
	if err != nil {
		return err
	}
	wf, closeFn, err := openWorkflowAt(ctx, cfg, workflow.NewManualClock(now))
	if err != nil {
		return err
	}
	defer closeFn()
	dues, err := wf.DueAt(ctx, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "due at %s:\n", now.In(loc).Format("Monday 2 January 2006 15:04 MST"))
	if len(dues) == 0 {
		fmt.Fprintln(stdout, "nothing")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SINCE\tKIND\tCASE\tWHAT")
	for _, d := range dues {
		ref := d.Reference
		if ref == "" {
			ref = "-"
		}
		if d.Kind == workflow.DueDigest {
			// Built here, not in DueAt: the daemon's scheduler lists what
			// is due every minute and builds a digest only to send it.
			v, err := wf.BuildDigest(ctx, *d.Manager, now)
			if err != nil {
				return err
			}
			if v.Empty() {
				d.What += " (nothing to report: recorded, not sent)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.At.In(loc).Format("2006-01-02 15:04"), d.Kind, oneLine(ref), oneLine(d.What))
	}
	return tw.Flush()
}

func cmdDigest(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("digest [-config FILE] [-at TIME] [-manager EMAIL] [-send]",
		"Prints each manager's digest as it would be at a moment (now by default). With -send, sends\ntoday's digests now (each manager gets one digest a day; one already sent is not sent again).", stderr, env)
	at := fs.String("at", "", "the `moment` to look at, e.g. 2026-12-31T07:30 (organisation's time zone)")
	only := fs.String("manager", "", "only the manager with this `email` address")
	send := fs.Bool("send", false, "send the digests instead of printing them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	if len(cfg.Managers) == 0 {
		return errors.New("no [[managers]] are configured: there is nobody to send a digest to")
	}
	loc, _ := time.LoadLocation(cfg.Organisation.Timezone)
	now, err := parseAt(*at, loc)
	if err != nil {
		return err
	}
	if *only != "" {
		var kept []ManagerConfig
		for _, m := range cfg.Managers {
			if strings.EqualFold(m.Email, *only) {
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			return fmt.Errorf("no manager %s in the configuration", *only)
		}
		cfg.Managers = kept
	}
	clock := workflow.NewManualClock(now)
	if *send && now.In(loc).Format(time.DateOnly) != time.Now().In(loc).Format(time.DateOnly) {
		// A digest recorded for another day would block that day's real
		// one, or wait in the outbox until its date.
		return fmt.Errorf("%w: -send sends today's digests; -at is for looking only (drop -at, or drop -send)", errUsage)
	}
	if *send {
		c, err := build(ctx, cfg, newLogger(cfg, stderr), options{clock: clock})
		// On SQLite a running daemon holds the file: queue the digests
		// beside it and leave the sending to it (its claims are its own).
		daemonSends := errors.Is(err, store.ErrInUse)
		if daemonSends {
			c, err = build(ctx, cfg, newLogger(cfg, stderr), options{clock: clock, shared: true})
		}
		if err != nil {
			return err
		}
		defer c.close()
		outs, err := c.wf.SendDigests(ctx, now)
		if err != nil {
			return err
		}
		for !daemonSends {
			tried, err := c.wf.DeliverDue(ctx)
			if err != nil {
				return err
			}
			if tried == 0 {
				break
			}
		}
		day := now.In(loc).Format(time.DateOnly)
		failed := 0
		for _, o := range outs {
			what := o.Note
			if o.Sent {
				state, lastErr, err := c.wf.DigestDelivery(ctx, o.Manager)
				if err != nil {
					return err
				}
				what = digestOutcome(state, lastErr, daemonSends)
				if state == workflow.OutboxFailed || state == workflow.OutboxBounced || state == workflow.OutboxHeld {
					failed++
				}
			}
			fmt.Fprintf(stdout, "digest of %s for %s <%s>: %s\n", day, o.Manager.Name, o.Manager.Email, what)
		}
		if failed > 0 {
			return fmt.Errorf("%d digest(s) not delivered", failed)
		}
		return nil
	}
	wf, closeFn, err := openWorkflowAt(ctx, cfg, clock)
	if err != nil {
		return err
	}
	defer closeFn()
	for _, mc := range cfg.Managers {
		m, _ := wf.Manager(mc.Email)
		v, subject, text, err := wf.RenderDigest(ctx, m, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "==== digest for %s <%s>\n", m.Name, m.Email)
		if v.Empty() {
			fmt.Fprintln(stdout, "nothing to report: no digest would be sent")
			continue
		}
		fmt.Fprintf(stdout, "Subject: %s\n\n%s\n", subject, text)
	}
	return nil
}

// digestOutcome says truthfully what became of a digest handed to the
// outbox: sent, failed for good, held back, or still being tried.
func digestOutcome(state, lastErr string, daemonSends bool) string {
	why := ""
	if lastErr != "" {
		why = " (" + lastErr + ")"
	}
	switch {
	case state == workflow.OutboxSent:
		return "sent"
	case state == workflow.OutboxFailed, state == workflow.OutboxBounced:
		return "FAILED, not delivered; it will not be tried again" + why
	case state == workflow.OutboxHeld && strings.HasPrefix(lastErr, workflow.HeldByServerPrefix):
		// Not retried by the daemon until the operator acts.
		return "HELD, not sent: " + lastErr + "; fix the SMTP settings or the server, then restart the daemon or run: complaintd outbox retry -all-held"
	case state == workflow.OutboxHeld:
		return "HELD back, not sent" + why
	case daemonSends && state == workflow.OutboxQueued:
		return "queued; the running daemon sends it (within a minute)"
	default:
		return "queued, not yet accepted by the mail server; the daemon keeps trying" + why
	}
}
