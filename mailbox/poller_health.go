package mailbox

import (
	"errors"
	"sync"
	"time"
)

// ErrMissingMailbox is wrapped when the mailbox to poll, or a folder
// messages are moved into, does not exist on the server and was not (or
// could not be) created: an operator has to fix the name or the server.
var ErrMissingMailbox = errors.New("mailbox does not exist on the server")

// Health is what a running Poller last found; readiness checks and metrics
// read it. The zero value means "not connected yet".
type Health struct {
	Connected     bool
	LastRound     time.Time // when the last round finished without error
	LastError     error     // the last connection or round failure; nil after a good round
	LastErrorAt   time.Time
	FailuresInRow int
}

// healthState is the Poller's Health behind a lock: Run writes it, other
// goroutines read it.
type healthState struct {
	mu sync.Mutex
	h  Health
}

// Health reports the poller's connection state; safe to call at any time.
func (p *Poller) Health() Health {
	p.health.mu.Lock()
	defer p.health.mu.Unlock()
	return p.health.h
}

func (p *Poller) noteConnected(connected bool) {
	p.health.mu.Lock()
	p.health.h.Connected = connected
	p.health.mu.Unlock()
}

func (p *Poller) noteRound(at time.Time) {
	p.health.mu.Lock()
	p.health.h.LastRound, p.health.h.LastError, p.health.h.FailuresInRow = at, nil, 0
	p.health.mu.Unlock()
}

// noteFailure records err and reports whether it is the same trouble as the
// failure before it, so Run says what is wrong once rather than on every
// retry.
func (p *Poller) noteFailure(err error, at time.Time) (repeated bool, failures int) {
	p.health.mu.Lock()
	defer p.health.mu.Unlock()
	h := &p.health.h
	repeated = h.LastError != nil && h.LastError.Error() == err.Error()
	h.Connected, h.LastError, h.LastErrorAt = false, err, at
	h.FailuresInRow++
	return repeated, h.FailuresInRow
}

// needsOperator reports failures that retrying will not cure: refused
// credentials, an unverifiable certificate, a missing mailbox.
func needsOperator(err error) bool {
	return errors.Is(err, ErrIMAPAuth) || errors.Is(err, ErrMissingMailbox) || isCertificateError(err)
}
