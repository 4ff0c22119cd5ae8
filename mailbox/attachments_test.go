package mailbox

import (
	"bytes"
	"net/textproto"
	"testing"
)

// A file attached on the way out comes back, byte for byte, when the
// message is read again: what the parent receives is what the handler sent.
func TestComposedFilesReadBackWhole(t *testing.T) {
	h := textproto.MIMEHeader{}
	h.Set("From", "Kinderopvang De Vlinder <klachten@vlinder.example>")
	h.Set("To", "sanne@example.nl")
	h.Set("Subject", "Oordeel")
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 250, 13, 10}, 500)...)
	raw, err := ComposeFiles(h, "Zie de bijlage.", "", nil, []Attachment{
		{Name: "verslag gesprek.pdf", ContentType: "application/pdf", Data: pdf},
		{Name: "dossier.html", ContentType: "text/html", Data: []byte("<p>ü</p>")},
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Attachments(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("%d attachments read back, want 2", len(files))
	}
	if files[0].Name != "verslag gesprek.pdf" || files[0].ContentType != "application/pdf" || !bytes.Equal(files[0].Data, pdf) {
		t.Errorf("first file came back as %q %q (%d bytes)", files[0].Name, files[0].ContentType, len(files[0].Data))
	}
	if files[1].Name != "dossier.html" || string(files[1].Data) != "<p>ü</p>" {
		t.Errorf("second file came back as %q %q", files[1].Name, files[1].Data)
	}
	m, err := Parse(raw)
	if err != nil || m.Text() != "Zie de bijlage." || m.AttachmentCount() != 2 {
		t.Errorf("the message reads as %q with %d attachments (%v)", m.Text(), m.AttachmentCount(), err)
	}
}
