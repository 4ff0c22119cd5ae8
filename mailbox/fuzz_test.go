package mailbox

import (
	"bytes"
	"errors"
	"net/textproto"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// The fuzz targets of the parser (issue 9 "Fuzzing in CI"; .ci/fuzz runs
// every one for a short time). Inputs that once failed are kept in
// testdata/fuzz/<target>/ and run as ordinary tests by `go test`.
//
// Invariants: no panic (Parse recovers from one, so its "internal error"
// counts as a failure here), valid UTF-8 out, and output sizes within the
// caps, which is what bounds time and memory.

// fuzzSeeds are messages shaped as real clients write them, plus scaled-down
// hostile shapes.
func fuzzSeeds() []string {
	seeds := []string{
		"From: Sanne <sanne@example.nl>\r\nTo: klachten@vlinder.example\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n" +
			"Message-ID: <a@b>\r\nReferences: <x@y> <z@w>\r\n\r\nHallo,\r\n\r\n> eerder\r\n",
		"From: a@b\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" +
			"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>Caf&eacute;<blockquote>q</blockquote>\r\n--x--\r\n",
		"From: a@b\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n\r\nfailed\r\n" +
			"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; x@y\r\nStatus: 5.1.1\r\n" +
			"--r\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@c\r\nSubject: orig\r\n\r\nbody\r\n--r--\r\n",
		"From: a@b\r\nContent-Type: text/plain; format=flowed; delsp=yes; charset*=utf-8''%C3%A9\r\n" +
			"Content-Disposition: attachment; filename*0=\"a\"; filename*1=\"b.pdf\"\r\n\r\nflowed \r\nline\r\n",
		"From: a@b\r\nContent-Type: text/html; charset=shift_jis\r\nContent-Transfer-Encoding: base64\r\n\r\ngqCCooKk\r\n",
		string(mailtest.NestedHTML("a@b", 50, 50)),
		"From: a@example.nl\nSubject: =?utf-8?b?4oA=?=\n\nx",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n--b--",
		"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=b\n\n--b--\n--b\n",
		"Content-Type: text/html\n\n<blockquote><li><pre>&amp;<script>",
		"Content-Type: text/plain; format=flowed; charset=iso-2022-jp\n\n> a \n>> b \n",
		"From: x\nContent-Type: application/x; name*0*=utf-8''%E2; name*1*=%80%99\nContent-Transfer-Encoding: quoted-printable\n\n=E2=8=\n",
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) || strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Parse: %v", err)
			}
			return
		}
		checkUTF8 := func(what, s string) {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", what, s)
			}
		}
		text := m.Text()
		checkUTF8("Text", text)
		checkUTF8("Subject", m.Subject())
		checkUTF8("HTML", m.HTML())
		if len(text) > maxBodyText+maxMIMEParts {
			t.Fatalf("Text of %d bytes", len(text))
		}
		if len(m.Subject()) > 3*maxFieldLen {
			t.Fatalf("Subject of %d bytes", len(m.Subject()))
		}
		if len(m.Problems()) > maxProblems+1 {
			t.Fatalf("%d problems", len(m.Problems()))
		}
		for _, list := range [][]string{m.References(), m.InReplyTo()} {
			if len(list) > maxMsgIDs {
				t.Fatalf("%d msg-ids", len(list))
			}
		}
		for _, as := range [][]string{addrs(m.From()), addrs(m.To()), addrs(m.Cc()), addrs(m.ReplyTo()), addrs(m.Sender())} {
			if len(as) > maxAddresses {
				t.Fatalf("%d addresses", len(as))
			}
		}
		fields := 0
		for k, vs := range m.Header() {
			checkUTF8("header name", k)
			for _, v := range vs {
				checkUTF8("header "+k, v)
				if len(v) > maxFieldLen {
					t.Fatalf("header %s of %d bytes", k, len(v))
				}
			}
			fields += len(vs)
		}
		if fields > maxHeaderFields {
			t.Fatalf("%d header fields", fields)
		}
		for i := range m.AttachmentCount() {
			name, _, size := m.Attachment(i)
			checkUTF8("attachment name", name)
			if size < 0 || size > int64(len(raw)) {
				t.Fatalf("attachment of %d bytes in a %d-byte message", size, len(raw))
			}
		}
		if m.AttachmentCount() > maxMIMEParts {
			t.Fatalf("%d attachments", m.AttachmentCount())
		}
		_, _ = m.ReturnPath()
		_, _, _ = m.MessageID(), m.DeliveredTo(), m.Date()
		_, _ = m.DeliveryStatus(), m.EmbeddedHeaders()
	})
}

func addrs[T interface{ String() string }](as []T) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>Hallo&nbsp;Jan,<br>tekst<blockquote>geciteerd<ul><li>een<li>twee</ul></blockquote>")
	f.Add("<pre>  a\n b</pre><script>x</script><!-- c --><style>d</style>e")
	f.Add(strings.Repeat("<blockquote>", 30) + strings.Repeat("<br>a", 30))
	f.Add(strings.Repeat("<ul><li>", 30) + "x")
	f.Fuzz(func(t *testing.T, src string) {
		text, notes := htmlToTextNotes(src)
		if utf8.ValidString(src) && !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 out of valid input: %q", text)
		}
		if len(text) > maxHTMLText {
			t.Fatalf("%d bytes of text, cap %d", len(text), maxHTMLText)
		}
		// A line costs at least 3 bytes of input ("<p>", "<br") and carries
		// at most the capped prefixes: quotes, list indent and bullet.
		if limit := 16*len(src) + 64; len(text) > limit {
			t.Fatalf("%d bytes of text from %d bytes of HTML", len(text), len(src))
		}
		if len(notes) > 2 {
			t.Fatalf("notes %q", notes)
		}
	})
}

func FuzzDecodeCharset(f *testing.F) {
	f.Add([]byte("Caf\xe9"), "iso-8859-1")
	f.Add([]byte("\x1b$B$3$s$K$A$O\x1b(B"), "iso-2022-jp")
	f.Add([]byte("\xff\xfeh\x00i\x00"), "utf-16")
	f.Add([]byte("\x82\xa0\x82\xa2"), "")
	f.Add([]byte("=?utf-8?b?w6k=?= =?iso-8859-1?q?caf=E9?="), "encoded-words")
	f.Fuzz(func(t *testing.T, b []byte, label string) {
		s, _ := decodeCharset(b, label)
		if !utf8.ValidString(s) {
			t.Fatalf("decodeCharset(%q, %q) = %q: not valid UTF-8", b, label, s)
		}
		// One input byte gives at most one character of three bytes
		// (U+FFFD, or a BMP character of a single-byte charset).
		if len(s) > 3*len(b)+16 {
			t.Fatalf("decodeCharset: %d bytes from %d", len(s), len(b))
		}
		w := decodeEncodedWords(string(b))
		if !utf8.ValidString(w) || len(w) > 3*len(b)+16 {
			t.Fatalf("decodeEncodedWords(%q) = %q", b, w)
		}
	})
}

// FuzzHeaderValue runs the readers of structured header values: address
// lists, msg-id lists, MIME parameters, dates and comments.
func FuzzHeaderValue(f *testing.F) {
	f.Add(`"Jansen, S." <s@example.nl>, =?utf-8?q?B=C3=A9?= <b@x>, (comment) c@d, "e" f@g`)
	f.Add(`<a@b> <c@d> (x) e@f, <g`)
	f.Add(`text/plain; charset="utf-8"; name*0*=utf-8''%C3%A9; name*1="x.pdf" format=flowed`)
	f.Add(`Mon, 2 Mar 2026 09:00:00 +0100 (CET)`)
	f.Fuzz(func(t *testing.T, v string) {
		list, _ := parseAddressList([]string{v, v})
		if len(list) > maxAddresses {
			t.Fatalf("%d addresses", len(list))
		}
		ids, _ := parseMsgIDList([]string{v, v})
		if len(ids) > maxMsgIDs {
			t.Fatalf("%d ids", len(ids))
		}
		mp := parseMIMEParams(v)
		for k, p := range mp.params {
			if len(k)+len(p) > 3*len(v)+16 {
				t.Fatalf("parameter %q of %d bytes from %d", k, len(p), len(v))
			}
		}
		_ = parseDateHeader(v)
		if s := stripHeaderComments(v); len(s) > len(v) {
			t.Fatalf("stripHeaderComments grew %d to %d bytes", len(v), len(s))
		}
		if c := cutMiddle(v, 64); len(c) > 64 || utf8.ValidString(v) && !utf8.ValidString(c) {
			t.Fatalf("cutMiddle(%q) = %q", v, c)
		}
	})
}

// FuzzAttachments: reading the files of any message never panics, lists
// the same files Parse counts, each no larger than the message, and a
// file attached on the way out reads back whole.
func FuzzAttachments(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), []byte("%PDF-1.4"))
	}
	f.Fuzz(func(t *testing.T, raw, data []byte) {
		as, err := Attachments(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) || strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Attachments: %v", err)
			}
			return
		}
		m, _ := Parse(raw)
		if len(as) != m.AttachmentCount() {
			t.Fatalf("%d files read, Parse counts %d", len(as), m.AttachmentCount())
		}
		for i, a := range as {
			if _, _, size := m.Attachment(i); int64(len(a.Data)) != size || len(a.Data) > len(raw) {
				t.Fatalf("file %d: %d bytes, Parse says %d (message %d)", i, len(a.Data), size, len(raw))
			}
		}
		h := textproto.MIMEHeader{"From": {"a@example.org"}, "To": {"b@example.org"}}
		out, err := ComposeFiles(h, "x", "", nil, []Attachment{{Name: "f.pdf", ContentType: "application/pdf", Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		back, err := Attachments(out)
		if err != nil || len(back) != 1 || !bytes.Equal(back[0].Data, data) {
			t.Fatalf("a file of %d bytes did not read back whole: %v", len(data), err)
		}
	})
}
