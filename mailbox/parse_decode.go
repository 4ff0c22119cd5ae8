package mailbox

import (
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeChunk is the working buffer of the streaming decoders: attachments are
// decoded through it and never held whole.
const decodeChunk = 32 << 10

// decodeTransfer writes body, decoded per its Content-Transfer-Encoding
// (RFC 2045 section 6), to w. Unknown encodings are passed through
// unchanged and noted. Writers here never fail, so neither does this.
func decodeTransfer(w io.Writer, body []byte, cte string) (note string) {
	switch cte {
	case "base64":
		if bad := decodeBase64(w, body); bad > 0 {
			return "base64 body has characters outside the alphabet; skipped"
		}
	case "quoted-printable":
		decodeQP(w, body)
	case "", "7bit", "8bit", "binary":
		_, _ = w.Write(body)
	default:
		_, _ = w.Write(body)
		return "unknown transfer encoding " + quoteLabel(cte) + "; body kept as is"
	}
	return ""
}

// base64Alphabet marks the characters of RFC 2045 section 6.8, table 1.
var base64Alphabet = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = true
	}
	return t
}()

func isBase64Char(c byte) bool { return base64Alphabet[c] }

// decodeBase64 decodes base64 leniently: characters outside the alphabet
// are skipped (RFC 2045 section 6.8 says to ignore them) and counted unless
// they are white space, "=" ends a group wherever it appears (concatenated
// encodings), and an incomplete last group yields what bits it has.
func decodeBase64(w io.Writer, src []byte) (bad int) {
	var stage [decodeChunk]byte // a multiple of 4
	var out [decodeChunk / 4 * 3]byte
	n := 0
	flush := func(final bool) {
		whole := n - n%4
		if whole > 0 {
			m, _ := base64.StdEncoding.Decode(out[:], stage[:whole])
			_, _ = w.Write(out[:m])
		}
		rest := n - whole
		if final && rest >= 2 {
			m, _ := base64.RawStdEncoding.Decode(out[:], stage[whole:n])
			_, _ = w.Write(out[:m])
			rest = 0
		}
		if final {
			rest = 0
		}
		copy(stage[:], stage[whole:whole+rest])
		n = rest
	}
	for _, c := range src {
		switch {
		case base64Alphabet[c]:
			stage[n] = c
			n++
			if n == len(stage) {
				flush(false)
			}
		case c == '=':
			if n > 0 {
				flush(true)
			}
		case c == '\r' || c == '\n' || c == ' ' || c == '\t':
		default:
			bad++
		}
	}
	flush(true)
	return bad
}

// decodeQP decodes quoted-printable (RFC 2045 section 6.7) leniently:
// white space at the end of a line is dropped (rule 3), "=" at the end of a
// line is a soft break, "=XX" accepts lower-case hex, and a malformed "="
// is kept as a literal. Hard line breaks become CRLF, the canonical form.
func decodeQP(w io.Writer, src []byte) {
	out := make([]byte, 0, min(len(src), decodeChunk))
	for pos := 0; pos < len(src); {
		line, next := lineAt(src, pos)
		hard := pos+len(line) < len(src) // the line ended in '\n'
		pos = next
		end := len(line)
		for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t' || line[end-1] == '\r') {
			end--
		}
		line = line[:end]
		soft := end > 0 && line[end-1] == '='
		if soft {
			line = line[:end-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && hexValue(line[i+1]) != 0xFF && hexValue(line[i+2]) != 0xFF {
				c = hexValue(line[i+1])<<4 | hexValue(line[i+2])
				i += 2
			}
			out = append(out, c)
			if len(out) >= decodeChunk {
				_, _ = w.Write(out)
				out = out[:0]
			}
		}
		if hard && !soft {
			out = append(out, '\r', '\n')
		}
	}
	_, _ = w.Write(out)
}

// sizeCounter counts what is written to it: the decoded size of an
// attachment, without keeping it.
type sizeCounter int64

func (c *sizeCounter) Write(p []byte) (int, error) {
	*c += sizeCounter(len(p))
	return len(p), nil
}

// cappedBuffer keeps the first limit bytes written to it and reports
// whether more came.
type cappedBuffer struct {
	buf       []byte
	limit     int
	truncated bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.limit - len(b.buf)
	if len(p) > room {
		b.truncated = true
		b.buf = append(b.buf, p[:max(room, 0)]...)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// trimPartialRune drops an incomplete UTF-8 sequence that truncation left at
// the end of otherwise valid UTF-8.
func trimPartialRune(b []byte) []byte {
	for k := 0; k < utf8.UTFMax && k < len(b); k++ {
		if utf8.Valid(b[:len(b)-k]) {
			return b[:len(b)-k]
		}
	}
	return b
}

// decodeFlowed undoes format=flowed (RFC 3676 section 4): a line ending in a
// space is joined with the next one of the same quote depth, space-stuffing
// is removed, and with DelSp=yes the trailing space is deleted on joining.
// The signature separator "-- " never flows. Quoted lines are written back
// as ">" per level plus one space. Input and output use LF line breaks.
func decodeFlowed(s string, delSp bool) string {
	trailingNL := strings.HasSuffix(s, "\n")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	var out strings.Builder
	out.Grow(len(s))
	inPara, paraDepth := false, 0
	endPara := func() {
		out.WriteByte('\n')
		inPara = false
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(line[depth:], " ")
		if inPara && depth != paraDepth {
			endPara() // a quote depth change ends a paragraph (section 4.5)
		}
		if !inPara {
			paraDepth = depth
			if depth > 0 {
				out.WriteString(strings.Repeat(">", depth))
				if content != "" {
					out.WriteByte(' ')
				}
			}
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delSp {
			content = content[:len(content)-1]
		}
		out.WriteString(content)
		if flowed {
			inPara = true
		} else {
			endPara()
		}
	}
	res := out.String()
	if inPara {
		res += "\n"
	}
	if !trailingNL {
		res = strings.TrimSuffix(res, "\n")
	}
	return res
}

// text decodes a text part: transfer encoding, at most maxTextPart bytes,
// charset (an HTML <meta> charset when the header names none), line breaks
// to LF, a leading byte-order mark dropped, format=flowed undone.
func (w *walker) text(e *mimeEntity, mt string) string {
	limit := w.budget(min(len(e.body), maxTextPart))
	if limit == 0 && len(e.body) > 0 {
		return ""
	}
	if limit == min(len(e.body), maxTextPart) {
		limit = maxTextPart // a decoded body is no longer than its encoding
	}
	buf := cappedBuffer{limit: limit, buf: make([]byte, 0, min(len(e.body), limit))}
	if n := decodeTransfer(&buf, e.body, e.transferEncoding()); n != "" {
		w.note(n)
	}
	raw := buf.buf
	w.decoded += len(raw)
	if buf.truncated && limit == maxTextPart {
		w.note(mt + " part longer than " + strconv.Itoa(maxTextPart>>20) + " MB; the rest is dropped")
		raw = trimPartialRune(raw)
	}
	label := e.ctype.params["charset"]
	if label == "" && mt == "text/html" {
		label = htmlMetaCharset(raw)
	}
	s, n := decodeCharset(raw, label)
	if n != "" {
		w.note(mt + ": " + n)
	}
	s = strings.TrimPrefix(toLF(s), "\uFEFF")
	if mt == "text/plain" && strings.EqualFold(e.ctype.params["format"], "flowed") {
		s = decodeFlowed(s, strings.EqualFold(e.ctype.params["delsp"], "yes"))
	}
	return s
}

// decodeAll decodes a body that has to be read whole (delivery status,
// embedded message); its size is bounded by the input, and all such copies
// together by maxDecoded: nil when that is spent.
func (w *walker) decodeAll(e *mimeEntity) []byte {
	switch cte := e.transferEncoding(); cte {
	case "", "7bit", "8bit", "binary":
		return e.body
	case "base64", "quoted-printable":
		if w.budget(len(e.body)) < len(e.body) {
			return nil
		}
		buf := cappedBuffer{limit: len(e.body), buf: make([]byte, 0, len(e.body))}
		if n := decodeTransfer(&buf, e.body, cte); n != "" {
			w.note(n)
		}
		w.decoded += len(buf.buf)
		return buf.buf
	default:
		w.note("unknown transfer encoding " + quoteLabel(cte) + "; body kept as is")
		return e.body
	}
}

// addAttachment lists a part that is not read as body text; its decoded
// size is counted through the decoder without keeping the bytes (size < 0),
// or given.
func (w *walker) addAttachment(e *mimeEntity, mt string, size int64) {
	var data []byte
	if size < 0 && w.keep {
		// Decoded never grows beyond the encoded body, which is part of
		// the message already in memory.
		buf := cappedBuffer{limit: len(e.body), buf: make([]byte, 0, len(e.body))}
		if note := decodeTransfer(&buf, e.body, e.transferEncoding()); note != "" {
			w.note(note)
		}
		data, size = buf.buf, int64(len(buf.buf))
	} else if size < 0 {
		var n sizeCounter
		if note := decodeTransfer(&n, e.body, e.transferEncoding()); note != "" {
			w.note(note)
		}
		size = int64(n)
	}
	w.attachments = append(w.attachments, attachmentInfo{name: e.filename(), contentType: mt, size: size, data: data})
}
