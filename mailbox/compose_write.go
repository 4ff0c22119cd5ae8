package mailbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/mail"
	"os"
	"slices"
	"strings"
)

// Compose writes the bytes go-mail (compose) writes for the same message,
// boundaries aside, straight into one buffer sized for the message: go-mail
// copies each body into a buffer of its own, grows a buffer per part while
// encoding it and reads the original into yet another, which was a third of
// what opening a case allocated. TestComposeWritesWhatGoMailWrites holds
// the two to the same bytes.

// maxHeaderLength is where go-mail folds header lines (its MaxHeaderLength).
const maxHeaderLength = 76

// charsetUTF8 is how go-mail names the charset of every part.
const charsetUTF8 = "UTF-8"

// write renders m with a text/plain part, a text/html alternative when html
// is not empty and original attached as message/rfc822 when not nil.
func (m *outgoing) write(text, html string, original []byte) []byte {
	text, html = toLF(text), toLF(html)
	var body []byte
	var b64 bool
	if original != nil {
		body, b64 = originalBody(original)
	}
	var out bytes.Buffer
	out.Grow(m.size(text, html, body, b64))

	keys := make([]string, 0, len(m.fields)+1)
	for k := range m.fields {
		keys = append(keys, k)
	}
	if _, ok := m.fields["Message-ID"]; !ok {
		keys = append(keys, "Message-ID")
	}
	keys = append(keys, "MIME-Version")
	slices.Sort(keys)
	for _, k := range keys {
		vs := m.fields[k]
		switch k {
		case "MIME-Version":
			vs = []string{"1.0"}
		case "Message-ID":
			if vs == nil {
				vs = []string{"<" + randomMessageID() + ">"}
			}
		}
		if len(vs) == 1 { // most fields: no slice for the one value
			writeHeader(&out, k, mime.QEncoding.Encode(charsetUTF8, vs[0]))
			continue
		}
		encoded := make([]string, len(vs))
		for i, v := range vs {
			encoded[i] = mime.QEncoding.Encode(charsetUTF8, v)
		}
		writeHeader(&out, k, encoded...)
	}
	writeHeader(&out, "From", m.fromText)
	for _, a := range []struct {
		key, text string
		addrs     []*mail.Address
	}{{"To", m.toText, m.to}, {"Cc", m.ccText, m.cc}, {"Reply-To", m.replyToText, m.replyTo}} {
		if len(a.addrs) > 0 {
			writeHeader(&out, a.key, a.text)
		}
	}

	// The structure go-mail gives these parts: multipart/mixed around the
	// body and the original; multipart/alternative around text and HTML.
	var mixed, alt *multipartWriter
	if original != nil {
		mixed = startMultipart(&out, "mixed", nil)
	}
	if html != "" {
		alt = startMultipart(&out, "alternative", mixed)
	}
	inner := alt
	if inner == nil {
		inner = mixed
	}
	writeTextPart(&out, inner, "text/plain", text)
	if html != "" {
		writeTextPart(&out, inner, "text/html", html)
		alt.close()
	}
	if original != nil {
		enc := "8bit"
		if b64 {
			enc = "base64"
		}
		mixed.part([2]string{"Content-Disposition", `attachment; filename="original.eml"`},
			[2]string{"Content-Transfer-Encoding", enc},
			[2]string{"Content-Type", `message/rfc822; name="original.eml"`})
		if b64 {
			writeBase64(&out, body)
		} else {
			out.Write(body)
		}
		mixed.close()
	}
	return out.Bytes()
}

// size is the length of the message, or a little more: the buffer is
// allocated once, and a short estimate would double it.
func (m *outgoing) size(text, html string, body []byte, b64 bool) int {
	n := 160 // MIME-Version, structure headers and the blank line
	for k, vs := range m.fields {
		for _, v := range vs {
			n += headerSize(k, v)
		}
	}
	for _, addrs := range [][]*mail.Address{m.from, m.to, m.cc, m.replyTo} {
		for _, a := range addrs {
			n += headerSize("Reply-To", a.Name) + len(a.Address) + 6
		}
	}
	n += qpSize(text) + 140 // a part's boundary and header
	if html != "" {
		n += qpSize(html) + 140 + 200 // and multipart/alternative's
	}
	if body != nil {
		n += 200 + 200 // the original's part, multipart/mixed
		if b64 {
			n += (len(body)+2)/3*4 + (len(body)/57+1)*2
		} else {
			n += len(body)
		}
	}
	return n
}

// headerSize is at most the length of a header field with value v,
// RFC 2047-encoded (at most three bytes for one, and the words' own
// brackets) and folded.
func headerSize(key, v string) int {
	n := len(v)
	for i := 0; i < len(v); i++ {
		if v[i] > '~' || v[i] < ' ' && v[i] != '\t' {
			n = len(v)*3 + (len(v)/16+1)*14
			break
		}
	}
	return len(key) + 4 + n + n/20*3
}

// writeHeader writes a header field as go-mail's msgWriter.writeHeader
// does: values joined by ", ", folded before a space-separated word that
// would end within two characters of column 76, the space at the fold
// dropped.
func writeHeader(out *bytes.Buffer, key string, values ...string) {
	out.WriteString(key)
	if len(values) == 0 {
		out.WriteString(":\r\n")
		return
	}
	out.WriteByte(':')
	room := maxHeaderLength - 2 - len(key) - 2
	rest := strings.Join(values, ", ")
	space := true // the one after the colon, or after the last word
	for more := true; more; {
		var word string
		word, rest, more = strings.Cut(rest, " ")
		if room-len(word) <= 1 {
			out.WriteString("\r\n ")
			room = maxHeaderLength - 3
		} else if space {
			out.WriteByte(' ')
		}
		out.WriteString(word)
		room -= len(word)
		if space = more; more {
			room--
		}
	}
	out.WriteString("\r\n")
}

// multipartWriter writes the boundaries of one multipart entity as
// mime/multipart.Writer does, its part headers given in sorted order.
type multipartWriter struct {
	out      *bytes.Buffer
	boundary string
	parts    int
}

// startMultipart begins a multipart/sub entity: in the message header, or
// as a part of parent when not nil.
func startMultipart(out *bytes.Buffer, sub string, parent *multipartWriter) *multipartWriter {
	w := &multipartWriter{out: out, boundary: randomBoundary()}
	contentType := "multipart/" + sub + ";\r\n boundary=" + w.boundary
	if parent == nil {
		out.WriteString("Content-Type: " + contentType + "\r\n\r\n")
	} else {
		parent.part([2]string{"Content-Type", contentType})
	}
	return w
}

// part begins a part with the header fields given, in sorted order.
func (w *multipartWriter) part(fields ...[2]string) {
	if w.parts > 0 {
		w.out.WriteString("\r\n")
	}
	w.parts++
	w.out.WriteString("--")
	w.out.WriteString(w.boundary)
	w.out.WriteString("\r\n")
	for _, f := range fields {
		w.out.WriteString(f[0])
		w.out.WriteString(": ")
		w.out.WriteString(f[1])
		w.out.WriteString("\r\n")
	}
	w.out.WriteString("\r\n")
}

func (w *multipartWriter) close() {
	w.out.WriteString("\r\n--")
	w.out.WriteString(w.boundary)
	w.out.WriteString("--\r\n")
}

// writeTextPart writes s as a quoted-printable UTF-8 part of type ct: of
// mp, or the message's whole body when mp is nil.
func writeTextPart(out *bytes.Buffer, mp *multipartWriter, ct, s string) {
	contentType := ct + "; charset=" + charsetUTF8
	if mp == nil {
		writeHeader(out, "Content-Transfer-Encoding", "quoted-printable")
		writeHeader(out, "Content-Type", contentType)
		out.WriteString("\r\n")
	} else {
		mp.part([2]string{"Content-Transfer-Encoding", "quoted-printable"}, [2]string{"Content-Type", contentType})
	}
	// Appended in place: the buffer was sized for the encoded text.
	out.Write(appendQP(out.AvailableBuffer(), s))
}

// writeBase64 writes b base64 in lines of 76 characters, each ending CRLF,
// as go-mail's base64LineBreaker does.
func writeBase64(out *bytes.Buffer, b []byte) {
	const lineBytes = 57 // 76 characters
	var line [76]byte
	for len(b) > 0 {
		n := min(len(b), lineBytes)
		base64.StdEncoding.Encode(line[:], b[:n])
		out.Write(line[:base64.StdEncoding.EncodedLen(n)])
		out.WriteString("\r\n")
		b = b[n:]
	}
}

// randomBoundary is a boundary as mime/multipart makes one: 30 random
// bytes in hex.
func randomBoundary() string {
	var b [30]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return hex.EncodeToString(b[:])
}

// randomMessageID is a Message-ID for a message given none, as go-mail
// makes one: random characters and the host name.
func randomMessageID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost.localdomain"
	}
	var b [11]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + host
}
