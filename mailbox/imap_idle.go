package mailbox

import (
	"context"
	"errors"
	"time"

	"github.com/emersion/go-imap/v2"
)

// errConnClosed reports a connection the server ended while we were waiting.
var errConnClosed = errors.New("connection closed by server")

// waitForMail blocks until the next round is due: new mail, Wake, the end of
// the IDLE period or poll interval, or ctx. With IDLE (RFC 2177) the server
// tells us about new mail; without it we simply sleep PollInterval on the
// open connection. A nil error means "run a round"; ctx ending returns its
// error.
func (p *Poller) waitForMail(ctx context.Context, s *imapSession) error {
	// Mail that arrived during the last round: go again at once.
	select {
	case <-s.newMail:
		return nil
	default:
	}
	if s.caps.Has(imap.CapIdle) {
		return p.idle(ctx, s)
	}

	// Silence is expected while we sleep; the next round's commands are
	// under CommandTimeout again.
	s.working()
	t := time.NewTimer(p.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-p.wake:
	case <-s.newMail:
	case <-s.client.Closed():
		return s.wrap(ctx, "waiting between polls", errConnClosed)
	}
	return nil
}

// idle runs one IDLE command for at most the IDLE period.
func (p *Poller) idle(ctx context.Context, s *imapSession) error {
	s.waiting()
	cmd, err := s.client.Idle()
	if err != nil {
		return s.wrap(ctx, "IDLE", err)
	}
	// While idling the server owes us nothing; our own timer bounds the
	// wait and DONE is then answered under CommandTimeout.
	s.working()

	t := time.NewTimer(p.cfg.idlePeriod())
	defer t.Stop()
	reason := "period"
	select {
	case <-ctx.Done():
		_ = cmd.Close()
		return ctx.Err()
	case <-s.client.Closed():
		_ = cmd.Close()
		return s.wrap(ctx, "IDLE", errConnClosed)
	case <-t.C:
	case <-p.wake:
		reason = "wake"
	case <-s.newMail:
		reason = "new mail"
	}
	p.log.Debug("imap idle ended", "mailbox", p.cfg.Mailbox, "reason", reason)

	s.waiting()
	if err := cmd.Close(); err != nil {
		return s.wrap(ctx, "IDLE DONE", err)
	}
	if err := cmd.Wait(); err != nil {
		return s.wrap(ctx, "IDLE", err)
	}
	return nil
}
