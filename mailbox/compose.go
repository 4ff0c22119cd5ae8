package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// maxLine8bit is the longest line "8bit" allows (RFC 2045 section 2.8).
const maxLine8bit = 998

// Compose renders an outgoing message to its final bytes, exactly as go-mail
// (github.com/wneessen/go-mail) writes them but for the random boundaries
// (compose_write.go; ComposeFiles still uses go-mail).
// h carries From, To, Cc, Reply-To (address headers, RFC 5322 syntax, may hold several addresses
// and display names with non-ASCII characters), Subject (UTF-8, RFC 2047-encode as needed),
// Message-ID (with or without angle brackets; always written with them), In-Reply-To and References
// (space-separated ids, written with brackets), Date (RFC 5322 date string; when absent use time.Now())
// and any extra headers verbatim (Auto-Submitted, X-Auto-Response-Suppress, X-Complaintd-Loop, ...).
// The body is multipart/alternative (text/plain then text/html, UTF-8, quoted-printable) when html
// is non-empty, otherwise a single text/plain part. When original is non-nil the result is
// multipart/mixed: the body above followed by original attached as message/rfc822 (filename
// "original.eml"). Lines are CRLF. No User-Agent/X-Mailer header is added.
//
// Without a Message-ID one is made from random characters and the host
// name. From must hold exactly one address (RFC 5322 section 3.6.2
// would need a Sender otherwise). Bcc is refused: it must not travel in the
// header, the SMTP envelope carries it. The MIME structure headers
// (Content-*, MIME-Version) are Compose's own and refused too. Header values
// must not contain line breaks; non-ASCII extra values are RFC 2047-encoded,
// and several values of one extra header are joined with ", ".
func Compose(h textproto.MIMEHeader, text, html string, original []byte) ([]byte, error) {
	m, err := prepare(h)
	if err != nil {
		return nil, err
	}
	return m.write(text, html, original), nil
}

// outgoing is a message's header, checked: its addresses and the other
// fields, keyed as go-mail spells them, values not yet encoded.
type outgoing struct {
	from, to, cc, replyTo []*mail.Address
	// The address fields' values as written: the addresses'
	// mail.Address.String joined by ", " (the form the workflow writes is
	// that string already, kept rather than written again).
	fromText, toText, ccText, replyToText string
	fields                                map[string][]string
}

// prepare checks the header of an outgoing message (see Compose).
func prepare(h textproto.MIMEHeader) (*outgoing, error) {
	canonical := true
	for k, vs := range h {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		canonical = canonical && ck == k
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("mailbox: compose: header %s contains a line break", ck)
			}
		}
	}
	// h is only read. The workflow's header has its keys in canonical
	// form (MIMEHeader.Set), so it is read as it is; other keys are merged
	// into a copy first.
	hdr := h
	if !canonical {
		hdr = make(textproto.MIMEHeader, len(h))
		for k, vs := range h {
			ck := textproto.CanonicalMIMEHeaderKey(k)
			hdr[ck] = append(hdr[ck], vs...)
		}
	}

	m := &outgoing{fields: make(map[string][]string, len(hdr)+1)}
	var err error
	if m.from, m.fromText, err = composeAddresses("From", hdr["From"]); err != nil {
		return nil, err
	}
	if len(m.from) != 1 {
		return nil, fmt.Errorf("mailbox: compose: From must hold exactly one address, has %d", len(m.from))
	}
	for _, a := range []struct {
		key  string
		dest *[]*mail.Address
		text *string
	}{{"To", &m.to, &m.toText}, {"Cc", &m.cc, &m.ccText}, {"Reply-To", &m.replyTo, &m.replyToText}} {
		if *a.dest, *a.text, err = composeAddresses(a.key, hdr[a.key]); err != nil {
			return nil, err
		}
	}
	if len(m.to)+len(m.cc) == 0 {
		return nil, errors.New("mailbox: compose: no recipient in To or Cc")
	}
	if err := m.headers(hdr); err != nil {
		return nil, err
	}
	return m, nil
}

// composedField reports whether Compose reads header field key (canonical)
// itself; the others are written as given.
func composedField(key string) bool {
	switch key {
	case "From", "To", "Cc", "Reply-To", "Subject", "Message-Id", "In-Reply-To", "References", "Date":
		return true
	}
	return false
}

// compose is Compose written by go-mail, with more, when not nil,
// attaching further files last (ComposeFiles). Compose writes the same
// bytes itself (compose_write.go), without go-mail's copies.
func compose(h textproto.MIMEHeader, text, html string, original []byte, more func(*gomail.Msg) error) ([]byte, error) {
	p, err := prepare(h)
	if err != nil {
		return nil, err
	}
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP))
	m.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, p.from...)
	for _, a := range []struct {
		header gomail.AddrHeader
		addrs  []*mail.Address
	}{{gomail.HeaderTo, p.to}, {gomail.HeaderCc, p.cc}, {gomail.HeaderReplyTo, p.replyTo}} {
		if len(a.addrs) > 0 {
			m.SetAddrHeaderFromMailAddress(a.header, a.addrs...)
		}
	}
	for key, vs := range p.fields {
		m.SetGenHeader(gomail.Header(key), slices.Clone(vs)...)
	}

	m.SetBodyString(gomail.TypeTextPlain, toLF(text))
	if html != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, toLF(html))
	}
	if original != nil {
		body, b64 := originalBody(original)
		enc := gomail.NoEncoding
		if b64 {
			enc = gomail.EncodingB64
		}
		if err := m.AttachReader("original.eml", bytes.NewReader(body),
			gomail.WithFileContentType("message/rfc822"), gomail.WithFileEncoding(enc)); err != nil {
			return nil, fmt.Errorf("mailbox: compose: attach original: %w", err)
		}
	}

	if more != nil {
		if err := more(m); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	out.Grow(2048 + (len(text)+len(html))*11/10 + len(original)*4/3)
	if _, err := m.WriteTo(&out); err != nil {
		return nil, fmt.Errorf("mailbox: compose: %w", err)
	}
	return out.Bytes(), nil
}

// originalBody is original as attached: CRLF lines, and whether it goes
// base64. RFC 2046 section 5.2.1: message/rfc822 is 7bit, 8bit or binary.
// 8bit needs CRLF lines of at most 998 octets; an original with longer
// lines is sent base64, which readers accept in practice.
func originalBody(original []byte) (body []byte, b64 bool) {
	body = composeCRLF(original)
	return body, longestLine(body) > maxLine8bit
}

// headers sets Subject, Message-ID, threading, Date and the extra
// headers of hdr.
func (m *outgoing) headers(hdr textproto.MIMEHeader) error {
	if vs := hdr["Subject"]; len(vs) > 0 {
		m.fields["Subject"] = vs[:1]
	}
	if vs := hdr["Message-Id"]; len(vs) > 0 {
		id := strings.Trim(strings.TrimSpace(vs[0]), "<>")
		if id == "" || strings.ContainsAny(id, " \t<>") {
			return fmt.Errorf("mailbox: compose: bad Message-ID %q", vs[0])
		}
		m.fields["Message-ID"] = []string{"<" + id + ">"}
	}
	for _, key := range []string{"In-Reply-To", "References"} {
		if ids := composeMsgIDs(hdr[key]); ids != "" {
			m.fields[key] = []string{ids}
		}
	}
	if vs := hdr["Date"]; len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
		date := strings.TrimSpace(vs[0])
		// What the workflow writes (RFC1123Z) is checked without trying
		// net/mail's other layouts first, each failure an error value.
		if _, err := time.Parse(time.RFC1123Z, date); err != nil {
			if _, err := mail.ParseDate(vs[0]); err != nil {
				return fmt.Errorf("mailbox: compose: bad Date %q: %w", vs[0], err)
			}
		}
		m.fields["Date"] = []string{date}
	} else {
		m.fields["Date"] = []string{time.Now().Format(time.RFC1123Z)}
	}
	for key, vs := range hdr {
		switch {
		case composedField(key):
			continue
		case key == "Bcc":
			return errors.New("mailbox: compose: Bcc belongs in the SMTP envelope, not the header")
		case key == "Mime-Version" || strings.HasPrefix(key, "Content-"):
			return fmt.Errorf("mailbox: compose: header %s is set by Compose", key)
		case len(vs) == 0:
			continue
		}
		// ASCII values are written as they are, others RFC 2047-encoded.
		m.fields[key] = vs
	}
	return nil
}

// composeAddresses parses the values of an address header strictly: what
// we send must be right. text is the field's value as written: the
// addresses' String joined by ", ".
func composeAddresses(key string, values []string) (out []*mail.Address, text string, err error) {
	var texts []string
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if a, ok := simpleAddress(v); ok {
			out = append(out, a)
			// String writes a bare address in brackets, the named form
			// as simpleAddress read it.
			if a.Name == "" {
				v = "<" + v + ">"
			}
			texts = append(texts, v)
			continue
		}
		list, err := mail.ParseAddressList(v)
		if err != nil {
			return nil, "", fmt.Errorf("mailbox: compose: %s %q: %w", key, v, err)
		}
		out = append(out, list...)
		for _, a := range list {
			texts = append(texts, a.String())
		}
	}
	return out, strings.Join(texts, ", "), nil
}

// composeMsgIDs writes ids given with or without brackets, separated by
// white space or commas, as "<a> <b>" (RFC 5322 section 3.6.4).
func composeMsgIDs(values []string) string {
	var ids []string
	for _, v := range values {
		for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
			if id = strings.Trim(id, "<>"); id != "" {
				ids = append(ids, "<"+id+">")
			}
		}
	}
	return strings.Join(ids, " ")
}

// composeCRLF turns LF and lone CR line breaks into CRLF. Mail read from
// IMAP has CRLF lines already and is returned as it is, not copied.
func composeCRLF(b []byte) []byte {
	if onlyCRLF(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/40)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

// longestLine returns the length of the longest line, without its CRLF.
func longestLine(b []byte) int {
	longest := 0
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		longest = max(longest, len(bytes.TrimSuffix(b[:i], []byte{'\r'})))
		b = b[min(i+1, len(b)):]
	}
	return longest
}

// onlyCRLF reports whether every CR and LF in b is part of a CRLF.
func onlyCRLF(b []byte) bool {
	for i := bytes.IndexAny(b, "\r\n"); i >= 0; i = bytes.IndexAny(b, "\r\n") {
		if b[i] != '\r' || i+1 == len(b) || b[i+1] != '\n' {
			return false
		}
		b = b[i+2:]
	}
	return true
}
