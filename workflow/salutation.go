package workflow

import (
	"strings"
	"unicode/utf8"
)

// A handler's words reach the parent inside a letter that has its own
// greeting ("Beste Sanne Jansen,") and signature ("Met vriendelijke
// groet, Anna de Vries, Kinderopvang De Vlinder"). Handlers often write
// their own as well; the parent would read both (issue 11). The rule is
// the same for every message carrying a handler's text: theirs is left
// out, the letter's stays, so every letter greets and signs the same way.

// greetingWords open a salutation line, in lower case.
var greetingWords = []string{
	"beste", "geachte", "lieve", "dag", "hallo", "hoi", "goedemorgen", "goedemiddag", "goedenavond",
	"dear", "hello", "hi", "good morning", "good afternoon", "good evening",
}

// signOffWords open a closing line, in lower case.
var signOffWords = []string{
	"met vriendelijke groet", "vriendelijke groet", "met hartelijke groet", "hartelijke groet", "met groet",
	"groetjes", "groeten", "groet", "mvg", "hartelijke groeten", "vriendelijke groeten",
	"kind regards", "best regards", "warm regards", "regards", "best wishes", "yours sincerely",
	"sincerely", "all the best", "best,",
}

// maxSignatureLines is how many lines may follow a sign-off (a name, a
// role, a telephone number) for it to count as the letter's end.
const maxSignatureLines = 4

// withoutSalutation returns text without its own greeting line at the top
// and its own sign-off (with the name and role under it) at the bottom; a
// last paragraph that is only the writer's name (or first name) is a
// sign-off too. Anything it does not recognise with confidence is left as
// written.
func withoutSalutation(text, writer string) string {
	lines := splitLines(strings.TrimSpace(text))
	if len(lines) > 1 && isGreeting(lines[0]) {
		lines = lines[1:]
	}
	signed := false
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-1-maxSignatureLines; i-- {
		if isSignOff(lines[i]) {
			lines, signed = lines[:i], true
			break
		}
	}
	if n := len(lines); !signed && n > 2 && strings.TrimSpace(lines[n-2]) == "" && isName(lines[n-1], writer) {
		lines = lines[:n-2]
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if out == "" {
		return strings.TrimSpace(text) // only a greeting and a signature: keep what was written
	}
	return out
}

// isGreeting: a short line that starts with a greeting word and ends with
// a comma or nothing else ("Beste Sanne,", "Geachte mevrouw Jansen,", "Hoi!").
func isGreeting(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	if l == "" || utf8.RuneCountInString(l) > 60 {
		return false
	}
	if !strings.HasSuffix(l, ",") && !strings.HasSuffix(l, "!") && strings.ContainsAny(l, ".?:;") {
		return false
	}
	return startsWithWord(l, greetingWords)
}

// isSignOff: a short line that is a closing formula ("Met vriendelijke
// groet,", "Kind regards", "Groet, Anna").
func isSignOff(line string) bool {
	l := strings.ToLower(strings.TrimSpace(line))
	if l == "" || utf8.RuneCountInString(l) > 40 {
		return false
	}
	return startsWithWord(l, signOffWords)
}

// startsWithWord: l starts with one of words followed by a non-letter or
// the end ("hi," yes, "historie" no).
func startsWithWord(l string, words []string) bool {
	for _, w := range words {
		if !strings.HasPrefix(l, w) {
			continue
		}
		rest := l[len(w):]
		if rest == "" {
			return true
		}
		r, _ := utf8.DecodeRuneInString(rest)
		if !isLetter(r) {
			return true
		}
	}
	return false
}

func isLetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'à' && r <= 'ÿ'
}

// isName: line is the writer's name or first name, as people sign.
func isName(line, writer string) bool {
	l := strings.Trim(strings.TrimSpace(line), ".,")
	w := strings.TrimSpace(writer)
	if l == "" || w == "" {
		return false
	}
	first, _, _ := strings.Cut(w, " ")
	return strings.EqualFold(l, w) || strings.EqualFold(l, first)
}
