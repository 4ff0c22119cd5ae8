package workflow

import (
	"strings"
	"testing"
)

// FuzzPhraseSet: a phraseSet finds, in any text, the phrase checking each
// in list order with strings.Contains finds (the words of bounces), and
// whether there is one (attribution verbs).
func FuzzPhraseSet(f *testing.F) {
	for _, s := range []string{"", "x", "delivery has failed permanently", "this message was undeliverable", "无法发送退信",
		"permanent fatal error", "non remis", "user unknown, no such user", "has been delayed and has been returned",
		"op 3 mei schreef anna:", "le 3 mai, anna a écrit :", "в 10:00 иван написал:", "كتب أحمد:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want, wantOK := "", false
		for _, p := range ndrPhrases.phrases {
			if strings.Contains(text, p) {
				want, wantOK = p, true
				break
			}
		}
		if got, ok := ndrPhrases.first(text); got != want || ok != wantOK {
			t.Fatalf("in %q: found %q %v, strings.Contains in list order finds %q %v", text, got, ok, want, wantOK)
		}
		verb := false
		for _, v := range attributionVerbs {
			verb = verb || strings.Contains(text, v)
		}
		if got := hasAttributionVerb(text); got != verb {
			t.Fatalf("in %q: an attribution verb %v, strings.Contains finds one %v", text, got, verb)
		}
	})
}
