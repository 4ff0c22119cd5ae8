package mailbox

// appendQP appends s quoted-printable, byte for byte as
// mime/quotedprintable.Writer (text mode) writes and closes it, but
// copying runs of plain characters at once: that encoder, byte by byte
// through a line buffer, was half of what composing a message cost.
// FuzzAppendQP holds the two to the same bytes.
func appendQP(dst []byte, s string) []byte {
	q := qpEncoder{dst: dst}
	q.run(s)
	return q.dst
}

// qpSize is the length of s quoted-printable (appendQP), counted without
// writing it, to size the buffer it is written to.
func qpSize(s string) int {
	q := qpEncoder{count: true}
	q.run(s)
	return q.n
}

// qpMaxCol is the most characters before a soft line break ("=" ends the
// line at 76).
const qpMaxCol = 75

// qpPlain reports whether c is written as it is: printable ASCII but "=",
// or a space or tab.
func qpPlain(c byte) bool { return c >= '!' && c <= '~' && c != '=' || c == ' ' || c == '\t' }

// qpEncoder writes quoted-printable to dst, or, when count is set, only
// counts in n what it would write.
type qpEncoder struct {
	dst   []byte
	count bool
	n     int
	col   int  // characters on the current line
	ws    bool // the line ends in a space or tab written as it is
	cr    bool // the last line break was a CR: an LF right after it adds none
}

func (q *qpEncoder) run(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case qpPlain(c):
			j := i + 1
			for j < len(s) && qpPlain(s[j]) {
				j++
			}
			q.plain(s[i:j])
			i = j
			continue
		case c == '\n' || c == '\r':
			q.lineBreak(c)
		default:
			q.encode(c)
		}
		i++
	}
	q.checkLastByte()
}

func (q *qpEncoder) write(s string) {
	if q.count {
		q.n += len(s)
	} else {
		q.dst = append(q.dst, s...)
	}
}

func (q *qpEncoder) plain(s string) {
	for len(s) > 0 {
		if q.col == qpMaxCol {
			q.softBreak()
		}
		n := min(len(s), qpMaxCol-q.col)
		q.write(s[:n])
		q.col += n
		q.ws = s[n-1] == ' ' || s[n-1] == '\t'
		s = s[n:]
	}
	q.cr = false
}

func (q *qpEncoder) lineBreak(c byte) {
	if q.cr && c == '\n' {
		q.cr = false
		return
	}
	q.cr = c == '\r'
	q.checkLastByte()
	q.write("\r\n")
	q.col, q.ws = 0, false
}

func (q *qpEncoder) encode(c byte) {
	const hex = "0123456789ABCDEF"
	if qpMaxCol-q.col < 3 {
		q.softBreak()
	}
	if q.count {
		q.n += 3
	} else {
		q.dst = append(q.dst, '=', hex[c>>4], hex[c&0x0f])
	}
	q.col += 3
	q.ws = false
}

func (q *qpEncoder) softBreak() {
	q.write("=\r\n")
	q.col, q.ws = 0, false
}

// checkLastByte encodes white space that would end a line.
func (q *qpEncoder) checkLastByte() {
	if !q.ws {
		return
	}
	var c byte = ' '
	if q.count {
		q.n--
	} else {
		c = q.dst[len(q.dst)-1]
		q.dst = q.dst[:len(q.dst)-1]
	}
	q.col--
	q.encode(c)
}
