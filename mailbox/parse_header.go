package mailbox

import (
	"bytes"
	"net/textproto"
	"strconv"
	"strings"
)

// Limits on a header block. RFC 5322 section 2.1.1 limits a line to 998
// characters but not a field (folded) or a header; these keep a hostile
// header (100,000 fields, 580,000 References, a 10 MB Subject) from
// costing more than reading it once.
const (
	// maxHeaderFields is the most fields read of one header block; later
	// fields are skipped (real headers have a few dozen, long relay chains
	// a few hundred).
	maxHeaderFields = 1000
	// maxFieldLen is the longest unfolded field value kept. A longer one
	// keeps its start and its end (the newest References are last) and
	// loses its middle, cut at a space or comma.
	maxFieldLen = 64 << 10
)

// hdrField is one header field: canonical name and unfolded, trimmed, valid
// UTF-8 value (RFC 5322 section 2.2.3 unfolding, encoded-words left alone).
type hdrField struct {
	key   string
	value string
}

// hdrFields is a header block in order of appearance.
type hdrFields []hdrField

// get returns the first value of key (canonical form).
func (fs hdrFields) get(key string) string {
	for _, f := range fs {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

func (fs hdrFields) values(key string) []string {
	var vs []string
	for _, f := range fs {
		if f.key == key {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// mimeHeader is the fields as a textproto.MIMEHeader. The workflow asks
// for it for every message, so its value slices are cut from one array
// rather than grown one per key: a first pass counts each key's values
// (as slices of a scratch area), the second places them. Each slice's
// capacity ends at its own values, so a caller's append copies.
func (fs hdrFields) mimeHeader() textproto.MIMEHeader {
	h := make(textproto.MIMEHeader, len(fs))
	area := make([]string, 2*len(fs))
	count, values := area[:len(fs)], area[len(fs):]
	for _, f := range fs {
		h[f.key] = count[:len(h[f.key])+1]
	}
	next := 0
	for _, f := range fs {
		vs := h[f.key]
		if &vs[0] == &count[0] { // first value of its key: give it its place
			n := len(vs)
			vs = values[next : next : next+n]
			next += n
		}
		h[f.key] = append(vs, f.value)
	}
	return h
}

// readHeaderBlock reads the header block at the start of data and returns its
// hdrFields and the offset where the body starts. It is lenient where RFC 5322
// is strict:
//   - a first line that starts with white space is read as a field;
//   - a line that is not a field but looks like a MIME parameter
//     ("name=...") or is followed by a field continues the previous field
//     (an unindented fold, as Exchange and Apache James write them);
//   - any other line that is not a field ends the header without the empty
//     separator line (RFC 5322 section 2.1 requires one), and the body
//     starts at that line;
//   - 8-bit bytes are converted to UTF-8 (RFC 6532 UTF-8 as is, anything
//     else as windows-1252).
//
// notes describe what was worked around.
func readHeaderBlock(data []byte) (fs hdrFields, body int, notes []string) {
	var cur []byte // raw bytes of the field being read, folds joined by '\n'
	flush := func() {
		if cur == nil {
			return
		}
		if len(fs) >= maxHeaderFields {
			notes = appendNote(notes, "more than "+strconv.Itoa(maxHeaderFields)+" header fields; the rest are skipped")
			cur = nil
			return
		}
		f, eightBit := makeField(cur)
		fs = append(fs, f)
		if eightBit {
			notes = appendNote(notes, "header "+quoteLabel(f.key)+" has 8-bit bytes that are not UTF-8")
		}
		if len(f.value) > maxFieldLen {
			fs[len(fs)-1].value = cutMiddle(f.value, maxFieldLen)
			notes = appendNote(notes, "header "+quoteLabel(f.key)+" longer than "+strconv.Itoa(maxFieldLen>>10)+" KB; its middle is left out")
		}
		cur = nil
	}
	pos := 0
	for pos < len(data) {
		line, next := lineAt(data, pos)
		switch {
		case len(bytes.TrimRight(line, "\r")) == 0:
			flush()
			return fs, next, notes
		case line[0] == ' ' || line[0] == '\t':
			switch trimmed := bytes.TrimLeft(line, " \t"); {
			case cur != nil:
				cur = append(append(cur, '\n'), line...)
			case isFieldLine(trimmed): // the very first line is indented
				notes = appendNote(notes, "header starts with white space")
				cur = append([]byte(nil), trimmed...)
			case len(bytes.TrimSpace(trimmed)) > 0:
				return fs, pos, notes // no header at all
			}
		case isFieldLine(line):
			flush()
			cur = append([]byte(nil), line...)
		case cur != nil && (looksLikeParam(line) || fieldFollows(data, next)):
			notes = appendNote(notes, "header field continued on an unindented line")
			cur = append(append(cur, '\n'), line...)
		default:
			flush()
			if len(fs) > 0 {
				notes = appendNote(notes, "header has no empty line before the body")
			}
			return fs, pos, notes
		}
		pos = next
	}
	flush()
	return fs, len(data), notes
}

// lineAt returns the line at pos without its '\n' and the offset after it.
func lineAt(data []byte, pos int) ([]byte, int) {
	i := bytes.IndexByte(data[pos:], '\n')
	if i < 0 {
		return data[pos:], len(data)
	}
	return data[pos : pos+i], pos + i + 1
}

// fieldFollows reports whether a header field comes after pos before the
// next empty line: then the lines in between are broken folds, not the
// start of the body.
func fieldFollows(data []byte, pos int) bool {
	for n := 0; pos < len(data) && n < 64; n++ {
		line, next := lineAt(data, pos)
		if len(bytes.TrimSpace(line)) == 0 {
			return false
		}
		if line[0] != ' ' && line[0] != '\t' && isFieldLine(line) {
			return true
		}
		pos = next
	}
	return false
}

// isFieldLine reports whether line starts "name:", tolerating white space
// before the colon (obs-optional, RFC 5322 section 4.5). RFC 5322 section
// 2.2 allows any printable character but ":" in a name; real names are
// tokens, and accepting only those keeps a folded "h=From:Date:..." of a
// DKIM signature from passing for a field.
func isFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if !isMIMETokenChar(c) {
			return false
		}
	}
	return true
}

// looksLikeParam reports a line such as `boundary="abc"` or `name*0=x`.
func looksLikeParam(line []byte) bool {
	i := bytes.IndexByte(line, '=')
	if i <= 0 {
		return false
	}
	for _, c := range bytes.TrimRight(line[:i], " \t") {
		if !isMIMETokenChar(c) {
			return false
		}
	}
	return true
}

// makeField unfolds one raw field. Each continuation line is trimmed and
// joined with a single space, the usual reading of RFC 5322 unfolding.
func makeField(raw []byte) (f hdrField, eightBit bool) {
	colon := bytes.IndexByte(raw, ':')
	key := textproto.CanonicalMIMEHeaderKey(string(bytes.TrimSpace(raw[:colon])))
	rest := raw[colon+1:]
	b := make([]byte, 0, len(rest))
	for len(rest) > 0 { // line by line, without a slice of lines: a field may have 500,000
		part := rest
		if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
			part, rest = rest[:nl], rest[nl+1:]
		} else {
			rest = nil
		}
		part = bytes.TrimSpace(part)
		if len(part) == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, part...)
	}
	value, eightBit := headerToUTF8(b)
	return hdrField{key: key, value: value}, eightBit
}

// cutMiddle shortens s to at most limit bytes by leaving out its middle:
// the start up to a space or comma, " ", and the end from a space or comma
// on, so no address or id is cut in two where a separator is near. The
// result is valid UTF-8 when s is.
func cutMiddle(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	half := (limit - 1) / 2
	head, tail := s[:half], s[len(s)-half:]
	if i := strings.LastIndexAny(head, " ,"); i > half/2 {
		head = head[:i+1]
	}
	if i := strings.IndexAny(tail, " ,"); i >= 0 && i < half/2 {
		tail = tail[i:]
	}
	head = strings.ToValidUTF8(head, "")
	tail = strings.ToValidUTF8(tail, "")
	return strings.TrimSpace(head) + " " + strings.TrimSpace(tail)
}

// isMIMETokenChar reports RFC 2045 token characters (no tspecials, no space).
func isMIMETokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7F {
		return false
	}
	return !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

// maxNotes caps the notes collected while parsing: Parse lists
// maxProblems of them, and each new note is compared with all before it, so
// without a cap 2,000 parts of 1,000 distinctly named fields would take
// hours.
const maxNotes = 2 * maxProblems

// appendNote adds a note once, while there are fewer than maxNotes.
func appendNote(notes []string, note string) []string {
	if len(notes) >= maxNotes {
		return notes
	}
	for _, n := range notes {
		if n == note {
			return notes
		}
	}
	return append(notes, note)
}
