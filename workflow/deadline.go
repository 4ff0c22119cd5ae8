package workflow

import "time"

// TermDays is the statutory term of a complaint: at the latest six weeks after
// it was submitted (Wko 1.57b(2)(d)). The law knows no extension.
const TermDays = 42

// deadlineAt is the instant the term of a complaint received at received
// ends: the end of the 42nd calendar day after the day of receipt, in the
// organisation's time zone. A term counted in days runs to the end of its last
// day; counting calendar days (not 42×24 hours) keeps the date right across a
// change to or from summer time.
func deadlineAt(received time.Time, loc *time.Location) time.Time {
	y, m, d := received.In(loc).Date()
	return time.Date(y, m, d+TermDays+1, 0, 0, 0, 0, loc)
}

// LastDay is the date the parent is told: the last day of the term that ends
// at deadline, as midnight at the start of that day.
func LastDay(deadline time.Time, loc *time.Location) time.Time {
	y, m, d := deadline.In(loc).Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, loc)
}

// daysBetween counts calendar days from a's date to b's date in loc.
func daysBetween(a, b time.Time, loc *time.Location) int {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// windowEnd is the last day a parent can take the complaint to the
// Geschillencommissie: months after the date of receipt.
func windowEnd(received time.Time, months int, loc *time.Location) time.Time {
	y, m, d := received.In(loc).Date()
	return time.Date(y, m+time.Month(months), d, 0, 0, 0, 0, loc)
}

// DaysLeft counts the calendar days from now until the last day of c's term;
// 0 on the last day itself, negative once it has passed.
func DaysLeft(c Case, now time.Time, loc *time.Location) int {
	return daysBetween(now, LastDay(c.DeadlineAt, loc), loc)
}
