package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintd/complaintd/store"
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

// openWorkflowAtFlag opens the workflow on a clock standing still at the
// moment of an -at flag (now when it is empty), read in the organisation's
// time zone (the moment returned is in that zone).
func openWorkflowAtFlag(ctx context.Context, cfg *Config, at string) (*workflow.Workflow, time.Time, func(), error) {
	loc, _ := time.LoadLocation(cfg.Organisation.Timezone)
	now, err := parseAt(at, loc)
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	wf, closeFn, err := openWorkflowAt(ctx, cfg, workflow.NewManualClock(now))
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	return wf, now.In(loc), closeFn, nil
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
	wf, now, closeFn, err := openWorkflowAtFlag(ctx, cfg, *at)
	if err != nil {
		return err
	}
	defer closeFn()
	dues, err := wf.DueAt(ctx, now)
	if err != nil {
		return err
	}
	// A measure's text is the case's content.
	shown := workflow.Accessed{}
	for _, d := range dues {
		if d.CaseID != 0 {
			shown.Cases = append(shown.Cases, d.CaseID)
		}
	}
	if len(shown.Cases) > 0 {
		if err := logAccess(ctx, wf, env, "due", shown); err != nil {
			return err
		}
	}
	loc := now.Location()
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
		results, err := c.wf.SendDigestsNow(ctx, now, !daemonSends)
		if err != nil {
			return err
		}
		day := now.In(loc).Format(time.DateOnly)
		failed := 0
		for _, r := range results {
			what := r.Note
			if r.Sent {
				what = digestOutcome(r.State, r.LastError, daemonSends)
			}
			if r.Undelivered() {
				failed++
			}
			fmt.Fprintf(stdout, "digest of %s for %s <%s>: %s\n", day, r.Manager.Name, r.Manager.Email, what)
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
	previews, err := wf.PreviewDigests(ctx, now)
	if err != nil {
		return err
	}
	// Rendered first, so that the access log names the cases shown.
	var out strings.Builder
	shown := workflow.Accessed{}
	for _, p := range previews {
		fmt.Fprintf(&out, "==== digest for %s <%s>\n", p.Manager.Name, p.Manager.Email)
		if p.Empty {
			fmt.Fprintln(&out, "nothing to report: no digest would be sent")
			continue
		}
		shown.Refs = append(shown.Refs, p.Refs...)
		fmt.Fprintf(&out, "Subject: %s\n\n%s\n", p.Subject, p.Text)
	}
	if err := logAccess(ctx, wf, env, "digest", shown); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, out.String())
	return err
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
