package mailbox

import (
	"bytes"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// ComposeFile is Compose with one file attached (base64, as a download
// named name), such as the annual complaints report for the managers. The
// name is kept to letters, digits, dots and dashes.
func ComposeFile(h textproto.MIMEHeader, text, html, name, contentType string, data []byte) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '-'
	}, name)
	if clean == "" || strings.Trim(clean, ".-_") == "" {
		return nil, fmt.Errorf("mailbox: compose: bad attachment name %q", name)
	}
	return compose(h, text, html, func(m *gomail.Msg) error {
		if err := m.AttachReader(clean, bytes.NewReader(data), gomail.WithFileContentType(gomail.ContentType(contentType)),
			gomail.WithFileEncoding(gomail.EncodingB64)); err != nil {
			return fmt.Errorf("mailbox: compose: attach %s: %w", clean, err)
		}
		return nil
	})
}
