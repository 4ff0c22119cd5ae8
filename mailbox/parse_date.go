package mailbox

// The Date header, read leniently: the forms real clients write beyond
// RFC 5322's grammar, and the time zones they name.

import (
	"net/mail"
	"strings"
	"time"
)

// maxDateLen is the longest Date value read: a date with a long comment
// fits; anything longer is not a date, and each layout tried would copy it.
const maxDateLen = 256

// dateHeaderLayouts are forms seen in the wild that net/mail.ParseDate (RFC 5322
// section 3.3 including the obsolete syntax) rejects. They are tried on the
// value after the day name and comments have been removed.
var dateHeaderLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05",
	"2 January 2006 15:04:05 -0700",
	"2-Jan-2006 15:04:05 -0700",
	"Jan 2 2006 15:04:05 -0700",
	"Jan 2 15:04:05 2006",
	"Jan 2 15:04:05 MST 2006",
	"Jan 2, 2006 15:04:05 -0700",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"01/02/2006 15:04:05 -0700",
}

// dateZoneOffsets names time zones found after the time in broken Date
// headers; RFC 5322 section 4.3 defines the US ones.
var dateZoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "WET": 0, "WEST": 1, "BST": 1,
	"EET": 2, "EEST": 3, "JST": 9, "KST": 9, "IST": 5,
}

// parseDateHeader parses a Date header; the zero time means absent or unusable.
func parseDateHeader(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxDateLen {
		return time.Time{}
	}
	// The common form is tried alone first: net/mail tries its layouts one
	// by one, each failure an error value, and gives the same time for it.
	t, err := time.Parse(time.RFC1123Z, v)
	if err != nil {
		t, err = mail.ParseDate(v)
	}
	if err == nil {
		// net/mail accepts a zone name it does not know with offset zero,
		// and one it does know with the offset of the machine's local
		// zone; the table makes the result independent of both.
		if name, _ := t.Zone(); isAlphaWord(name) {
			if off, ok := dateZoneOffsets[strings.ToUpper(name)]; ok {
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0,
					time.FixedZone(strings.ToUpper(name), off*3600))
			}
		}
		return t
	}
	s := strings.Join(strings.Fields(stripHeaderComments(v)), " ")
	// Drop the day name: it is redundant and often misspelled or wrong.
	if i := strings.IndexByte(s, ','); i > 0 && isAlphaWord(s[:i]) {
		s = strings.TrimSpace(s[i+1:])
	} else if f := strings.Fields(s); len(f) > 1 && len(f[0]) >= 3 && isAlphaWord(f[0]) && isAlphaWord(f[1][:1]) {
		s = strings.Join(f[1:], " ")
	}
	var zone *time.Location
	if f := strings.Fields(s); len(f) > 0 {
		if off, ok := dateZoneOffsets[strings.ToUpper(f[len(f)-1])]; ok {
			zone = time.FixedZone(strings.ToUpper(f[len(f)-1]), off*3600)
			s = strings.Join(f[:len(f)-1], " ")
		}
	}
	for _, layout := range dateHeaderLayouts {
		loc := time.UTC
		if zone != nil {
			loc = zone
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

func isAlphaWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}
