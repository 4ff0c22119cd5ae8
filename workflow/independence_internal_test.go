package workflow

import (
	"strings"
	"testing"
	"unicode"
)

// spacedWordsAsBefore is the plain form spacedWords replaced.
func spacedWordsAsBefore(s string) string {
	return " " + strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '\''
	}), " ") + " "
}

var spacedWordsSeeds = []string{
	"", " ", "juf anna", "  juf   anna!  ", "anna's-groep, 3b.", "zoë—één\u00a0twee", "\xff anna \xfe", "a", "!a!", "e-mail@x.nl",
}

func TestSpacedWordsMatchesThePlainForm(t *testing.T) {
	for _, s := range spacedWordsSeeds {
		if got, want := spacedWords(s), spacedWordsAsBefore(s); got != want {
			t.Errorf("spacedWords(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzSpacedWords(f *testing.F) {
	for _, s := range spacedWordsSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := spacedWords(s), spacedWordsAsBefore(s); got != want {
			t.Errorf("spacedWords(%q) = %q, want %q", s, got, want)
		}
	})
}
