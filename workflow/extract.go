package workflow

import (
	"strings"
	"unicode"
)

// newText returns the words a person wrote in this message (replyText). If
// nothing would be left (a parent's message that is all quote or all
// forward) it returns the full text, trimmed, so nothing a parent sends is
// lost. Never use it for a handler's message: that would relay the quoted
// notification, with colleagues' internal notes, to the parent.
func newText(text string) string {
	if out := replyText(text); out != "" {
		return out
	}
	return strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text), "\ufeff"))
}

// replyText returns the words the sender wrote in this message: the text
// without quoted history, forwarded messages and signatures. Greetings,
// sign-offs and signatures without a "-- " delimiter (Outlook's) stay, and
// so do answers written between quoted lines. It is "" for a message that
// is all quote or all forward.
func replyText(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var kept []string
	removed := false // lines were dropped since the last kept one
	keep := func(l string) {
		// Dropping a quote between two paragraphs leaves one empty line.
		if removed && isBlank(l) && len(kept) > 0 && isBlank(kept[len(kept)-1]) {
			return
		}
		kept = append(kept, l)
		removed = false
	}
scan:
	for i := 0; i < len(lines); i++ {
		switch {
		case isQuoted(lines[i]):
			removed = true
		case historyStarts(lines, i):
			break scan
		case dashedAttribution(lines[i]):
			// "---- John Smith wrote ----" (Android), "------On …, X
			// wrote-----": everything below is history.
			break scan
		default:
			if before, ok := sharedAttribution(lines, i); ok {
				// "reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com
				// wrote:" above a quote: the words before it are new.
				if strings.TrimSpace(before) != "" {
					keep(before)
				}
				removed = true
				continue
			}
			if end, ok := attribution(lines, i); ok {
				if !quoteFollows(lines, end+1) {
					// "--- On …, X wrote:" over an unquoted original
					// (Yahoo): everything below is history.
					break scan
				}
				i, removed = end, true
				continue
			}
			keep(lines[i])
		}
	}
	kept = dropTrailingSignature(kept)
	return strings.TrimRightFunc(strings.Join(trimBlankStart(kept), "\n"), unicode.IsSpace)
}

// isBlank reports whether a line holds nothing but white space, counting
// Outlook's non-breaking spaces on empty paragraphs.
func isBlank(l string) bool {
	return strings.TrimFunc(l, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' }) == ""
}

// isQuoted reports whether a line is quoted with ">" (RFC 3676 section
// 4.5). iOS starts the quoted text with a byte-order mark.
func isQuoted(l string) bool {
	return strings.HasPrefix(strings.TrimLeft(l, "\ufeff"), ">")
}

// quoteFollows reports whether the first non-blank line from i on is quoted.
// It looks a bounded number of lines ahead, so that a hostile text of many
// attribution-like lines over many empty ones costs linear time.
func quoteFollows(lines []string, i int) bool {
	for end := min(len(lines), i+maxBlankRun); i < end; i++ {
		if !isBlank(lines[i]) {
			return isQuoted(lines[i])
		}
	}
	return false
}

// maxBlankRun is how many empty lines may stand between an attribution and
// its quote.
const maxBlankRun = 20

// historyStarts reports whether line i starts what the sender did not
// write, so that it and everything after it goes: a forwarded or original
// message, an Outlook header block, or a signature.
func historyStarts(lines []string, i int) bool {
	l := strings.TrimSpace(strings.TrimLeft(lines[i], "\ufeff"))
	lower := strings.ToLower(l)
	afterBlank := i > 0 && isBlank(lines[i-1])
	switch {
	case isSeparatorMarker(lower):
		return true
	case appleForwardMarkers[lower]:
		return true
	case strings.TrimRightFunc(lines[i], unicode.IsSpace) == "--":
		// The signature delimiter "-- " (RFC 3676 section 4.3), also
		// without its space as some clients and people write it.
		return true
	case afterBlank && strings.Trim(l, "_") == "" && len(l) >= 5:
		// A line of underscores: Outlook's rule above the original, or
		// the footer Mailman appends.
		return true
	case afterBlank && isDashName(l):
		// "-Abhishek Kona": a name signed with a dash, as GitHub's
		// email_reply_parser treats it (its `-\w` signature rule), but
		// only for one to three capitalised words, so a "-item" list stays.
		return true
	}
	return headerBlock(lines, i)
}

// isDashName reports whether l is "-Name" or "-First Last".
func isDashName(l string) bool {
	if len(l) < 2 || l[0] != '-' {
		return false
	}
	words := strings.Fields(l[1:])
	if len(words) == 0 || len(words) > 3 || l[1] == ' ' {
		return false
	}
	for _, w := range words {
		if r := []rune(w)[0]; !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// attribution recognises the line a client writes above a quote, wrapped
// over up to three lines: "On Mon, 2 Apr 2012 at 18:26, Megan <m@x> wrote:"
// (Gmail, Apple Mail, Thunderbird), "Op do 19 nov 2026 om 21:48 schreef X
// <" + "x@y>:" (Gmail in Dutch), "Op 16 nov. 2026 om 16:40 heeft X het
// volgende geschreven:" (iOS in Dutch), "Am … schrieb X:", "Le … a écrit :",
// "tir. 18. apr. 2017 kl. 13:09 skrev X <x@y>:" (Gmail in Norwegian),
// "2014-03-20 8:48 GMT+01:00 X <x@y>:" (older Gmail), "X <x@y> schrieb:".
// It returns the index of its last line. The text must end with a colon and
// carry enough of an attribution's parts (an opening preposition or date, the
// verb, an address, a time, a quote below) that prose does not pass: "On
// your remote host you can run:" and "Op maandag schreef ik u al het
// volgende:" are not attributions.
func attribution(lines []string, i int) (int, bool) {
	first := strings.ToLower(strings.TrimLeft(strings.TrimSpace(lines[i]), "-\ufeff "))
	opens := opensAttribution(first)
	if opens && first[0] >= '0' && first[0] <= '9' && !strings.HasSuffix(first, ":") && strings.Contains(first, "@") &&
		strings.Contains(first, "<") && quoteFollows(lines, i+1) {
		// "2011/4/7 Nathan <support@example.com>" (old Gmail) above a quote.
		return i, true
	}
	if !opens && !hasClockTime(first) && !hasAttributionVerb(first) {
		// An attribution that opens otherwise starts with its date or
		// names its verb on its first line; else the lines above it would
		// be taken along.
		return 0, false
	}
	joined := ""
	for j := i; j < len(lines) && j < i+3; j++ {
		// ">:" closing an address wrapped after "<" is no quote.
		closes := j > i && strings.Count(joined, "<") > strings.Count(joined, ">") && strings.HasPrefix(strings.TrimSpace(lines[j]), ">:")
		if isBlank(lines[j]) || isQuoted(lines[j]) && !closes {
			return 0, false
		}
		joined += " " + strings.ToLower(strings.TrimSpace(lines[j]))
		if !strings.HasSuffix(joined, ":") {
			continue
		}
		if len(joined) > 400 {
			return 0, false
		}
		verb, addr, clock := hasAttributionVerb(joined), strings.Contains(joined, "@"), hasClockTime(joined)
		quote := quoteFollows(lines, j+1)
		switch {
		case opens && verb && (addr || clock || quote),
			opens && (addr || clock) && quote,
			endsWithVerb(joined) && (addr || quote),
			verb && clock && addr,
			opens && clock && addr && strings.HasSuffix(joined, ">:"),
			clock && addr && quote && strings.HasSuffix(joined, ">:"):
			return j, true
		}
		return 0, false
	}
	return 0, false
}

// hasClockTime reports whether s holds a time such as 4:19 or 21:48.
func hasClockTime(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		if s[i] == ':' && isDigit(s[i-1]) && isDigit(s[i+1]) && isDigit(s[i+2]) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// dropTrailingSignature removes from the end what is left of the history
// markers (empty lines, Outlook's rule, dashes) and a mobile signature
// line such as "Sent from my iPhone" or "Verstuurd vanaf mijn iPhone".
func dropTrailingSignature(lines []string) []string {
	for range 3 {
		for len(lines) > 0 && isDecoration(lines[len(lines)-1]) {
			lines = lines[:len(lines)-1]
		}
		if len(lines) == 0 || !isMobileSignature(lines[len(lines)-1]) {
			break
		}
		lines = lines[:len(lines)-1]
	}
	return lines
}

// isDecoration reports whether a line is empty or only rule characters.
func isDecoration(l string) bool {
	return strings.TrimFunc(l, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ufeff' || strings.ContainsRune("-_=*~", r)
	}) == ""
}

// isMobileSignature recognises the line phones and mail apps append: "Sent
// from my iPhone", "Sent from my Verizon Wireless BlackBerry", "Verzonden
// vanaf mijn Samsung Galaxy-smartphone.", "Sent from Mail for Windows",
// "Get Outlook for iOS". A sentence that merely starts alike ("Sent from my
// desk, is much easier …") is not one: at most five words after the
// phrase, no punctuation but a final full stop, and a device or app name
// (after "my"/"mijn", or capitalised).
func isMobileSignature(l string) bool {
	l = strings.TrimSuffix(strings.TrimSpace(l), ".")
	lower := strings.ToLower(l)
	for _, p := range []string{"get outlook for ", "outlook voor ios", "outlook voor android"} {
		if strings.HasPrefix(lower, p) {
			return len(strings.Fields(l)) <= 5
		}
	}
	for _, p := range []string{"sent from ", "sent with ", "verstuurd vanaf ", "verstuurd met ", "verzonden vanaf ",
		"verzonden met ", "verzonden vanuit ", "verstuurd vanuit ", "gesendet von ", "gesendet mit ",
		"envoyé de ", "envoyé depuis ", "enviado desde ", "inviato da "} {
		if !strings.HasPrefix(lower, p) {
			continue
		}
		rest := strings.Fields(l[len(p):])
		if len(rest) == 0 || len(rest) > 5 || strings.ContainsAny(l, ",;:!?()") {
			return false
		}
		switch strings.ToLower(rest[0]) {
		case "my", "mijn", "mein", "meinem", "mon", "mi", "il":
			return len(rest) > 1
		}
		return unicode.IsUpper([]rune(rest[0])[0])
	}
	return false
}

// trimBlankStart drops empty lines at the start.
func trimBlankStart(lines []string) []string {
	for len(lines) > 0 && isBlank(lines[0]) {
		lines = lines[1:]
	}
	return lines
}
