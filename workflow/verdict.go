package workflow

import "strings"

// What a judgment decided (complaint-law.md R8): the parent reads it in the
// judgment, `cases show` lists it and the annual report counts it.
const (
	VerdictUpheld    = "gegrond"
	VerdictPartly    = "deels-gegrond"
	VerdictNotUpheld = "ongegrond"
)

// dashed is a word as a handler may write it: case, spaces and
// underscores between its parts do not matter.
func dashed(s string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '_' || r == '-'
	}), "-"))
}

// parseVerdict reads the word after #oordeel, in Dutch or English.
func parseVerdict(s string) (string, bool) {
	switch dashed(s) {
	case "gegrond", "upheld", "founded", "well-founded":
		return VerdictUpheld, true
	case "deels-gegrond", "deelsgegrond", "gedeeltelijk-gegrond", "partly-upheld", "partially-upheld", "partly":
		return VerdictPartly, true
	case "ongegrond", "niet-gegrond", "not-upheld", "unfounded", "rejected":
		return VerdictNotUpheld, true
	}
	return "", false
}

// verdictWord names a verdict in a handler's sentence.
func (w *Workflow) verdictWord(v string) string {
	return w.phrase("verdict." + v)
}
