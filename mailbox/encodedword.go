package mailbox

import (
	"encoding/base64"
	"strings"
)

// decodeEncodedWords decodes RFC 2047 encoded-words leniently: whitespace between
// adjacent encoded-words is dropped (RFC 2047 section 6.2), adjacent words in
// the same charset are joined before charset conversion so a multi-byte
// character split across words survives, a space between "?" and the
// encoding letter is tolerated, base64 with bad padding or stray characters
// decodes as far as possible, and unknown charsets fall back like body text.
// Anything that is not an encoded-word is kept as is. The result is valid
// UTF-8.
func decodeEncodedWords(s string) string {
	if !strings.Contains(s, "=?") {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	var out strings.Builder
	var pending []byte // decoded bytes of the current run of words
	pendingCharset := ""
	flush := func() {
		if len(pending) > 0 {
			text, _ := decodeCharset(pending, pendingCharset)
			out.WriteString(text)
			pending = pending[:0]
		}
	}
	f := newWordFinder(s)
	afterWord := false
	for pos := 0; pos < len(s); {
		i := strings.Index(s[pos:], "=?")
		if i < 0 {
			flush()
			out.WriteString(s[pos:])
			break
		}
		start := pos + i
		cs, raw, next, ok := f.split(start)
		if !ok {
			flush()
			out.WriteString(s[pos : start+2])
			pos = start + 2
			afterWord = false
			continue
		}
		between := s[pos:start]
		if !(afterWord && strings.TrimSpace(between) == "") {
			flush()
			out.WriteString(between)
		}
		if cs != pendingCharset {
			flush()
			pendingCharset = cs
		}
		pending = append(pending, raw...)
		afterWord = true
		pos = next
	}
	flush()
	return strings.ToValidUTF8(out.String(), "\uFFFD")
}

// wordFinder reads encoded-words out of one header value. The '?', "?="
// and white space that end the parts of a word are found through memos,
// so a value of many broken words ("=?a?q?x" 9,000 times, then " ?=") is
// read in linear time, not by searching the rest of it for each word (a
// second per 64 KB field, minutes per message).
type wordFinder struct {
	s                    string
	qmark, end, newSpace nextIndex
}

func newWordFinder(s string) *wordFinder {
	return &wordFinder{s: s,
		qmark:    nextIndex{s: s, pattern: "?", lo: -1},
		end:      nextIndex{s: s, pattern: "?=", lo: -1},
		newSpace: nextIndex{s: s, pattern: " \t", any: true, lo: -1},
	}
}

// split parses "=?charset?X?text?=" at s[start:] and returns the charset
// (RFC 2231 language suffix removed), the decoded bytes and the offset after
// the word.
func (f *wordFinder) split(start int) (cs string, decoded []byte, next int, ok bool) {
	s := f.s
	csStart := start + 2
	q := f.qmark.from(csStart)
	if q <= csStart {
		return "", nil, 0, false
	}
	if ws := f.newSpace.from(csStart); ws >= 0 && ws < q {
		return "", nil, 0, false
	}
	cs = s[csStart:q]
	if star := strings.IndexByte(cs, '*'); star >= 0 {
		cs = cs[:star]
	}
	b := q + 1
	for b < len(s) && s[b] == ' ' {
		b++
	}
	if b+1 >= len(s) || s[b+1] != '?' {
		return "", nil, 0, false
	}
	enc := s[b] | 0x20
	textStart := b + 2
	end := f.end.from(textStart)
	if end < 0 {
		return "", nil, 0, false
	}
	if ws := f.newSpace.from(textStart); ws >= 0 && ws < end {
		return "", nil, 0, false
	}
	text := s[textStart:end]
	switch enc {
	case 'b':
		decoded = decodeBase64String(text)
	case 'q':
		decoded = decodeQWord(text)
	default:
		return "", nil, 0, false
	}
	return cs, decoded, end + 2, true
}

// nextIndex finds the first pattern (or, with any, the first of its bytes)
// at or after an offset of s, remembering the last answer: the first match
// at or after lo is at (-1: none; lo < 0: nothing known yet). Queries that
// move forward, or a little back, cost only the text not searched before.
type nextIndex struct {
	s, pattern string
	any        bool
	lo, at     int
	searched   int // bytes searched in all
}

func (n *nextIndex) index(s string) int {
	var j int
	if n.any {
		j = strings.IndexAny(s, n.pattern)
	} else {
		j = strings.Index(s, n.pattern)
	}
	if j < 0 {
		n.searched += len(s)
	} else {
		n.searched += j + 1
	}
	return j
}

func (n *nextIndex) from(i int) int {
	if i > len(n.s) {
		return -1
	}
	plen := len(n.pattern)
	if n.any {
		plen = 1
	}
	switch {
	case n.lo >= 0 && i >= n.lo && (n.at < 0 || i <= n.at):
		return n.at
	case n.lo >= 0 && i < n.lo:
		// Only [i, lo) is new: a match starting there, or the one known.
		hi := min(n.lo+plen-1, len(n.s))
		if j := n.index(n.s[i:hi]); j >= 0 {
			n.at = i + j
		}
		n.lo = i
		return n.at
	}
	n.lo, n.at = i, -1
	if j := n.index(n.s[i:]); j >= 0 {
		n.at = i + j
	}
	return n.at
}

// decodeBase64String decodes base64 ignoring characters outside the alphabet
// and missing or wrong padding.
func decodeBase64String(s string) []byte {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isBase64Char(s[i]) {
			clean = append(clean, s[i])
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}

// decodeQWord decodes the Q encoding of RFC 2047 section 4.2: "_" is a space,
// "=XX" a byte; a malformed "=" is kept literally.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && hasHexPair(s, i+1):
			out = append(out, hexValue(s[i+1])<<4|hexValue(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}
