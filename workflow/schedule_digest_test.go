package workflow

import (
	"testing"
	"time"
)

// A digest is due once its moment has come. A weekly digest missed during a
// downtime is caught up; a missed daily one is replaced by the next.
func TestDigestTimeCatchesUpOnlyWeeklyDigests(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, ams) } // 23 November 2026 is a Monday
	weekly := &Workflow{set: Settings{Organisation: Organisation{Location: ams},
		Schedule: Schedule{DigestHour: 7, DigestMinute: 30, DigestDays: []time.Weekday{time.Monday}}}}
	daily := &Workflow{set: Settings{Organisation: Organisation{Location: ams}, Schedule: Schedule{DigestHour: 7, DigestMinute: 30}}}
	cases := []struct {
		name string
		w    *Workflow
		now  time.Time
		due  bool
		day  int
	}{
		{"weekly, a minute early", weekly, at(23, 7, 29), false, 0},
		{"weekly, on time", weekly, at(23, 7, 30), true, 23},
		{"weekly, missed on Monday, caught up on Tuesday", weekly, at(24, 10, 0), true, 23},
		{"daily, before today's moment", daily, at(24, 3, 0), false, 0},
		{"daily, on time", daily, at(24, 7, 30), true, 24},
	}
	for _, c := range cases {
		got, ok := c.w.digestTime(c.now)
		if ok != c.due || (ok && got.Day() != c.day) {
			t.Errorf("%s: digest of %v due=%v, want due=%v on the %dth", c.name, got, ok, c.due, c.day)
		}
	}
}
