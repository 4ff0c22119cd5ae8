package workflow

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// isLineBreak reports the characters that end a line of a handler's text:
// LF, CR, and the vertical tab, form feed, NEL and Unicode line and
// paragraph separators a mail client may leave in it.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// splitLines splits text into lines at every line break (isLineBreak); a
// CR LF pair is one break.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var lines []string
	for {
		i := strings.IndexFunc(text, isLineBreak)
		if i < 0 {
			return append(lines, text)
		}
		lines = append(lines, text[:i])
		_, size := utf8.DecodeRuneInString(text[i:])
		text = text[i+size:]
	}
}

// maxCommandLine bounds the part of a line read as a command: a command
// and its argument are short, and normalising a huge line costs time.
const maxCommandLine = 4096

// commandLine is a line as read for commands: without format characters
// (zero-width spaces and joiners, bidi controls, the BOM, soft hyphens),
// control characters, private-use or unassigned code points, every kind of white space (the no-break space, em
// and ideographic spaces, a form feed) a plain space, trimmed; its first
// word normalised to NFKC, so a full-width '＃' or full-width letters are
// the plain ones; and without the '*' or '_' around a line that Outlook
// writes for bold or italic text (*#oordeel*). The rest of the line, a
// measure's description say, keeps the handler's characters.
func commandLine(line string) string {
	if len(line) > maxCommandLine {
		line = strings.ToValidUTF8(line[:maxCommandLine], "")
	}
	line = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case !unicode.IsGraphic(r), r == utf8.RuneError:
			// Format and control characters, private-use and unassigned
			// code points: nothing a reader sees, so nothing a command
			// may hide behind.
			return -1
		}
		return r
	}, line)
	// A combining mark has nothing to combine with at the start of a line.
	line = strings.TrimLeftFunc(line, func(r rune) bool { return r == ' ' || unicode.In(r, unicode.Mn, unicode.Me) })
	line = strings.TrimSpace(line)
	rest := strings.TrimLeft(line, "*_ ")
	marked := rest != line
	head, tail, spaced := strings.Cut(rest, " ")
	rest = norm.NFKC.String(head)
	if spaced {
		rest += " " + tail
	}
	if !strings.HasPrefix(rest, "#") {
		return line // not a command: only its being empty or not matters
	}
	if marked {
		rest = strings.TrimRight(rest, "*_ ")
	}
	return strings.TrimSpace(rest)
}
