package mailbox

import (
	"net/textproto"
	"strings"
	"testing"
)

// A file attached with ComposeFile reaches the reader as a download with its
// name and type, beside the message's own text; a name cannot carry header
// syntax.
func TestComposeFileAttachesTheFile(t *testing.T) {
	h := textproto.MIMEHeader{"From": {"Kinderopvang De Vlinder <klachten@vlinder.example>"},
		"To": {"Ilse Kramer <ilse.kramer@vlinder.example>"}, "Subject": {"Klachtenverslag 2026"}}
	html := "<!DOCTYPE html><html><body><h1>Klachtenverslag 2026</h1>" + strings.Repeat("<p>regel</p>\n", 200) + "</body></html>"
	out, err := ComposeFile(h, "Het verslag zit in de bijlage.", "<p>Het verslag zit in de bijlage.</p>",
		"klachtenverslag-2026.html", "text/html; charset=utf-8", []byte(html))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.AttachmentCount() != 1 {
		t.Fatalf("AttachmentCount = %d", m.AttachmentCount())
	}
	if name, ct, size := m.Attachment(0); name != "klachtenverslag-2026.html" || !strings.HasPrefix(ct, "text/html") || size != int64(len(html)) {
		t.Errorf("Attachment = %q %q %d", name, ct, size)
	}
	if !strings.Contains(m.Text(), "Het verslag zit in de bijlage.") {
		t.Errorf("text = %q", m.Text())
	}
	out, err = ComposeFile(h, "x", "", "a\"\r\nBcc: x@example.org.html", "text/html", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "\r\nBcc:") {
		t.Error("the file name broke out of its header")
	}
	if _, err := ComposeFile(h, "x", "", "...", "text/html", nil); err == nil {
		t.Error("a name of dots only is accepted")
	}
}
