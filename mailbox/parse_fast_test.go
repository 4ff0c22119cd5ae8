package mailbox

import (
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fast paths of parsing must give what the plain forms gave.

func toLFAsBefore(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

var toLFSeeds = []string{"", "a", "\r", "\n", "\r\n", "\r\r\n", "a\rb\r\nc\n\rd\r", "\n\r\n\r\r", "é\r\nü"}

var rfc1123ZSeeds = []string{
	"Thu, 19 Nov 2026 21:48:00 +0100", "Sat, 05 Dec 2026 12:24:45 -0000", "Mon, 01 Jan 2001 00:00:00 +1400",
	"Fri, 31 Dec 1999 23:59:59 -1200", "Sun, 29 Mar 2026 02:30:00 +0200", "Tue, 07 Jul 2026 07:07:07 +0000",
}

func TestToLFAndDateMatchThePlainForms(t *testing.T) {
	for _, s := range toLFSeeds {
		if got, want := toLF(s), toLFAsBefore(s); got != want {
			t.Errorf("toLF(%q) = %q, want %q", s, got, want)
		}
	}
	for _, v := range rfc1123ZSeeds {
		checkRFC1123Z(t, v)
	}
}

// checkRFC1123Z fails when a date time.Parse reads as RFC1123Z is read
// otherwise by net/mail.
func checkRFC1123Z(t *testing.T, v string) {
	fast, err := time.Parse(time.RFC1123Z, v)
	if err != nil {
		return
	}
	slow, err := mail.ParseDate(v)
	if err != nil {
		t.Fatalf("%q: RFC1123Z reads it, net/mail does not: %v", v, err)
	}
	fastName, fastOff := fast.Zone()
	slowName, slowOff := slow.Zone()
	if !fast.Equal(slow) || fastName != slowName || fastOff != slowOff {
		t.Errorf("%q: RFC1123Z reads %v, net/mail %v", v, fast, slow)
	}
}

func FuzzToLFAndDate(f *testing.F) {
	for _, s := range append(toLFSeeds, rfc1123ZSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := toLF(s), toLFAsBefore(s); got != want {
			t.Errorf("toLF(%q) = %q, want %q", s, got, want)
		}
		checkRFC1123Z(t, s)
	})
}

// Header gives every field's values in order, per key; a value appended
// by one caller lands in no other key's values.
func TestHeaderAsBefore(t *testing.T) {
	m, err := Parse([]byte("Received: one\r\nFrom: a@b.example\r\nReceived: two\r\nX-A: 1\r\n" +
		"Received: three\r\nX-A: 2\r\nSubject: s\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header()
	want := map[string][]string{"Received": {"one", "two", "three"}, "From": {"a@b.example"}, "X-A": {"1", "2"}, "Subject": {"s"}}
	if !reflect.DeepEqual(map[string][]string(h), want) {
		t.Fatalf("Header = %v, want %v", h, want)
	}
	for k := range want {
		h[k] = append(h[k], "added")
	}
	for k, vs := range want {
		if got := h[k]; !slices.Equal(got[:len(got)-1], vs) {
			t.Errorf("%s after appending to every key: %v, want %v and the added value", k, got, vs)
		}
	}
}
