package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Everything complaintd prints may carry text from a stranger's email: a
// subject, a name, a message. Printed raw, an ESC or OSC sequence in it
// would drive the operator's terminal (move the cursor, rewrite what is on
// screen, set the window title, write to the clipboard), and a bidi control
// would reorder what they read. So every command's output goes through
// termSafe, which writes such characters as visible escapes (\x1b, \u202e);
// newlines and tabs pass, and oneLine escapes those too in fields that must
// stay on one line.

// needsEscape reports whether r is a control character or a bidi control:
// C0 but newline and tab, DEL, C1 (some terminals act on U+009B as CSI), and
// the Unicode bidirectional formatting characters (Unicode TR9).
func needsEscape(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return true
	}
	return false
}

// escapeRune writes r as it is shown instead.
func escapeRune(b *strings.Builder, r rune) {
	if r < 0x100 {
		fmt.Fprintf(b, `\x%02x`, r)
		return
	}
	fmt.Fprintf(b, `\u%04x`, r)
}

// printable is s with control characters escaped (newlines and tabs kept);
// bytes that are not UTF-8 are written as \xNN.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case needsEscape(r):
			escapeRune(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// oneLine is printable for a field shown on one line (a subject in a list,
// a name): newlines and tabs are escaped too, so a stored value can never
// make a line of its own that looks like the program's.
func oneLine(s string) string {
	s = printable(s)
	if !strings.ContainsAny(s, "\n\t") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(s)
}

// termSafe is an io.Writer that passes what is written through printable.
// A UTF-8 sequence split across two writes is held back until it is whole;
// Flush writes what is left.
type termSafe struct {
	w       io.Writer
	pending []byte
}

func newTermSafe(w io.Writer) *termSafe { return &termSafe{w: w} }

func (t *termSafe) Write(p []byte) (int, error) {
	buf := p
	if len(t.pending) > 0 {
		buf = append(t.pending, p...)
		t.pending = nil
	}
	// Hold back an incomplete sequence at the end (at most 3 bytes).
	cut := len(buf)
	for k := 1; k <= 3 && k <= len(buf); k++ {
		c := buf[len(buf)-k]
		if c < 0x80 {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(buf[len(buf)-k:]) {
				cut = len(buf) - k
			}
			break
		}
	}
	t.pending = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(t.w, printable(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held-back partial sequence, escaped.
func (t *termSafe) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	s := printable(string(t.pending))
	t.pending = nil
	_, err := io.WriteString(t.w, s)
	return err
}
