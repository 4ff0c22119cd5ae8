package mailbox

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// Issue 9 item 1: prefixes of nested blockquotes were written in full in
// front of every line, so text grew with depth × lines.
func TestParseNestedHTMLBounded(t *testing.T) {
	raw := mailtest.NestedHTML("ouder@example.nl", 2000, 5000) // 35 KB; 20 MB of text before the fix
	m := mustParseMessage(t, string(raw))
	text := m.Text()
	if len(text) > 2*len(raw) {
		t.Fatalf("Text is %d bytes for a %d-byte message", len(text), len(raw))
	}
	lines := strings.Split(text, "\n")
	if len(lines) != 5000 {
		t.Errorf("got %d lines, want 5000 (one per <br>a)", len(lines))
	}
	want := strings.Repeat("> ", maxHTMLPrefixDepth) + "a"
	if lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if !hasProblem(m, "nested deeper than") {
		t.Errorf("no problem noted for the depth cap: %q", m.Problems())
	}
}

func TestHTMLToTextOutputCapped(t *testing.T) {
	src := strings.Repeat("<blockquote>", maxHTMLPrefixDepth) + strings.Repeat("<br>a", 1<<20)
	text, notes := htmlToTextNotes(src) // 17 MB of text uncapped
	if len(text) > maxHTMLText {
		t.Fatalf("text is %d bytes, more than the cap %d", len(text), maxHTMLText)
	}
	if len(text) < maxHTMLText/2 {
		t.Errorf("text is %d bytes: the cap cut far too early", len(text))
	}
	if !utf8.ValidString(text) || !strings.HasSuffix(text, "a") {
		t.Errorf("text does not end in whole lines: %q", text[len(text)-20:])
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "longer than 4 MB") {
		t.Errorf("notes %q, want one about the cap", notes)
	}
}

// Lists indent two spaces per level: capped like quotes.
func TestHTMLToTextListDepthCapped(t *testing.T) {
	text := htmlToText(strings.Repeat("<ul><li>x", 1000))
	for _, l := range strings.Split(text, "\n") {
		if indent := len(l) - len(strings.TrimLeft(l, " ")); indent > 2*maxHTMLPrefixDepth {
			t.Fatalf("line indented %d spaces", indent)
		}
	}
}

func shape(t *testing.T, name string) []byte {
	t.Helper()
	for _, s := range mailtest.HostileShapes() {
		if s.Name == name {
			return s.Build()
		}
	}
	t.Fatalf("no shape %q", name)
	return nil
}

func TestParseHeaderLimits(t *testing.T) {
	t.Run("100,000 fields", func(t *testing.T) {
		m := mustParseMessage(t, string(shape(t, "headers-100000")))
		n := 0
		for _, vs := range m.Header() {
			n += len(vs)
		}
		if n > maxHeaderFields {
			t.Errorf("%d fields kept, cap %d", n, maxHeaderFields)
		}
		if m.Subject() != "veel velden" || m.Text() != "Tekst." || !hasProblem(m, "header fields; the rest are skipped") {
			t.Errorf("subject %q, text %q, problems %q", m.Subject(), m.Text(), m.Problems())
		}
	})
	t.Run("580,000 References", func(t *testing.T) {
		m := mustParseMessage(t, string(shape(t, "references-580000")))
		refs := m.References()
		if len(refs) != maxMsgIDs || refs[0] != "r0@x" || refs[len(refs)-1] != "r579999@x" {
			t.Errorf("%d refs, first %q, last %q; want %d from r0@x to r579999@x", len(refs), refs[0], refs[len(refs)-1], maxMsgIDs)
		}
		if !hasProblem(m, `"References" longer than`) || !hasProblem(m, "References lists more than") {
			t.Errorf("problems %q", m.Problems())
		}
	})
	t.Run("7,000 Cc", func(t *testing.T) {
		m := mustParseMessage(t, string(shape(t, "cc-7000")))
		cc := m.Cc()
		if len(cc) != maxAddresses || cc[0].Address != "kopie0@elders.example" {
			t.Errorf("%d Cc, first %v", len(cc), cc[0])
		}
		if !hasProblem(m, "Cc lists more than") {
			t.Errorf("problems %q", m.Problems())
		}
	})
	t.Run("10 MB subject", func(t *testing.T) {
		m := mustParseMessage(t, string(shape(t, "subject-10MB")))
		s := m.Subject()
		if len(s) > maxFieldLen || !strings.HasPrefix(s, "onderwerp onderwerp") || !strings.HasSuffix(s, "onderwerp") {
			t.Errorf("subject of %d bytes: %q…", len(s), s[:min(len(s), 40)])
		}
		if !hasProblem(m, `"Subject" longer than 64 KB`) {
			t.Errorf("problems %q", m.Problems())
		}
	})
}

func TestCutMiddle(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"kort", "kort"},
		{"aaa bbb ccc ddd eee fff ggg", "aaa ggg"},
		{"één twee drie vier vijf zes", "één zes"},
		{"ééééééééééééééé", "éé éé"},
	} {
		got := cutMiddle(tc.in, 12)
		if got != tc.want || len(got) > 12 && tc.in != got || !utf8.ValidString(got) {
			t.Errorf("cutMiddle(%q, 12) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Each level of a quoted-printable message/rfc822 inside a message/rfc822
// is decoded into a copy; 30 levels of a 3 MB message were 90 MB.
func TestParseDecodeBudget(t *testing.T) {
	inner := "From: a@example.nl\r\nSubject: binnenste\r\n\r\n" + strings.Repeat("regel tekst\r\n", 3<<20/13)
	for i := range 30 {
		inner = fmt.Sprintf("From: laag%d@example.nl\r\nSubject: laag %d\r\nContent-Type: message/rfc822\r\n"+
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n", i, i) + inner
	}
	m := mustParseMessage(t, inner)
	if !hasProblem(m, "decoded in all") {
		t.Errorf("no problem noted for the decoding budget: %q", m.Problems())
	}
	if n := len(m.EmbeddedHeaders()); n < 10 || n > 30 {
		t.Errorf("%d embedded headers read", n)
	}
}

// An unknown transfer encoding is read as is, without a copy per level.
func TestParseUnknownEncodingEmbedded(t *testing.T) {
	raw := "From: a@example.nl\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: x-weird\r\n\r\n" +
		"From: b@example.nl\r\nSubject: binnen\r\n\r\nHallo\r\n"
	m := mustParseMessage(t, raw)
	if h := m.EmbeddedHeaders(); len(h) != 1 || h[0].Get("Subject") != "binnen" || !hasProblem(m, "x-weird") {
		t.Errorf("embedded %v, problems %q", h, m.Problems())
	}
}

// Each note is compared with all before it: their number must be capped,
// or 2,000 parts of 1,000 distinctly named 8-bit fields take hours.
func TestNotesAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.nl\r\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "X-%d: caf\xe9\r\n", i)
	}
	fs, _, notes := readHeaderBlock([]byte(b.String()))
	if len(notes) > maxNotes || len(fs) != maxHeaderFields {
		t.Errorf("%d notes (cap %d), %d fields", len(notes), maxNotes, len(fs))
	}
	m := mustParseMessage(t, b.String()+"\r\nx")
	if p := m.Problems(); len(p) != maxProblems+1 || p[maxProblems] != "more problems not listed" {
		t.Errorf("%d problems", len(p))
	}
}

// An element that hides its content ("<head>", "<script>") is searched for
// its end; 200,000 "<head>" without one searched the rest of the document
// 200,000 times (minutes for 1.2 MB). Each end tag is now searched for over
// the document at most about once.
func TestHTMLEndTagSearchIsLinear(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("<head>", 20000),
		strings.Repeat("<head><title>x</title></head>", 10000),
		strings.Repeat("<script>x</script><style>", 10000),
		strings.Repeat("<head>a<body>", 10000),
	} {
		f := htmlFinder{lower: src}
		for i := 0; i+1 < len(src); i++ { // every start tag, even those inside hidden content
			if src[i] == '<' && htmlIsLetter(src[i+1]) {
				name, _, next := htmlReadTag(src, i)
				f.skipElement(name, next)
			}
		}
		if f.scanned > 3*len(src) {
			t.Errorf("%q…: searched %d bytes of a %d-byte document", src[:12], f.scanned, len(src))
		}
		if text := htmlToText(src); strings.Contains(text, "x") {
			t.Errorf("%q…: hidden content shown: %q", src[:12], text[:min(len(text), 20)])
		}
	}
}

// A header value of many broken encoded-words was searched to its end for
// each one: a second per 64 KB field, minutes for a message of many parts
// with such filenames.
func TestEncodedWordSearchIsLinear(t *testing.T) {
	for _, v := range []string{
		strings.Repeat("=?a?q?x", 9000) + " ?=",
		strings.Repeat("=?a?q?x", 9000),
		strings.Repeat("=?a?q?x y", 9000) + "?=",
		strings.Repeat("=?a", 9000) + "?",
		strings.Repeat("=?utf-8?q?caf=C3=A9?= ", 3000),
	} {
		f := newWordFinder(v)
		for pos := 0; ; {
			i := strings.Index(v[pos:], "=?")
			if i < 0 {
				break
			}
			pos += i
			if _, _, next, ok := f.split(pos); ok {
				pos = next
			} else {
				pos += 2
			}
		}
		if n := f.qmark.searched + f.end.searched + f.newSpace.searched; n > 6*len(v) {
			t.Errorf("%q…: searched %d bytes of a %d-byte value", v[:14], n, len(v))
		}
	}
	if got := decodeEncodedWords("=?utf-8?q?caf=C3=A9?= =?iso-8859-1?b?6Q==?= x =?x?q?y"); got != "caféé x =?x?q?y" {
		t.Errorf("decodeEncodedWords = %q", got)
	}
}

func TestNextIndexMatchesSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(60))
		for i := range b {
			b[i] = "?= ab"[r.IntN(5)]
		}
		s := string(b)
		for _, n := range []nextIndex{{s: s, pattern: "?=", lo: -1}, {s: s, pattern: " \t", any: true, lo: -1}} {
			for range 30 {
				i := r.IntN(len(s) + 1)
				want := -1
				if n.any {
					want = strings.IndexAny(s[i:], n.pattern)
				} else {
					want = strings.Index(s[i:], n.pattern)
				}
				if want >= 0 {
					want += i
				}
				if got := n.from(i); got != want {
					t.Fatalf("%q: from(%d) = %d, want %d", s, i, got, want)
				}
			}
		}
	}
}

// A header block costs a map: 20 MB of "X: y" groups in a delivery status
// were 2.6 million maps and a gigabyte.
func TestDeliveryStatusAndEmbeddedHeadersCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n" +
		"--r\r\n\r\nniet bezorgd\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Final-Recipient: rfc822; r%d@example.nl\r\nStatus: 5.1.1\r\n\r\n", i)
	}
	for range 150 {
		b.WriteString("--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: a@example.nl\r\nSubject: origineel\r\n")
	}
	b.WriteString("--r--\r\n")
	m := mustParseMessage(t, b.String())
	dsn := m.DeliveryStatus()
	if len(dsn) != maxDSNGroups || dsn[0].Get("Reporting-Mta") != "dns; mx.example" || dsn[1].Get("Final-Recipient") != "rfc822; r0@example.nl" {
		t.Errorf("%d delivery status groups, first %v", len(dsn), dsn[:min(len(dsn), 2)])
	}
	if n := len(m.EmbeddedHeaders()); n != maxEmbeddedHeaders {
		t.Errorf("%d embedded headers, want %d", n, maxEmbeddedHeaders)
	}
	if !hasProblem(m, "delivery status longer than") || !hasProblem(m, "embedded message headers; the rest") {
		t.Errorf("problems %q", m.Problems())
	}
}

func TestLongFilenameAndMediaTypeCut(t *testing.T) {
	raw := "From: a@example.nl\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: application/" + strings.Repeat("x", 70000) + "\r\n" +
		"Content-Disposition: attachment; filename=\"" + strings.Repeat("é", 1000) + ".pdf\"\r\n\r\ndata\r\n--b--\r\n"
	m := mustParseMessage(t, raw)
	name, typ, _ := m.Attachment(0)
	if len(name) > maxFilenameLen || !utf8.ValidString(name) || !strings.HasPrefix(name, "éé") {
		t.Errorf("name of %d bytes: %q…", len(name), name[:min(len(name), 10)])
	}
	if typ != "text/plain" {
		t.Errorf("a 70 KB media type read as %d bytes; want the default text/plain", len(typ))
	}
}
