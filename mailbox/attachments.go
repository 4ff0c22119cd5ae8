package mailbox

import (
	"bytes"
	"fmt"
	"net/textproto"

	gomail "github.com/wneessen/go-mail"
)

// Attachment is one attached file of a message: its name as the sender
// gave it (possibly empty), its lower-case media type and decoded bytes.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Attachments returns the attachments of raw, decoded, in the order
// Message.Attachment lists them. Parse only counts their sizes; this is
// for the rare message whose files are passed on (a handler's answer to a
// parent), so it parses raw again.
func Attachments(raw []byte) ([]Attachment, error) {
	m, err := parse(raw, true)
	if err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(m.attachments))
	for _, a := range m.attachments {
		out = append(out, Attachment{Name: a.name, ContentType: a.contentType, Data: a.data})
	}
	return out, nil
}

// ComposeFiles is Compose with files attached after the body (and after
// original, when given). Each is sent base64 with its name and media type;
// a file without a name is called "attachment".
func ComposeFiles(h textproto.MIMEHeader, text, html string, original []byte, files []Attachment) ([]byte, error) {
	return compose(h, text, html, original, func(m *gomail.Msg) error {
		for i, f := range files {
			name := f.Name
			if name == "" {
				name = fmt.Sprintf("attachment-%d", i+1)
			}
			ct := f.ContentType
			if ct == "" {
				ct = "application/octet-stream"
			}
			if err := m.AttachReader(name, bytes.NewReader(f.Data), gomail.WithFileContentType(gomail.ContentType(ct)),
				gomail.WithFileEncoding(gomail.EncodingB64)); err != nil {
				return fmt.Errorf("mailbox: compose: attach %q: %w", name, err)
			}
		}
		return nil
	})
}
