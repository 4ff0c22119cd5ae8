package workflow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
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

// A group's loop breaker asks the database only for what it did not read,
// and gets each count to the right recipient.
func TestBreakerCountsAskOnlyWhatTheGroupDidNotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
		since := now.Add(-24 * time.Hour)
		for i, r := range []struct {
			rcpt string
			auto bool
			age  time.Duration
		}{{"b@example.org", true, time.Hour}, {"b@example.org", true, 2 * time.Hour}, {"b@example.org", false, time.Hour},
			{"b@example.org", true, 25 * time.Hour}, {"c@example.org", true, time.Hour}} {
			if _, err := db.Exec(t.Context(), `INSERT INTO outbox (kind, mail_from, rcpt_to, message_id, raw, state, automatic,
				next_attempt_at, created_at) VALUES ('confirmation', 'klachten@vlinder.example', ?, ?, ?, 'sent', ?, ?, ?)`,
				r.rcpt, fmt.Sprintf("m%d@example.org", i), []byte("x"), r.auto, now, now.Add(-r.age)); err != nil {
				t.Fatal(err)
			}
		}
		w := &Workflow{db: db}
		// The group read a@ (two mails) and opened case 7 (one mail).
		g := &groupChecks{rcpts: map[string]*windowCount{"a@example.org": {lo: since, hi: since.Add(prefetchHorizon), after: 2}},
			cases: map[int64]*windowCount{7: {hi: farFuture, at: []time.Time{now}}}}
		ctx := context.WithValue(t.Context(), groupChecksKey{}, g)
		perCase, perRcpt, err := w.breakerCounts(ctx, 7, []string{"a@example.org", "b@example.org", "c@example.org"}, since)
		if err != nil {
			t.Fatal(err)
		}
		if perCase != 1 || perRcpt["a@example.org"] != 2 || perRcpt["b@example.org"] != 2 || perRcpt["c@example.org"] != 1 {
			t.Errorf("per case %d, per recipient %v; want 1, a 2, b 2, c 1", perCase, perRcpt)
		}
	})
}
