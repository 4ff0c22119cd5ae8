package workflow

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokensRoundTripAndResistTampering(t *testing.T) {
	now := time.Date(2026, 11, 19, 21, 48, 0, 0, time.UTC)
	tk, err := newTokens([][]byte{[]byte("0123456789abcdef-current")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := tk.make(42, 7, now)
	if s != strings.ToLower(s) || len("klachten+"+s) > 64 {
		t.Fatalf("token %q must be lower case and fit a local part", s)
	}
	got, err := tk.read(strings.ToUpper(s), now) // a relay upper-cased it
	if err != nil || got.CaseID != 42 || got.ParticipantID != 7 {
		t.Fatalf("read = %+v, %v", got, err)
	}
	if tk.make(42, 7, now) == s {
		t.Error("two tokens for the same participant are equal; Message-IDs would collide")
	}
	// Change any character to any other letter of the alphabet: never
	// accepted (this includes the unused low bits of the last letter).
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for i := 2; i < len(s); i++ {
		for _, c := range alphabet {
			if byte(c) == s[i] {
				continue
			}
			bad := s[:i] + string(c) + s[i+1:]
			if _, err := tk.read(bad, now); err == nil {
				t.Fatalf("altered token %q (position %d) accepted", bad, i)
			}
		}
	}
	if _, err := tk.read("v1"+strings.Repeat("a", 30), now); !errors.Is(err, ErrForgedToken) {
		t.Errorf("made-up token: %v, want ErrForgedToken", err)
	}
	for _, notOurs := range []string{"CAPYEg5gPoUy", "v1", "klachten", ""} {
		if _, err := tk.read(notOurs, now); !errors.Is(err, ErrNotToken) {
			t.Errorf("%q: %v, want ErrNotToken", notOurs, err)
		}
	}
}

func TestTokenKeysRotate(t *testing.T) {
	now := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	old, _ := newTokens([][]byte{[]byte("the-old-secret-0123456789")}, 0)
	issued := old.make(1, 2, now)
	rotated, _ := newTokens([][]byte{[]byte("the-new-secret-0123456789"), []byte("the-old-secret-0123456789")}, 0)
	if _, err := rotated.read(issued, now); err != nil {
		t.Fatalf("token of the previous key no longer verifies: %v", err)
	}
	fresh := rotated.make(1, 2, now)
	if _, err := old.read(fresh, now); !errors.Is(err, ErrForgedToken) {
		t.Errorf("new key's token verified with only the old key: %v", err)
	}
	dropped, _ := newTokens([][]byte{[]byte("the-new-secret-0123456789")}, 0)
	if _, err := dropped.read(issued, now); !errors.Is(err, ErrForgedToken) {
		t.Errorf("token of a removed key still verifies: %v", err)
	}
}

func TestTokensExpire(t *testing.T) {
	issuedAt := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	tk, _ := newTokens([][]byte{[]byte("0123456789abcdef-current")}, 365*24*time.Hour)
	s := tk.make(1, 1, issuedAt)
	if _, err := tk.read(s, issuedAt.AddDate(0, 11, 0)); err != nil {
		t.Errorf("11 months old: %v", err)
	}
	if _, err := tk.read(s, issuedAt.AddDate(1, 1, 0)); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("13 months old: %v, want ErrExpiredToken", err)
	}
}
