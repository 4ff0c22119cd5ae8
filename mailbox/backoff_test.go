package mailbox

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithJitterAndResets(t *testing.T) {
	b := newBackoff(time.Second, 5*time.Minute)
	step := time.Second
	for i := range 12 {
		d := b.Delay()
		if d < step/2 || d > step {
			t.Fatalf("delay %d = %v, want within [%v, %v]", i, d, step/2, step)
		}
		step = min(step*2, 5*time.Minute)
	}
	if d := b.Delay(); d < 150*time.Second {
		t.Fatalf("delay after many failures = %v, want near the 5 min cap", d)
	}
	b.Reset()
	if d := b.Delay(); d > time.Second {
		t.Fatalf("delay after Reset = %v, want at most 1s", d)
	}
}
