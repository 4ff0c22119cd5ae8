package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// maxLine8bit is the longest line "8bit" allows (RFC 2045 section 2.8).
const maxLine8bit = 998

// Compose renders an outgoing message to its final bytes with go-mail (github.com/wneessen/go-mail).
// h carries From, To, Cc, Reply-To (address headers, RFC 5322 syntax, may hold several addresses
// and display names with non-ASCII characters), Subject (UTF-8, RFC 2047-encode as needed),
// Message-ID (with or without angle brackets; always written with them), In-Reply-To and References
// (space-separated ids, written with brackets), Date (RFC 5322 date string; when absent use time.Now())
// and any extra headers verbatim (Auto-Submitted, X-Auto-Response-Suppress, X-Complaintd-Loop, ...).
// The body is multipart/alternative (text/plain then text/html, UTF-8, quoted-printable) when html
// is non-empty, otherwise a single text/plain part. When original is non-nil the result is
// multipart/mixed: the body above followed by original attached as message/rfc822 (filename
// "original.eml"). Lines are CRLF. Go-mail's own User-Agent/X-Mailer headers are not added.
//
// Without a Message-ID go-mail makes one from random characters and the
// host name. From must hold exactly one address (RFC 5322 section 3.6.2
// would need a Sender otherwise). Bcc is refused: it must not travel in the
// header, the SMTP envelope carries it. The MIME structure headers
// (Content-*, MIME-Version) are Compose's own and refused too. Header values
// must not contain line breaks; non-ASCII extra values are RFC 2047-encoded,
// and several values of one extra header are joined with ", ".
func Compose(h textproto.MIMEHeader, text, html string, original []byte) ([]byte, error) {
	return compose(h, text, html, original, nil)
}

// compose is Compose; more, when not nil, attaches further files last.
func compose(h textproto.MIMEHeader, text, html string, original []byte, more func(*gomail.Msg) error) ([]byte, error) {
	hdr := make(map[string][]string, len(h))
	for k, vs := range h {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("mailbox: compose: header %s contains a line break", ck)
			}
		}
		hdr[ck] = append(hdr[ck], vs...)
	}
	take := func(key string) []string {
		vs := hdr[key]
		delete(hdr, key)
		return vs
	}

	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP))

	from, err := composeAddresses("From", take("From"))
	if err != nil {
		return nil, err
	}
	if len(from) != 1 {
		return nil, fmt.Errorf("mailbox: compose: From must hold exactly one address, has %d", len(from))
	}
	m.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, from...)
	var recipients int
	for _, a := range []struct {
		key    string
		header gomail.AddrHeader
	}{{"To", gomail.HeaderTo}, {"Cc", gomail.HeaderCc}, {"Reply-To", gomail.HeaderReplyTo}} {
		addrs, err := composeAddresses(a.key, take(a.key))
		if err != nil {
			return nil, err
		}
		if len(addrs) > 0 {
			m.SetAddrHeaderFromMailAddress(a.header, addrs...)
		}
		if a.key != "Reply-To" {
			recipients += len(addrs)
		}
	}
	if recipients == 0 {
		return nil, errors.New("mailbox: compose: no recipient in To or Cc")
	}

	if err := composeHeaders(m, hdr, take); err != nil {
		return nil, err
	}

	m.SetBodyString(gomail.TypeTextPlain, toLF(text))
	if html != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, toLF(html))
	}
	if original != nil {
		// RFC 2046 section 5.2.1: message/rfc822 is 7bit, 8bit or binary.
		// 8bit needs CRLF lines of at most 998 octets; an original with
		// longer lines is sent base64, which readers accept in practice.
		body := composeCRLF(original)
		enc := gomail.NoEncoding
		if longestLine(body) > maxLine8bit {
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
	// Sized once from what goes in (quoted-printable adds about a tenth,
	// base64 a third), instead of doubling its way up from nothing; files
	// attached (more) grow it further.
	var out bytes.Buffer
	out.Grow(2048 + (len(text)+len(html))*11/10 + len(original)*4/3)
	if _, err := m.WriteTo(&out); err != nil {
		return nil, fmt.Errorf("mailbox: compose: %w", err)
	}
	return out.Bytes(), nil
}

// composeHeaders sets Subject, Message-ID, threading, Date and the extra
// headers left in hdr.
func composeHeaders(m *gomail.Msg, hdr map[string][]string, take func(string) []string) error {
	if vs := take("Subject"); len(vs) > 0 {
		m.Subject(vs[0])
	}
	if vs := take("Message-Id"); len(vs) > 0 {
		id := strings.Trim(strings.TrimSpace(vs[0]), "<>")
		if id == "" || strings.ContainsAny(id, " \t<>") {
			return fmt.Errorf("mailbox: compose: bad Message-ID %q", vs[0])
		}
		m.SetMessageIDWithValue(id)
	}
	for key, header := range map[string]gomail.Header{"In-Reply-To": gomail.HeaderInReplyTo, "References": gomail.HeaderReferences} {
		if ids := composeMsgIDs(take(key)); ids != "" {
			m.SetGenHeader(header, ids)
		}
	}
	if vs := take("Date"); len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
		if _, err := mail.ParseDate(vs[0]); err != nil {
			return fmt.Errorf("mailbox: compose: bad Date %q: %w", vs[0], err)
		}
		m.SetGenHeader(gomail.HeaderDate, strings.TrimSpace(vs[0]))
	} else {
		m.SetDateWithValue(time.Now())
	}
	for key, vs := range hdr {
		switch {
		case key == "Bcc":
			return errors.New("mailbox: compose: Bcc belongs in the SMTP envelope, not the header")
		case key == "Mime-Version" || strings.HasPrefix(key, "Content-"):
			return fmt.Errorf("mailbox: compose: header %s is set by Compose", key)
		case len(vs) == 0:
			continue
		}
		// go-mail leaves ASCII values as they are and RFC 2047-encodes others.
		m.SetGenHeader(gomail.Header(key), vs...)
	}
	return nil
}

// composeAddresses parses the values of an address header strictly: what
// we send must be right.
func composeAddresses(key string, values []string) ([]*mail.Address, error) {
	var out []*mail.Address
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		list, err := mail.ParseAddressList(v)
		if err != nil {
			return nil, fmt.Errorf("mailbox: compose: %s %q: %w", key, v, err)
		}
		out = append(out, list...)
	}
	return out, nil
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

// composeCRLF turns LF and lone CR line breaks into CRLF.
func composeCRLF(b []byte) []byte {
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
