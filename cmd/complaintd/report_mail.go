package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/workflow"
)

// mailReport is `complaintd report -year Y -mail`: the 1 May reminder, now,
// to every manager, with the report attached. It goes through the outbox:
// the command sends it, or, on SQLite while the daemon holds the database,
// queues it beside the daemon, which sends it.
func mailReport(ctx context.Context, config string, year int, stdout, stderr io.Writer, env func(string) string) error {
	cfg, err := loadConfig(config, env)
	if err != nil {
		return err
	}
	if len(cfg.Managers) == 0 {
		return errors.New("no [[managers]] are configured: there is nobody to mail the report to")
	}
	c, err := build(ctx, cfg, newLogger(cfg, stderr), options{})
	daemonSends := errors.Is(err, store.ErrInUse)
	if daemonSends {
		c, err = build(ctx, cfg, newLogger(cfg, stderr), options{shared: true})
	}
	if err != nil {
		return err
	}
	defer c.close()
	results, err := c.wf.MailReport(ctx, year, !daemonSends)
	if errors.Is(err, workflow.ErrNoReport) {
		return fmt.Errorf("no report for %d: no complaints were received and no Klachtenloket or Geschillencommissie case was filed in that year, so the law asks for none (Wko art. 1.57b(9))", year)
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		what := r.Note
		if what == "" {
			what = digestOutcome(r.State, r.LastError, daemonSends)
			switch r.State {
			case workflow.OutboxFailed, workflow.OutboxBounced, workflow.OutboxHeld:
				failed++
			}
		}
		fmt.Fprintf(stdout, "annual complaints report %d for %s <%s>: %s\n", year, r.Manager.Name, r.Manager.Email, what)
	}
	if failed > 0 {
		return fmt.Errorf("%d report mail(s) not delivered", failed)
	}
	return nil
}
