package mailbox

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff produces reconnect delays: exponential from min to max with jitter,
// so that several daemons (or one daemon and a restarted server) do not
// reconnect in lock-step. Not safe for concurrent use; each Run owns one.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, next: min}
}

// Delay returns the next delay, between half and all of the current step,
// and doubles the step up to max.
func (b *backoff) Delay() time.Duration {
	step := b.next
	b.next = min(b.next*2, b.max)
	half := step / 2
	return half + rand.N(step-half+1)
}

// Reset starts again from min; called after a successful round.
func (b *backoff) Reset() { b.next = b.min }

// sleepCtx waits for d or until ctx is done or wake fires; it reports false
// when ctx ended.
func sleepCtx(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case <-wake:
		return true
	}
}
