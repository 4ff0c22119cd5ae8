package mailbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Reconnect backoff bounds for Run.
const (
	reconnectMin = time.Second
	reconnectMax = 5 * time.Minute
)

// Fetched is one message as it was fetched from the server. The key
// (Mailbox, UIDValidity, UID) names it uniquely (RFC 9051 2.3.1.1).
type Fetched struct {
	Mailbox      string
	UIDValidity  uint32
	UID          uint32
	InternalDate time.Time // when the server received it: the receipt time
	Size         int64     // RFC822.SIZE, or len(Raw) when the server sent none
	Raw          []byte    // exact bytes of BODY[]
}

// Outcome tells the poller where a handled message goes.
type Outcome int

const (
	Done       Outcome = iota // processed or ignored: MOVE to ProcessedMailbox
	Quarantine                // MOVE to QuarantineMailbox
)

// HandlerFunc processes one message. It is called only for messages still in
// the mailbox. A non-nil error leaves the message where it is; it is offered
// again on the next round (the handler itself counts attempts and eventually
// answers Quarantine). The message is moved only after the handler returned,
// so a crash in between offers it again: the handler must be idempotent.
type HandlerFunc func(ctx context.Context, m Fetched) (Outcome, error)

// Poller reads one IMAP mailbox and hands every message to a HandlerFunc.
// Run and PollOnce must not be used concurrently on one Poller; Check and
// Wake may be called at any time.
type Poller struct {
	cfg        IMAPConfig
	serverName string
	handle     HandlerFunc
	group      StagedGroupHandlerFunc // when set, messages are handed over in groups (imap_group.go)
	log        *slog.Logger
	wake       chan struct{}

	warnNoExpunge sync.Once
	health        healthState

	mu          sync.Mutex
	uidValidity uint32 // last seen, 0 before the first SELECT
}

// NewPoller validates cfg, taken as given (errors wrap ErrInvalidConfig and
// name the field). log may be nil.
func NewPoller(cfg IMAPConfig, handle HandlerFunc, log *slog.Logger) (*Poller, error) {
	if handle == nil {
		return nil, configError("handler", "is nil")
	}
	host, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "imap", "addr", cfg.Addr)
	if cfg.TLS == TLSNone && !IsLoopbackHost(host) {
		log.Warn("imap without TLS to a non-loopback address (AllowInsecure): credentials and mail cross the network in the clear")
	}
	return &Poller{
		cfg:        cfg,
		serverName: host,
		handle:     handle,
		log:        log,
		wake:       make(chan struct{}, 1),
	}, nil
}

// Config returns the configuration with defaults applied.
func (p *Poller) Config() IMAPConfig { return p.cfg }

// Wake makes a running Run start a round now. It never blocks.
func (p *Poller) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// connect opens and prepares a session: login, folders, ready to SELECT.
func (p *Poller) connect(ctx context.Context) (*imapSession, []string, error) {
	s, err := dialIMAP(ctx, p.cfg, p.serverName, p.log)
	if err != nil {
		return nil, nil, err
	}
	created, err := s.ensureMailboxes(ctx, p.cfg.ProcessedMailbox, p.cfg.QuarantineMailbox)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	return s, created, nil
}

// PollOnce connects, processes everything currently in the mailbox, moves it
// and logs out.
func (p *Poller) PollOnce(ctx context.Context) error {
	s, _, err := p.connect(ctx)
	if err != nil {
		return err
	}
	st, err := p.round(ctx, s)
	if err != nil {
		s.close()
		return err
	}
	p.logRound(st)
	s.logout()
	return nil
}

// Run polls until ctx is done and then returns nil. Each cycle runs a round
// and then waits with IDLE, or sleeps PollInterval when the server has no
// IDLE. Connection failures are logged and retried with exponential backoff
// and jitter (1s doubling to 5 min, reset after a successful round); the
// connection is kept between rounds.
func (p *Poller) Run(ctx context.Context) error { return p.RunWhile(ctx, nil) }

// RunWhile is Run, except that before every round it asks mayPoll (when
// not nil) and returns its error, without polling, once it has one: a
// daemon that must hold a lock to poll stops the moment it cannot show it
// does.
func (p *Poller) RunWhile(ctx context.Context, mayPoll func(context.Context) error) error {
	bo := newBackoff(reconnectMin, reconnectMax)
	var s *imapSession
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	fail := func(err error) bool {
		if s != nil {
			s.close()
			s = nil
		}
		if ctx.Err() != nil {
			return false
		}
		d := bo.Delay()
		repeated, failures := p.noteFailure(err, time.Now())
		switch {
		case needsOperator(err) && !repeated:
			// Said once, at ERROR, in words an operator acts on; the
			// retries that follow are quiet until it works again.
			p.log.Error("imap: "+operatorHint(err)+"; retrying with backoff until it is fixed", "err", err, "retry_in", d.Round(time.Millisecond))
		case needsOperator(err):
			p.log.Debug("imap still failing", "err", err, "failures", failures, "retry_in", d.Round(time.Millisecond))
		default:
			p.log.Warn("imap connection failed; retrying", "err", err, "retry_in", d.Round(time.Millisecond))
		}
		return sleepCtx(ctx, d, nil)
	}

	for ctx.Err() == nil {
		if s != nil && s.closed() {
			s.close()
			s = nil
		}
		if s == nil {
			var err error
			if s, _, err = p.connect(ctx); err != nil {
				s = nil
				if !fail(err) {
					return nil
				}
				continue
			}
			if h := p.Health(); h.FailuresInRow > 0 {
				p.log.Info("imap connection restored", "failures", h.FailuresInRow)
			}
			p.noteConnected(true)
			p.log.Info("imap connected", "mailbox", p.cfg.Mailbox, "idle", s.caps.Has(imap.CapIdle),
				"move", s.caps.Has(imap.CapMove), "uidplus", s.caps.Has(imap.CapUIDPlus))
		}
		if mayPoll != nil {
			if err := mayPoll(ctx); err != nil {
				return err
			}
		}
		st, err := p.round(ctx, s)
		if err != nil {
			if !fail(err) {
				return nil
			}
			continue
		}
		p.logRound(st)
		p.noteRound(time.Now())
		bo.Reset()
		if err := p.waitForMail(ctx, s); err != nil {
			if !fail(err) {
				return nil
			}
			continue
		}
		if p.tokenRenewed(ctx, s) {
			p.log.Info("imap: the OAuth2 token was renewed; logging in again with the new one")
			s.logout()
			s = nil
		}
	}
	return nil
}

func (p *Poller) logRound(st roundStats) {
	if st.Offered == 0 && st.Skipped == 0 {
		return
	}
	p.log.Info("imap round done", "mailbox", p.cfg.Mailbox, "uidvalidity", st.UIDValidity, "offered", st.Offered,
		"done", st.Done, "quarantine", st.Quarantine, "failed", st.Failed, "skipped", st.Skipped)
}

// noteUIDValidity logs a changed UIDVALIDITY. Nothing else is needed: the
// messages still in the mailbox are offered again under their new UIDs and
// the handler recognises them by content.
func (p *Poller) noteUIDValidity(v uint32) {
	p.mu.Lock()
	old := p.uidValidity
	p.uidValidity = v
	p.mu.Unlock()
	if old != 0 && old != v {
		p.log.Warn("imap UIDVALIDITY changed; remaining messages are offered again under new UIDs",
			"mailbox", p.cfg.Mailbox, "old", old, "new", v)
	}
}

// Check connects, logs in, selects the mailbox and describes what it
// found, changing nothing: a missing Processed or Quarantine folder is
// reported, not created (Run creates them; CheckCreate does now). Used by
// `complaintd check`.
func (p *Poller) Check(ctx context.Context) (string, error) { return p.check(ctx, false) }

// CheckCreate is Check that also creates the missing folders
// (`complaintd check -create`).
func (p *Poller) CheckCreate(ctx context.Context) (string, error) { return p.check(ctx, true) }

func (p *Poller) check(ctx context.Context, create bool) (string, error) {
	s, err := dialIMAP(ctx, p.cfg, p.serverName, p.log)
	if err != nil {
		return "", err
	}
	defer s.logout()
	folders := []string{p.cfg.ProcessedMailbox, p.cfg.QuarantineMailbox}
	var created, missing []string
	if create {
		if created, err = s.ensureMailboxes(ctx, folders...); err != nil {
			return "", err
		}
	} else {
		for _, name := range folders {
			ok, err := s.mailboxExists(name)
			if err != nil {
				return "", s.wrap(ctx, fmt.Sprintf("LIST %q", name), err)
			}
			if !ok {
				missing = append(missing, fmt.Sprintf("%q", name))
			}
		}
	}
	sel, err := s.selectMailbox(ctx)
	if err != nil {
		return "", err
	}
	yesNo := func(c imap.Cap) string {
		if s.caps.Has(c) {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "IMAP %s over %s, logged in as %s (%s). ", p.cfg.Addr, s.tls, p.cfg.Username, p.cfg.Auth)
	fmt.Fprintf(&b, "Server: %s; IDLE %s, MOVE %s, UIDPLUS %s. ",
		imapVersion(s.caps), yesNo(imap.CapIdle), yesNo(imap.CapMove), yesNo(imap.CapUIDPlus))
	fmt.Fprintf(&b, "Mailbox %q holds %d message(s), UIDVALIDITY %d. ", p.cfg.Mailbox, sel.NumMessages, sel.UIDValidity)
	switch {
	case len(missing) > 0:
		fmt.Fprintf(&b, "MISSING folder(s) %s: the daemon creates them when it starts, or `complaintd check -create` makes them now", strings.Join(missing, " and "))
	case len(created) > 0:
		fmt.Fprintf(&b, "Folders %q and %q are present (created now: %s)", p.cfg.ProcessedMailbox, p.cfg.QuarantineMailbox, strings.Join(created, ", "))
	default:
		fmt.Fprintf(&b, "Folders %q and %q are present", p.cfg.ProcessedMailbox, p.cfg.QuarantineMailbox)
	}
	b.WriteString(".")
	if !s.caps.Has(imap.CapIdle) {
		fmt.Fprintf(&b, " Without IDLE the mailbox is polled every %v.", p.cfg.PollInterval)
	}
	if !s.caps.Has(imap.CapMove) && !s.caps.Has(imap.CapUIDPlus) {
		b.WriteString(" Without MOVE and UIDPLUS handled messages are copied and left flagged \\Deleted in the mailbox.")
	}
	return b.String(), nil
}

// operatorHint says in an operator's words what a failure needing them is.
func operatorHint(err error) string {
	switch {
	case errors.Is(err, ErrIMAPAuth):
		return "the server refused the login: check imap.username, imap.password (or the OAuth2 token) and imap.auth"
	case errors.Is(err, ErrMissingMailbox):
		return "a mailbox is missing on the server: check imap.mailbox, imap.processed_mailbox and imap.quarantine_mailbox"
	default:
		return "the server's certificate cannot be verified: check imap.addr, imap.ca_file and the server's certificate"
	}
}

func imapVersion(caps imap.CapSet) string {
	if caps.Has(imap.CapIMAP4rev2) {
		return "IMAP4rev2"
	}
	return "IMAP4rev1"
}
