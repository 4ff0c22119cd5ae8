package workflow

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A report token names its year, verifies only for the manager it was sent
// to, and is never read as a case token (nor a case token as a report
// token).
func TestReportTokenIsBoundToItsManagerAndKind(t *testing.T) {
	tk, err := newTokens([][]byte{[]byte("a report token secret, long enough")}, 400*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 5, 1, 7, 30, 0, 0, time.UTC)
	tok := tk.makeReport(2026, "Ilse.Kramer@vlinder.example", now)
	if y, err := tk.readReport(strings.ToUpper(tok), "ilse.kramer@vlinder.example", now); err != nil || y != 2026 {
		t.Fatalf("readReport = %d, %v", y, err)
	}
	if _, err := tk.readReport(tok, "directie@vlinder.example", now); !errors.Is(err, ErrForgedToken) {
		t.Errorf("another manager's token verifies: %v", err)
	}
	if _, err := tk.read(tok, now); err == nil {
		t.Error("a report token reads as a case token")
	}
	if _, err := tk.readReport(tk.make(1, 1, now), "ilse.kramer@vlinder.example", now); err == nil {
		t.Error("a case token reads as a report token")
	}
	if _, err := tk.readReport(tok, "ilse.kramer@vlinder.example", now.AddDate(2, 0, 0)); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("a token two years old: %v", err)
	}
	other, _ := newTokens([][]byte{[]byte("another secret, also long enough")}, 0)
	if _, err := other.readReport(tok, "ilse.kramer@vlinder.example", now); err == nil {
		t.Error("a token verifies under another secret")
	}
}

func TestReportCommandAndDate(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	for _, c := range []struct {
		text, want string
		ok         bool
	}{
		{"#verslag-verzonden 2027-05-20\n\nverstuurd", "2027-05-20", true},
		{"*#Verslag-Verzonden 20-05-2027*", "2027-05-20", true},
		{"#report-sent 20/5/2027 by mail", "2027-05-20", true},
		{"#intern\n#verslag-verzonden 2027-05-20", "2027-05-20", true},
		{"Beste,\n#verslag-verzonden 2027-05-20", "", false}, // not at the top
		{"#verslag 2027-05-20", "", false},
	} {
		arg, ok := reportCommand(c.text)
		if ok != c.ok {
			t.Errorf("%q: found %v", c.text, ok)
			continue
		}
		if !ok {
			continue
		}
		d, err := parseReportDate(arg, ams)
		if err != nil || d.Format(time.DateOnly) != c.want {
			t.Errorf("%q: %v %v, want %s", c.text, d, err, c.want)
		}
	}
	if _, err := parseReportDate("gisteren", ams); err == nil {
		t.Error("a word reads as a date")
	}
}

// FuzzReportReply: any text a manager may send is read without panicking;
// a date that reads back writes as itself.
func FuzzReportReply(f *testing.F) {
	f.Add("#verslag-verzonden 2027-05-20")
	f.Add("*#report-sent* 31-12-2027 extra")
	f.Add("#verslag-verzonden")
	f.Add("\u200b#verslag-verzonden 1/1/0")
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	f.Fuzz(func(t *testing.T, text string) {
		arg, ok := reportCommand(text)
		if !ok {
			return
		}
		d, err := parseReportDate(arg, ams)
		if err != nil {
			return
		}
		if again, err := parseReportDate(d.Format(time.DateOnly), ams); err != nil || !again.Equal(d) {
			t.Fatalf("%q read as %v, which reads back as %v, %v", arg, d, again, err)
		}
	})
}

// FuzzReadReportToken: reading any text never panics; a token made reads
// back as its year; changing one letter never verifies.
func FuzzReadReportToken(f *testing.F) {
	f.Add("vraaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", uint16(2026), "ilse@vlinder.example", uint(3), byte('b'))
	f.Add("", uint16(0), "", uint(0), byte('V'))
	f.Fuzz(func(t *testing.T, s string, year uint16, manager string, pos uint, c byte) {
		tk, err := newTokens([][]byte{[]byte("a fuzzing secret of enough length")}, 400*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2027, 5, 1, 12, 0, 0, 0, time.UTC)
		if y, err := tk.readReport(s, manager, now); err == nil && (y < 0 || y > 65535) {
			t.Fatalf("%q reads as year %d", s, y)
		}
		g := tk.makeReport(int(year), manager, now)
		if y, err := tk.readReport(g, manager, now); err != nil || y != int(year) {
			t.Fatalf("token %q of %d read as %d, %v", g, year, y, err)
		}
		i := int(pos % uint(len(g)))
		if strings.ToLower(string(c)) == g[i:i+1] {
			return
		}
		alt := g[:i] + string(c) + g[i+1:]
		if y, err := tk.readReport(alt, manager, now); err == nil {
			t.Fatalf("altered token %q (from %q) verifies as %d", alt, g, y)
		}
	})
}
