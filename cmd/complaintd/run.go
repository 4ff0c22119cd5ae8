package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/complaintd/complaintd/ops"
	"github.com/complaintd/complaintd/store"
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
	// The process's own environment, not the configuration's: the runtime
	// read GOGC and GOMEMLIMIT from it (gc.go).
	applyGCDefaults(os.Getenv, c.log)
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

// lockCheckInterval is how often the polling daemon confirms that it still
// holds the mailbox lock, during a round or an IDLE wait too; it also checks
// before every round.
const lockCheckInterval = time.Second

// takeoverSettle is how long a daemon that takes the lock on PostgreSQL
// waits before its first round: a holder whose session was lost under it
// needs up to lockCheckInterval plus the check's own bound (2.1 s) to notice
// and stop, and the two must never poll at the same moment. Every new
// holder waits, not only one that saw another daemon poll: a daemon started
// just after the old holder's session ended takes the lock at once, and it
// cannot tell a holder that is gone from one that has not noticed yet.
const takeoverSettle = 4 * time.Second

// pollExclusively polls the mailbox while holding its lock, so that of
// several daemons on one database only one polls a mailbox at a time; the
// others wait and take over if it stops or loses the lock.
func (c *components) pollExclusively(ctx context.Context) {
	name := "imap-poll:" + c.cfg.IMAP.Username + "@" + c.cfg.IMAP.Addr + "/" + c.cfg.IMAP.Mailbox
	log := c.log.With("daemon", daemonName())
	wait := time.NewTimer(0)
	defer wait.Stop()
	standingBy := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		lock, ok, err := c.db.Acquire(ctx, name)
		switch {
		case err != nil:
			log.Error("mailbox lock", "err", err)
		case !ok:
			c.standby.Store(true)
			if !standingBy {
				log.Info("another daemon polls this mailbox; standing by")
				standingBy = true
			}
		default:
			c.standby.Store(false)
			c.pollWhileHeld(ctx, log, lock, standingBy)
			standingBy = false
		}
		wait.Reset(c.cfg.IMAP.PollInterval)
	}
}

// pollWhileHeld polls until ctx ends or the lock is lost, and releases it.
// takeover says that another daemon held the lock when this one last tried.
func (c *components) pollWhileHeld(ctx context.Context, log *slog.Logger, lock *store.Lock, takeover bool) {
	defer lock.Release()
	if lock.Backend != 0 { // PostgreSQL: other daemons may share the mailbox
		if takeover {
			log.Info("took the mailbox lock over from another daemon; waiting for it to stop", "wait", takeoverSettle)
		} else {
			log.Info("took the mailbox lock; waiting in case a daemon that lost it still polls", "wait", takeoverSettle)
		}
		c.standby.Store(true) // still ready: not polling yet, on purpose
		t := time.NewTimer(takeoverSettle)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		c.standby.Store(false)
	}
	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var wg sync.WaitGroup
	// The watchdog ends polling the moment the lock is found lost, in the
	// middle of a round or an IDLE wait.
	wg.Go(func() {
		t := time.NewTicker(lockCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			if err := lock.Held(pctx); err != nil {
				stop(err)
				return
			}
		}
	})
	log.Info("polling this mailbox", "lock_backend", lock.Backend)
	if c.polling != nil {
		c.polling()
	}
	err := c.poller.RunWhile(pctx, lock.Held)
	if err == nil {
		err = context.Cause(pctx)
	}
	stop(nil)
	wg.Wait()
	switch {
	case ctx.Err() != nil:
		log.Info("stopped polling: the daemon stops")
	case errors.Is(err, store.ErrLockLost):
		log.Error("stopped polling: lost the mailbox lock; another daemon may poll now", "why", err.Error())
	case err != nil:
		log.Error("stopped polling: the poller failed", "err", err)
	}
}

// daemonName names this daemon in the log: host, process id and a random
// tag (two daemons in one process, as in tests, differ too).
func daemonName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	var tag [2]byte
	_, _ = rand.Read(tag[:])
	return fmt.Sprintf("%s[%d]#%x", host, os.Getpid(), tag)
}
