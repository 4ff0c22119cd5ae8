package workflow

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Checking every signal word's expression against a complaint took most of
// the daemon's CPU (each backtracks from every position of the text). A
// word whose letters do not occur in the text, in any case, cannot match:
// the text is folded once and each word is looked for in it with
// strings.Contains; only a word found there has its expression run, which
// decides. Folding is the expressions' own (?i) rule, Unicode simple case
// folding, one rune for one rune, so a text the expression matches always
// contains the folded word.

// foldRune maps every rune of one simple case-folding orbit to the same
// rune: its ASCII lower-case member when it has one (k, K and the Kelvin
// sign all become k), otherwise the orbit's smallest.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	low := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return foldRune(f)
		}
		low = min(low, f)
	}
	return low
}

// foldText folds s rune by rune; bytes that are not UTF-8 become U+FFFD,
// as the expressions read them.
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}
