package mailbox

import (
	"bytes"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func composeHeader() textproto.MIMEHeader {
	return textproto.MIMEHeader{
		"From":                     {"Kinderopvang De Vlinder – Klachten <klachten@vlinder.example>"},
		"To":                       {"Sanne Jansen <sanne.jansen@gmail.example>, \"Jansen, Thomas\" <t.jansen@gmail.example>"},
		"Cc":                       {"Zoë de Wit <zoe@vlinder.example>"},
		"Reply-To":                 {"Klachten <klachten+v1token@vlinder.example>"},
		"Subject":                  {"[KL-2026-0041] Ontvangstbevestiging van uw klacht – oordeel vóór 31 december"},
		"Message-Id":               {"v1abc@klachten.vlinder.example"},
		"In-Reply-To":              {"<CAPYEg5g@mail.gmail.example>"},
		"References":               {"<CAPYEg5g@mail.gmail.example> v1prev@klachten.vlinder.example"},
		"Date":                     {"Thu, 19 Nov 2026 21:50:00 +0100"},
		"Auto-Submitted":           {"auto-replied"},
		"X-Auto-Response-Suppress": {"All"},
		"X-Complaintd-Loop":        {"klachten@vlinder.example; case=KL-2026-0041"},
	}
}

func TestComposeRoundTrip(t *testing.T) {
	text := "Geachte mevrouw Jansen,\n\nWij hebben uw klacht ontvangen. Een lange regel die zeker langer is dan zesenzeventig tekens, zodat quoted-printable hem moet afbreken.\n\nMet vriendelijke groet,\nKinderopvang De Vlinder"
	html := "<p>Geachte mevrouw Jansen,</p><p>Wij hebben uw klacht ontvangen.</p>"
	out, err := Compose(composeHeader(), text, html, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkCRLF(t, out)
	head := "\r\n" + string(out[:bytes.Index(out, []byte("\r\n\r\n"))+2])
	for _, bad := range []string{"User-Agent", "X-Mailer", "go-mail"} {
		if strings.Contains(head, bad) {
			t.Errorf("header contains %q:\n%s", bad, head)
		}
	}
	if !regexp.MustCompile(`(?m)^Message-ID: <v1abc@klachten\.vlinder\.example>\r$`).MatchString(head) {
		t.Errorf("Message-ID not written with brackets:\n%s", head)
	}
	for _, line := range []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All", "X-Complaintd-Loop: klachten@vlinder.example; case=KL-2026-0041", "Date: Thu, 19 Nov 2026 21:50:00 +0100"} {
		if !strings.Contains(head, "\r\n"+line+"\r\n") {
			t.Errorf("header lacks %q verbatim:\n%s", line, head)
		}
	}

	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Problems()) > 0 {
		t.Errorf("own output has problems: %q", m.Problems())
	}
	if from := m.From(); len(from) != 1 || from[0].Name != "Kinderopvang De Vlinder – Klachten" || from[0].Address != "klachten@vlinder.example" {
		t.Errorf("From = %v", from)
	}
	if to := m.To(); len(to) != 2 || to[1].Name != "Jansen, Thomas" {
		t.Errorf("To = %v", to)
	}
	if cc := m.Cc(); len(cc) != 1 || cc[0].Name != "Zoë de Wit" {
		t.Errorf("Cc = %v", cc)
	}
	if rt := m.ReplyTo(); len(rt) != 1 || rt[0].Address != "klachten+v1token@vlinder.example" {
		t.Errorf("Reply-To = %v", rt)
	}
	if m.Subject() != composeHeader().Get("Subject") {
		t.Errorf("Subject = %q", m.Subject())
	}
	if m.MessageID() != "v1abc@klachten.vlinder.example" {
		t.Errorf("MessageID = %q", m.MessageID())
	}
	if got := m.InReplyTo(); !slices.Equal(got, []string{"CAPYEg5g@mail.gmail.example"}) {
		t.Errorf("InReplyTo = %q", got)
	}
	if got := m.References(); !slices.Equal(got, []string{"CAPYEg5g@mail.gmail.example", "v1prev@klachten.vlinder.example"}) {
		t.Errorf("References = %q", got)
	}
	if want := time.Date(2026, 11, 19, 21, 50, 0, 0, time.FixedZone("", 3600)); !m.Date().Equal(want) {
		t.Errorf("Date = %v", m.Date())
	}
	if m.ContentType() != "multipart/alternative" || m.Text() != text || m.HTML() != html || m.TextFromHTML() {
		t.Errorf("ContentType %q, Text %q, HTML %q", m.ContentType(), m.Text(), m.HTML())
	}
	plain, rich := bytes.Index(out, []byte("Content-Type: text/plain; charset=UTF-8")), bytes.Index(out, []byte("Content-Type: text/html; charset=UTF-8"))
	if plain < 0 || rich < 0 || plain > rich {
		t.Errorf("text/plain at %d, text/html at %d; want plain first", plain, rich)
	}
	if bytes.Count(out, []byte("Content-Transfer-Encoding: quoted-printable")) != 2 {
		t.Error("body parts are not quoted-printable")
	}
}

func TestComposeTextOnlyWithOriginal(t *testing.T) {
	original := []byte("From: Ouder <ouder@example.nl>\nTo: klachten@vlinder.example\nSubject: Klacht\nMessage-ID: <orig-1@example.nl>\n\nMijn klacht.\n")
	h := textproto.MIMEHeader{
		"from":       {"klachten@vlinder.example"},
		"to":         {"anna.devries@vlinder.example"},
		"subject":    {"Nieuwe klacht"},
		"message-id": {"<v1new@klachten.vlinder.example>"},
	}
	out, err := Compose(h, "Er is een nieuwe klacht.", "", original)
	if err != nil {
		t.Fatal(err)
	}
	checkCRLF(t, out)
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.ContentType() != "multipart/mixed" || m.Text() != "Er is een nieuwe klacht." || m.HTML() != "" {
		t.Errorf("ContentType %q Text %q HTML %q", m.ContentType(), m.Text(), m.HTML())
	}
	if m.AttachmentCount() != 1 {
		t.Fatalf("AttachmentCount = %d", m.AttachmentCount())
	}
	if name, ct, size := m.Attachment(0); name != "original.eml" || ct != "message/rfc822" || size != int64(len(composeCRLF(original))) {
		t.Errorf("Attachment = %q %q %d", name, ct, size)
	}
	emb := m.EmbeddedHeaders()
	if len(emb) != 1 || emb[0].Get("Message-Id") != "<orig-1@example.nl>" || emb[0].Get("Subject") != "Klacht" {
		t.Errorf("EmbeddedHeaders = %v", emb)
	}
	if !bytes.Contains(out, []byte("Content-Transfer-Encoding: 8bit")) || !bytes.Contains(out, []byte("\r\n\r\nMijn klacht.\r\n")) {
		t.Error("original not attached as 8bit with CRLF lines")
	}
	if m.Date().IsZero() || time.Since(m.Date()) > time.Hour {
		t.Errorf("Date = %v; want now", m.Date())
	}
	if m.MessageID() != "v1new@klachten.vlinder.example" {
		t.Errorf("MessageID = %q", m.MessageID())
	}

	single, err := Compose(h, "Alleen tekst.", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := mustParseMessage(t, string(single)); m.ContentType() != "text/plain" || m.Text() != "Alleen tekst." {
		t.Errorf("single part: ContentType %q Text %q", m.ContentType(), m.Text())
	}
}

func TestComposeLongLinedOriginal(t *testing.T) {
	original := []byte("From: a@example.nl\r\nSubject: lang\r\n\r\n" + strings.Repeat("x", 2000) + "\r\n")
	out, err := Compose(textproto.MIMEHeader{"From": {"k@vlinder.example"}, "To": {"a@example.nl"}}, "zie bijlage", "", original)
	if err != nil {
		t.Fatal(err)
	}
	checkCRLF(t, out)
	m := mustParseMessage(t, string(out))
	if _, ct, size := m.Attachment(0); ct != "message/rfc822" || size != int64(len(original)) || len(m.EmbeddedHeaders()) != 1 {
		t.Errorf("Attachment %q %d, embedded %d", ct, size, len(m.EmbeddedHeaders()))
	}
}

func TestComposeErrors(t *testing.T) {
	for name, edit := range map[string]func(textproto.MIMEHeader){
		"no From":          func(h textproto.MIMEHeader) { h.Del("From") },
		"two From":         func(h textproto.MIMEHeader) { h.Set("From", "a@example.nl, b@example.nl") },
		"no recipient":     func(h textproto.MIMEHeader) { h.Del("To"); h.Del("Cc") },
		"bad To":           func(h textproto.MIMEHeader) { h.Set("To", "not an address") },
		"header injection": func(h textproto.MIMEHeader) { h.Set("Subject", "hoi\r\nBcc: x@example.nl") },
		"Bcc":              func(h textproto.MIMEHeader) { h.Set("Bcc", "x@example.nl") },
		"own MIME header":  func(h textproto.MIMEHeader) { h.Set("Content-Type", "text/plain") },
		"bad Date":         func(h textproto.MIMEHeader) { h.Set("Date", "gisteren") },
		"bad Message-ID":   func(h textproto.MIMEHeader) { h.Set("Message-ID", "<a b@c>") },
	} {
		t.Run(name, func(t *testing.T) {
			h := composeHeader()
			edit(h)
			out, err := Compose(h, "x", "", nil)
			if err == nil || out != nil {
				t.Fatalf("Compose = %d bytes, %v; want an error", len(out), err)
			}
			if !strings.HasPrefix(err.Error(), "mailbox: ") {
				t.Errorf("error %q lacks the mailbox: prefix", err)
			}
		})
	}
	h := composeHeader()
	h.Del("To")
	if _, err := Compose(h, "x", "", nil); err != nil {
		t.Errorf("Cc alone is a recipient: %v", err)
	}
}

// checkCRLF fails when a line break is not CRLF.
func checkCRLF(t *testing.T, b []byte) {
	t.Helper()
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') || c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			t.Fatalf("bare line break at offset %d: %q", i, b[max(0, i-30):min(len(b), i+10)])
		}
	}
}
