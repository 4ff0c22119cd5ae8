package templates

import (
	"bytes"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The text a template writes is turned into the strings Render returns in
// one pass each, straight from the rendering buffer: every message sent is
// rendered, and copying each part two or three times on the way (String,
// Split, Join) was a fifth of what opening a case allocated.

// maxPooledBuffer is the largest rendering buffer kept for the next Render;
// a message quoting a huge complaint does not pin its buffer.
const maxPooledBuffer = 64 << 10

// buffers are the rendering buffers of a Set, reused across Renders.
type buffers struct{ pool sync.Pool }

func (s *Set) buffer() *bytes.Buffer {
	if b, ok := s.bufs.pool.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	b := new(bytes.Buffer)
	b.Grow(8 << 10) // the longest messages' HTML, not doubled up from nothing
	return b
}

func (s *Set) release(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		s.bufs.pool.Put(b)
	}
}

// oneLine is strings.Join(strings.Fields(string(b)), " "): the words of b
// separated by single spaces.
func oneLine(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	space := false
	for i := 0; i < len(b); {
		r, n := rune(b[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(b[i:])
		}
		if unicode.IsSpace(r) {
			space = true
		} else {
			if space && out.Len() > 0 {
				out.WriteByte(' ')
			}
			space = false
			out.Write(b[i : i+n])
		}
		i += n
	}
	return out.String()
}

// tidyText trims trailing spaces and runs of blank lines that template
// actions leave behind, so the plain text reads as written: CRLF becomes
// LF, leading blank lines go, a run of blank lines becomes one, and the
// text ends in exactly one line break.
func tidyText(b []byte) string {
	var out strings.Builder
	out.Grow(len(b) + 1)
	blank := true // drop leading blank lines
	gap := false  // a blank line is due before the next line of text
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
			line = bytes.TrimSuffix(line, []byte{'\r'})
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 {
			if !blank {
				gap = true
			}
			blank = true
			continue
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
			if gap {
				out.WriteByte('\n')
			}
		}
		out.Write(line)
		blank, gap = false, false
	}
	out.WriteByte('\n')
	return out.String()
}

// withNewline is string(b) + "\n" in one allocation.
func withNewline(b []byte) string {
	var out strings.Builder
	out.Grow(len(b) + 1)
	out.Write(b)
	out.WriteByte('\n')
	return out.String()
}
