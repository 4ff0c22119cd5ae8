package mailbox_test

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/complaintd/complaintd/mailbox"
)

// An HTML part whose Content-Type names no charset is read in the charset
// its <meta> declares (HTML 5 section 4.2.5.4), in either form of the
// declaration. The text is Polish in ISO-8859-2, whose letters the fallback
// (windows-1252) would turn into other letters without a word of warning
// to the handler: "Dzieñ" for "Dzień".
func TestHTMLPartIsReadInTheCharsetItsMetaDeclares(t *testing.T) {
	const words = "Dzień dobry, moja córka Zofia wróciła z żółtą kurtką kogoś innego."
	latin2, err := charmap.ISO8859_2.NewEncoder().String(words)
	if err != nil {
		t.Fatal(err)
	}
	for name, meta := range map[string]string{
		"http-equiv": `<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">`,
		"charset":    `<META CHARSET='ISO-8859-2'>`,
	} {
		t.Run(name, func(t *testing.T) {
			html := "<html><head>" + meta + "<title>Klacht</title></head><body><p>" + latin2 + "</p></body></html>"
			var qp bytes.Buffer
			w := quotedprintable.NewWriter(&qp)
			if _, err := w.Write([]byte(html)); err != nil {
				t.Fatal(err)
			}
			w.Close()
			raw := strings.ReplaceAll("From: Agnieszka Nowak <agnieszka.nowak@example.pl>\n"+
				"To: klachten@vlinder.example\n"+
				"Subject: Kurtka\n"+
				"Date: Thu, 19 Nov 2026 21:48:00 +0100\n"+
				"Message-ID: <meta-charset-1@example.pl>\n"+
				"MIME-Version: 1.0\n"+
				"Content-Type: text/html\n"+
				"Content-Transfer-Encoding: quoted-printable\n\n", "\n", "\r\n") +
				strings.ReplaceAll(qp.String(), "\n", "\r\n") + "\r\n"
			m, err := mailbox.Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.HTML(), words) {
				t.Errorf("HTML = %q, want it to hold %q", m.HTML(), words)
			}
			if !strings.Contains(m.Text(), words) {
				t.Errorf("Text = %q, want it to hold %q", m.Text(), words)
			}
			for _, p := range m.Problems() {
				if strings.Contains(p, "windows-1252") {
					t.Errorf("problem noted: %s", p)
				}
			}
		})
	}
}
