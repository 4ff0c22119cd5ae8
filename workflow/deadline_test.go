package workflow

import (
	"testing"
	"time"
)

func TestDeadlineIsEndOfThe42ndDayInLocalTime(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		received time.Time
		lastDay  string
		endsUTC  string
	}{
		// 19 Nov 2026 21:48 CET: last day 31 Dec 2026, ends 1 Jan 00:00 CET.
		{"winter", time.Date(2026, 11, 19, 21, 48, 0, 0, ams), "2026-12-31", "2026-12-31T23:00:00Z"},
		// Received in winter time, term ends in summer time (DST starts 29 Mar 2026).
		{"into summer time", time.Date(2026, 3, 1, 9, 0, 0, 0, ams), "2026-04-12", "2026-04-12T22:00:00Z"},
		// Received in summer time, term ends in winter time (DST ends 25 Oct 2026).
		{"into winter time", time.Date(2026, 10, 1, 23, 30, 0, 0, ams), "2026-11-12", "2026-11-12T23:00:00Z"},
		// 23:30 UTC on 30 Sep is already 1 Oct in Amsterdam: the local date counts.
		{"local date, not UTC", time.Date(2026, 9, 30, 23, 30, 0, 0, time.UTC), "2026-11-12", "2026-11-12T23:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := deadlineAt(c.received, ams)
			if got := at.UTC().Format(time.RFC3339); got != c.endsUTC {
				t.Errorf("deadline ends %s, want %s", got, c.endsUTC)
			}
			if got := LastDay(at, ams).Format("2006-01-02"); got != c.lastDay {
				t.Errorf("last day %s, want %s", got, c.lastDay)
			}
			if got := daysBetween(c.received, LastDay(at, ams), ams); got != TermDays {
				t.Errorf("days from receipt to last day = %d, want %d", got, TermDays)
			}
		})
	}
}
