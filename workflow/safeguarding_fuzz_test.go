package workflow

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSignalWords: any configured word and any complaint text (hostile
// bytes included) are matched without a panic; a word found is one that
// was configured; a word standing on its own between spaces is always
// found, in any case; a word glued to letters on both sides never is; and
// looking first for the folded word finds exactly what the expression finds,
// alone and among other words.
func FuzzSignalWords(f *testing.F) {
	for _, s := range [][2]string{
		{"geslagen", "Juf heeft haar GESLAGEN."}, {"blauwe plekken", "blauwe\r\n plekken"}, {"slaan", "slaapt"},
		{"naaktfoto's", "naaktfoto's!"}, {"abuse", "abusive"}, {"a.b", "axb"}, {"(", "("}, {"\xff", "\xff"},
		{"slaan", "hij wilde haar \u017flaan"}, {"kicked", "he \u212aICKED her"}, {"ΣΊΣ", "σίς"}, {"\ufffd", "a \xff b"},
		{"ιδέα", "μια \u0345δέα"}, {"café", "CAFÉ!"}, {"x-y", "X-Y's"}, {"a_b", "a_b\xffc"}, {"de slaan", "De  SLAAN"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, word, text string) {
		s := Safeguarding{SignalWords: []string{word}}
		errs := s.problems()
		s.compile()
		if len(errs) > 0 {
			if strings.TrimSpace(word) != "" && utf8.ValidString(word) {
				t.Fatalf("word %q refused: %v", word, errs)
			}
			return
		}
		canon := strings.Join(strings.Fields(word), " ")
		// The folded prefilter never changes what the expressions find.
		var plain []string
		for _, sw := range s.signals {
			if sw.re.MatchString(text) {
				plain = append(plain, sw.word)
			}
		}
		if got := s.signalsIn(text); !slices.Equal(got, plain) {
			t.Fatalf("word %q in %q: found %q, the expression alone finds %q", word, text, got, plain)
		}
		// Beside other words, indexed by word or looked for in the folded
		// text, the same: each signal is decided on its own.
		many := Safeguarding{SignalWords: []string{"c.s.", word, "geslagen", strings.ToUpper(word) + " x", "ιδέα", word}}
		many.compile()
		var each []string
		for _, sw := range many.signals {
			if sw.re.MatchString(text) {
				each = append(each, sw.word)
			}
		}
		if got := many.signalsIn(text); !slices.Equal(got, each) {
			t.Fatalf("words %q in %q: found %q, the expressions alone find %q", many.SignalWords, text, got, each)
		}
		for _, got := range s.signalsIn(text) {
			if got != canon {
				t.Fatalf("found %q, configured %q", got, canon)
			}
		}
		if up := strings.ToUpper(canon); strings.EqualFold(up, canon) && !slices.Contains(s.signalsIn("x "+up+" y"), canon) {
			t.Fatalf("%q standing alone (upper case) not found", canon)
		}
		runes := []rune(canon)
		if isWordRune(runes[0]) && isWordRune(runes[len(runes)-1]) && len(s.signalsIn("zz"+canon+"zz")) != 0 {
			t.Fatalf("%q glued to letters was found", canon)
		}
	})
}
