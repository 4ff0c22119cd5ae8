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

// A signal word's expression matches its first field only as a whole word:
// a run of word runes (isWordRune, the expressions' [\p{L}\p{N}_'-])
// between non-word runes or the ends of the text. So a text it matches
// holds, as one of its words, the field in another case: the word folded
// equals the field folded. That is looked up in a map, one pass over the
// text, instead of looking for each of some ninety signal words in it
// (30 µs a complaint, a tenth of the daemon's CPU for it on one core).
//
// It holds for a field of word runes whose case-folding orbits hold only
// word runes (wholeWord): the expression's (?i) may match a rune of the
// orbit in its place, which must not end the word (U+0345, a combining
// mark, is in the orbit of the Greek iota). Other fields are looked for
// in the folded text.

// isWordRune reports whether r is a rune of a word, as the signal words'
// expressions draw their boundaries.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '\'' || r == '-'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// wholeWord reports whether field, matched case-insensitively, is always
// a whole word of the text around it.
func wholeWord(field string) bool {
	if field == "" || !utf8.ValidString(field) {
		return false
	}
	for _, r := range field {
		if !isWordRune(r) {
			return false
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if !isWordRune(f) {
				return false
			}
		}
	}
	return true
}

// eachFoldedWord calls fn with each word of text, folded (foldText), in
// a buffer reused for the next word: fn looks it up (m[string(word)]
// copies nothing) and keeps nothing of it. Bytes that are not UTF-8 end a
// word, as U+FFFD does in the expressions.
func eachFoldedWord(text string, fn func(word []byte)) {
	var scratch [64]byte
	word := scratch[:0]
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		if r == utf8.RuneError && size == 1 || !isWordRune(r) {
			if len(word) > 0 {
				fn(word)
				word = word[:0]
			}
			continue
		}
		if r < utf8.RuneSelf {
			word = append(word, byte(foldRune(r)))
		} else {
			word = utf8.AppendRune(word, foldRune(r))
		}
	}
	if len(word) > 0 {
		fn(word)
	}
}
