package mailtest

import (
	"fmt"
	"strings"
)

// HostileShape is one crafted message of issue 9's resource review: a shape
// that once cost far more memory or time than its size, or broke storage.
type HostileShape struct {
	Name  string        // short, for benchmark and table names
	Build func() []byte // makes the whole message, CRLF line breaks
}

// hostileHeader is the header every shape starts from: a plain complaint
// from a parent to the complaints address.
func hostileHeader(from, extra string) string {
	return "From: Ouder <" + from + ">\r\n" +
		"To: Klachten <klachten@vlinder.example>\r\n" +
		"Date: Mon, 2 Mar 2026 09:00:00 +0100\r\n" +
		extra
}

// NestedHTML is an HTML-only message of depth nested <blockquote>s
// followed by lines "<br>a" lines: each line would be written with depth
// "> " prefixes. (20000, 50000) is 479 KB; (7000, 17000) 166 KB.
func NestedHTML(from string, depth, lines int) []byte {
	var b strings.Builder
	b.WriteString(hostileHeader(from, "Subject: geneste html\r\nMessage-ID: <nested-html@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"))
	b.WriteString(strings.Repeat("<blockquote>", depth))
	b.WriteString(strings.Repeat("<br>a", lines))
	b.WriteString("\r\n")
	return []byte(b.String())
}

// HostileShapes are the shapes of issue 9 ("Also: a resource table"), each
// from its own sender address (so a rate limit per sender does not hide
// one behind another). Build makes a shape only when it is needed: all of
// them together are 70 MB.
func HostileShapes() []HostileShape {
	return []HostileShape{
		{"nested-html-166KB", func() []byte { return NestedHTML("h1@evil.example", 7000, 17000) }},
		{"nested-html-479KB", func() []byte { return NestedHTML("h2@evil.example", 20000, 50000) }},
		{"message-50MB", bigMessage},
		{"headers-100000", manyHeaders},
		{"parts-100000", manyParts},
		{"multipart-nested-1000", nestedMultiparts},
		{"cc-7000", manyCopies},
		{"references-580000", manyReferences},
		{"message-id-2.7KB", func() []byte {
			// PostgreSQL's B-tree takes at most 2,704 bytes a row.
			return []byte(hostileHeader("h9@evil.example", "Subject: lange id\r\n"+
				"Message-ID: <"+strings.Repeat("m", 2700)+"@evil.example>\r\n\r\nTekst.\r\n"))
		}},
		// Found while auditing the parser for issue 9.
		{"html-head-200000", func() []byte {
			return []byte(hostileHeader("h11@evil.example", "Subject: koppen\r\nMessage-ID: <head@evil.example>\r\n"+
				"Content-Type: text/html\r\n\r\n"+strings.Repeat("<head>", 200000)+"\r\n"))
		}},
		{"multipart-nested-40-50MB", deepBigMessage},
		{"filenames-broken-encoded-words", brokenWordNames},
		{"parameters-junk", junkParameters},
		{"delivery-status-20MB", hugeDeliveryStatus},
		{"embedded-headers-2000x1000", manyEmbeddedHeaders},
		{"text-2x5MB-quoted-lines", bigQuotedText},
		{"subject-10MB", func() []byte {
			return []byte(hostileHeader("h10@evil.example", "Message-ID: <subject@evil.example>\r\nSubject:"+
				strings.Repeat(" onderwerp onderwerp onderwerp onderwerp onderwerp onderwerp\r\n", 10<<20/63)+"\r\nTekst.\r\n"))
		}},
	}
}

// bigMessage is 50 MB: a short text and a base64 attachment.
func bigMessage() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h3@evil.example", "Subject: groot\r\nMessage-ID: <big@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"))
	b.WriteString("--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie bijlage.\r\n")
	b.WriteString("--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJD", 19) + "\r\n" // 78 bytes a line
	b.WriteString(strings.Repeat(line, 50<<20/len(line)))
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}

func manyHeaders() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h4@evil.example", "Subject: veel velden\r\nMessage-ID: <headers@evil.example>\r\n"))
	for i := range 100000 {
		fmt.Fprintf(&b, "X-Filler-%d: waarde\r\n", i)
	}
	b.WriteString("\r\nTekst.\r\n")
	return []byte(b.String())
}

func manyParts() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h5@evil.example", "Subject: veel delen\r\nMessage-ID: <parts@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"))
	for range 100000 {
		b.WriteString("--p\r\nContent-Type: text/plain\r\n\r\ndeel\r\n")
	}
	b.WriteString("--p--\r\n")
	return []byte(b.String())
}

func nestedMultiparts() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h6@evil.example", "Subject: diep\r\nMessage-ID: <deep@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"n0\"\r\n\r\n"))
	for i := range 1000 {
		fmt.Fprintf(&b, "--n%d\r\nContent-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n", i, i+1)
	}
	b.WriteString("--n1000\r\nContent-Type: text/plain\r\n\r\nbodem\r\n")
	for i := 1000; i >= 0; i-- {
		fmt.Fprintf(&b, "--n%d--\r\n", i)
	}
	return []byte(b.String())
}

func manyCopies() []byte {
	cc := make([]string, 7000)
	for i := range cc {
		cc[i] = fmt.Sprintf("kopie%d@elders.example", i)
	}
	return []byte(hostileHeader("h7@evil.example", "Subject: veel kopie\r\nMessage-ID: <cc@evil.example>\r\n"+
		"Cc: "+strings.Join(cc, ",\r\n ")+"\r\n\r\nTekst.\r\n"))
}

func manyReferences() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h8@evil.example", "Subject: lange draad\r\nMessage-ID: <refs@evil.example>\r\nReferences:"))
	for i := range 580000 {
		fmt.Fprintf(&b, " <r%d@x>\r\n", i)
	}
	b.WriteString("\r\nTekst.\r\n")
	return []byte(b.String())
}

// deepBigMessage is a 50 MB attachment under 40 multiparts that name no
// boundary: each level is scanned for one.
func deepBigMessage() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h12@evil.example", "Subject: diep en groot\r\nMessage-ID: <deepbig@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"n0\"\r\n\r\n"))
	for i := range 40 {
		fmt.Fprintf(&b, "--n%d\r\nContent-Type: multipart/mixed\r\n\r\n", i)
	}
	b.WriteString("--n40\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(strings.Repeat(strings.Repeat("QUJD", 19)+"\r\n", 50<<20/78))
	for i := 40; i >= 0; i-- {
		fmt.Fprintf(&b, "--n%d--\r\n", i)
	}
	return []byte(b.String())
}

// brokenWordNames is 300 attachments, each named by 60 KB of broken
// encoded-words ("=?a?q?x" 9,000 times, then " ?="): 18 MB.
func brokenWordNames() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h13@evil.example", "Subject: namen\r\nMessage-ID: <names@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n"))
	name := strings.Repeat("=?a?q?x", 9000) + " ?="
	for range 300 {
		b.WriteString("--w\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" +
			name + "\"\r\n\r\nx\r\n")
	}
	b.WriteString("--w--\r\n")
	return []byte(b.String())
}

// junkParameters is 300 parts whose Content-Type and Content-Disposition
// carry 64 KB of junk instead of parameters: 38 MB.
func junkParameters() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h14@evil.example", "Subject: rommel\r\nMessage-ID: <junk@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"j\"\r\n\r\n"))
	junk := strings.Repeat(`"a" `, 16000)
	for range 300 {
		b.WriteString("--j\r\nContent-Type: application/octet-stream; " + junk + "\r\nContent-Disposition: attachment; " +
			junk + "\r\n\r\nx\r\n")
	}
	b.WriteString("--j--\r\n")
	return []byte(b.String())
}

// hugeDeliveryStatus is a delivery report whose status part is 20 MB of
// one-field groups: 2.6 million of them.
func hugeDeliveryStatus() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h15@evil.example", "Subject: niet bezorgd\r\nMessage-ID: <dsn@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"+
		"--r\r\n\r\nniet bezorgd\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n"))
	b.WriteString(strings.Repeat("X: y\r\n\r\n", 20<<20/8))
	b.WriteString("--r--\r\n")
	return []byte(b.String())
}

// manyEmbeddedHeaders is 2,000 text/rfc822-headers parts of 1,000 fields
// each: 27 MB.
func manyEmbeddedHeaders() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h16@evil.example", "Subject: koppen\r\nMessage-ID: <embedded@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"e\"\r\n\r\n"))
	for i := range 2000 {
		b.WriteString("--e\r\nContent-Type: text/rfc822-headers\r\n\r\n")
		for j := range 1000 {
			fmt.Fprintf(&b, "K%d-%d: v\r\n", i, j)
		}
	}
	b.WriteString("--e--\r\n")
	return []byte(b.String())
}

// bigQuotedText is two 5 MB text parts of short quoted lines and "Van:"
// header blocks, the most text a message keeps (8 MB), for the reply
// extractor and the database.
func bigQuotedText() []byte {
	var b strings.Builder
	b.WriteString(hostileHeader("h17@evil.example", "Subject: veel tekst\r\nMessage-ID: <text@evil.example>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"t\"\r\n\r\n"))
	chunk := "> a\r\n>> b\r\nVan: x\r\nOnderwerp: y\r\n\r\nOp 1 jan schreef z:\r\n-----Original Message-----\r\n"
	for range 2 {
		b.WriteString("--t\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
		b.WriteString(strings.Repeat(chunk, 5<<20/len(chunk)))
	}
	b.WriteString("--t--\r\n")
	return []byte(b.String())
}
