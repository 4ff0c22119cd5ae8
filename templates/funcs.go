package templates

import (
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

var months = map[string][12]string{
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

var weekdays = map[string][7]string{
	"nl": {"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}

// statusLabels are the plain-language names of case states (complaint-law.md 8.1).
var statusLabels = map[string]map[string]string{
	"nl": {
		"received": "ontvangen", "acknowledged": "ontvangst bevestigd", "in_progress": "in behandeling",
		"decided": "oordeel verzonden", "closed": "afgerond", "withdrawn": "ingetrokken",
	},
	"en": {
		"received": "received", "acknowledged": "receipt confirmed", "in_progress": "being handled",
		"decided": "judgment sent", "closed": "closed", "withdrawn": "withdrawn",
	},
}

// StatusLabel names a case state in lang as messages show it ("oordeel
// verzonden"); the workflow's phrasebook names it the same way.
func StatusLabel(lang, code string) string { return status(lang)(code) }

// status names a case state in lang; an unknown state is shown as it is.
func status(lang string) func(string) string {
	return func(code string) string {
		if l, ok := statusLabels[lang][code]; ok {
			return l
		}
		return code
	}
}

// The functions below run by reflection at every use in every message:
// each builds its string in one allocation (no fmt, no Split and Join).

// date writes a calendar date the way people write it in lang: "19 november 2026".
// Times arrive already in the organisation's time zone.
func date(lang string) func(time.Time) string {
	names := months[lang]
	return func(t time.Time) string {
		return string(appendDate(make([]byte, 0, 32), &names, t))
	}
}

func appendDate(b []byte, months *[12]string, t time.Time) []byte {
	b = strconv.AppendInt(b, int64(t.Day()), 10)
	b = append(b, ' ')
	b = append(b, months[t.Month()-1]...)
	b = append(b, ' ')
	return strconv.AppendInt(b, int64(t.Year()), 10)
}

// day is date with the weekday in front: "donderdag 31 december 2026".
func day(lang string) func(time.Time) string {
	names, days := months[lang], weekdays[lang]
	return func(t time.Time) string {
		b := append(make([]byte, 0, 48), days[t.Weekday()]...)
		return string(appendDate(append(b, ' '), &names, t))
	}
}

// datetime is date with the clock time: "19 november 2026 om 21:48".
func datetime(lang string) func(time.Time) string {
	names := months[lang]
	at := " " + map[string]string{"nl": "om", "en": "at"}[lang] + " "
	return func(t time.Time) string {
		b := append(appendDate(make([]byte, 0, 48), &names, t), at...)
		return string(appendTwoDigits(append(appendTwoDigits(b, t.Hour()), ':'), t.Minute()))
	}
}

// appendTwoDigits writes n (0-99) as %02d does.
func appendTwoDigits(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// quote prefixes every line with "> ", the way mail clients quote.
func quote(s string) string {
	s = strings.TrimRight(s, "\n")
	var b strings.Builder
	b.Grow(len(s) + 2*strings.Count(s, "\n") + 2)
	for i, l := range lines(s) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l == "" {
			b.WriteByte('>')
		} else {
			b.WriteString("> ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// indent prefixes every non-empty line with n spaces.
func indent(n int, s string) string {
	s = strings.TrimRight(s, "\n")
	var b strings.Builder
	b.Grow(len(s) + n*(strings.Count(s, "\n")+1))
	for i, l := range lines(s) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l != "" {
			for range n {
				b.WriteByte(' ')
			}
			b.WriteString(l)
		}
	}
	return b.String()
}

// lines yields the lines of s split at "\n", as strings.Split(s, "\n")
// would return them, without the slice.
func lines(s string) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		for i := 0; ; i++ {
			l, rest, more := strings.Cut(s, "\n")
			if !yield(i, l) || !more {
				return
			}
			s = rest
		}
	}
}

// paragraphs turns plain text into escaped HTML: blank lines separate
// paragraphs, single line breaks stay line breaks. The text is data (often a
// parent's own words); it is escaped, never interpreted.
func paragraphs(s string) htmltemplate.HTML {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 16)
	for s != "" {
		p, rest, _ := strings.Cut(s, "\n\n")
		s = rest
		if p = strings.Trim(p, "\n"); p == "" {
			continue
		}
		b.WriteString("<p>")
		for i, l := range lines(p) {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			b.WriteString(htmltemplate.HTMLEscapeString(l)) // l itself when nothing needs escaping
		}
		b.WriteString("</p>\n")
	}
	return htmltemplate.HTML(b.String())
}

// textFuncs are the functions of the plain-text parse. It parses the html
// block too (one file holds all three), so HTML-only functions need a name
// here; they are never called in plain text.
func textFuncs(lang, form string) texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"u": pick(form, "u"), "U": pick(form, "U"), "uw": pick(form, "uw"), "Uw": pick(form, "Uw"),
		"uje":  uje(form),
		"date": date(lang), "day": day(lang), "datetime": datetime(lang),
		"quote": quote, "indent": indent, "upper": strings.ToUpper, "status": status(lang),
		"paragraphs": func(s string) string { return s },
	}
}

func htmlFuncs(lang, form string) htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"u": pick(form, "u"), "U": pick(form, "U"), "uw": pick(form, "uw"), "Uw": pick(form, "Uw"),
		"uje":  uje(form),
		"date": date(lang), "day": day(lang), "datetime": datetime(lang),
		"quote": quote, "indent": indent, "upper": strings.ToUpper, "status": status(lang),
		"paragraphs": paragraphs,
	}
}

// pick returns the word of form: the u-form's (formal) or the je-form's.
// The templates write {{u}}, {{uw}} ("je klacht" / "uw klacht"), capitalised
// {{U}} and {{Uw}} at the start of a sentence, and {{uje "kunt u" "kun je"}}
// where the verb changes with the form (an inverted verb: "kun je" but
// "kunt u").
func pick(form, word string) func() string {
	w := formWords[word]
	if form == FormJe {
		return func() string { return w[1] }
	}
	return func() string { return w[0] }
}

func uje(form string) func(u, je string) string {
	return func(u, je string) string {
		if form == FormJe {
			return je
		}
		return u
	}
}
