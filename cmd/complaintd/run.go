package main

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/complaintd/complaintd/ops"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("run [-config FILE]", "Runs the daemon until SIGINT or SIGTERM.", stderr, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	c, err := build(ctx, cfg, log, options{})
	if err != nil {
		return err
	}
	defer c.close()
	log.Info("complaintd started", append(readVersion().logAttrs(),
		"mailbox", cfg.IMAP.Mailbox, "database", c.db.Dialect(), "handlers", len(cfg.Handlers))...)
	var side sync.WaitGroup // the HTTP listener and the watchdog
	defer side.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := c.serveOps(ctx, &side); err != nil {
		return err
	}
	notifier, err := ops.NewNotifier(env, os.Getpid())
	if err != nil {
		log.Warn("not notifying systemd", "err", err)
	}
	notifySystemd(ctx, notifier, log, &side)
	c.run(ctx)
	_ = notifier.Notify("STOPPING=1")
	log.Info("complaintd stopped")
	return nil
}

// run runs the daemon's loops until ctx ends and waits for them to stop.
func (c *components) run(ctx context.Context) { c.runLoops(ctx, true) }

// runLoops runs the poller and the outbox, and the scheduler when asked
// (the demo runs without it: its real clock would make digests come and go
// with the time of day).
func (c *components) runLoops(ctx context.Context, scheduler bool) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.wf.RunOutbox(ctx); err != nil {
			c.log.Error("outbox stopped", "err", err)
		}
	})
	wg.Go(func() { c.pollExclusively(ctx) })
	// Messages an operator released from quarantine (complaintd quarantine
	// release) are processed again from the ledger, once per poll interval.
	wg.Go(func() {
		if err := c.wf.RunReleased(ctx, c.cfg.IMAP.PollInterval); err != nil {
			c.log.Error("released messages stopped", "err", err)
		}
	})
	if scheduler {
		wg.Go(func() {
			if err := c.wf.RunScheduler(ctx); err != nil {
				c.log.Error("scheduler stopped", "err", err)
			}
		})
	}
	wg.Wait()
}

// pollExclusively polls the mailbox while holding its lock, so that of
// several daemons on one database only one polls a mailbox at a time; the
// others wait and take over if it stops.
func (c *components) pollExclusively(ctx context.Context) {
	name := "imap-poll:" + c.cfg.IMAP.Username + "@" + c.cfg.IMAP.Addr + "/" + c.cfg.IMAP.Mailbox
	wait := time.NewTimer(0)
	defer wait.Stop()
	announced := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		release, ok, err := c.db.TryLock(ctx, name)
		switch {
		case err != nil:
			c.log.Error("mailbox lock", "err", err)
		case !ok:
			c.standby.Store(true)
			if !announced {
				c.log.Info("another daemon polls this mailbox; standing by")
				announced = true
			}
		default:
			announced = false
			c.standby.Store(false)
			if err := c.poller.Run(ctx); err != nil {
				c.log.Error("poller stopped", "err", err)
			}
			release()
		}
		wait.Reset(c.cfg.IMAP.PollInterval)
	}
}
