package workflow

import (
	"testing"
	"time"
)

// A window count read at one moment stays exact while the window moves on
// up to its horizon, rows added meanwhile included, and says when it no
// longer holds.
func TestWindowCountHoldsWhileTheWindowMoves(t *testing.T) {
	lo := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
	hi := lo.Add(prefetchHorizon)
	var rows []time.Time
	c := &windowCount{lo: lo, hi: hi}
	for _, d := range []time.Duration{time.Second, time.Minute, 4 * time.Minute, prefetchHorizon, prefetchHorizon + time.Second, time.Hour} {
		rows = append(rows, lo.Add(d))
		if d > prefetchHorizon {
			c.after++ // as the prefetch counts them
		} else {
			c.at = append(c.at, lo.Add(d))
		}
	}
	for _, d := range []time.Duration{2 * time.Minute, 25 * time.Hour} {
		rows = append(rows, lo.Add(d)) // queued during the group
		c.add(lo.Add(d))
	}
	for since := lo; !since.After(hi); since = since.Add(30 * time.Second) {
		var want int64
		for _, r := range rows {
			if r.After(since) {
				want++
			}
		}
		if n, ok := c.count(since); !ok || n != want {
			t.Errorf("since lo+%v: %d, %v; want %d", since.Sub(lo), n, ok, want)
		}
	}
	for _, since := range []time.Time{lo.Add(-time.Nanosecond), hi.Add(time.Nanosecond)} {
		if _, ok := c.count(since); ok {
			t.Errorf("since lo%+v: answered outside the bounds read", since.Sub(lo))
		}
	}
}
