package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// annaAttaches writes Anna's answer to her latest notification with files
// attached, as a mail client does (multipart/mixed, base64).
func annaAttaches(t *testing.T, h *harness, text string, files map[string][]byte, order ...string) {
	t.Helper()
	note := lastTo(t, h, "anna.devries@vlinder.example")
	var b strings.Builder
	b.WriteString("From: " + anna + "\r\nTo: klachten@vlinder.example\r\nSubject: RE: " + note.msg.Subject() +
		"\r\nMessage-ID: <files-" + note.msg.MessageID() + ">\r\nIn-Reply-To: <" + note.msg.MessageID() + ">\r\nDate: Thu, 19 Nov 2026 22:40:00 +0100\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(text, "\n", "\r\n") + "\r\n")
	for _, name := range order {
		ct := map[bool]string{true: "application/pdf", false: "application/octet-stream"}[strings.HasSuffix(name, ".pdf")]
		b.WriteString("--b1\r\nContent-Type: " + ct + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name +
			"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(files[name])
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--b1--\r\n")
	h.deliver([]byte(b.String()))
	h.poll()
	h.flush()
}

// A handler's files reach the parent with the answer or the judgment,
// within processing.attach_limit_mb; programs never do, and the handler's
// result lists what went and what did not, and why.
func TestHandlersAttachmentsReachTheParent(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, func(c *Config) {
					c.Organisation.Language = lang
					c.Processing.AttachLimitMB = 1
				})
				confirmationOf(t, h)
				report := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("verslag van het gesprek\n"), 2000)...)
				video := bytes.Repeat([]byte{0, 1, 2, 3}, 400_000) // 1.6 MB: over the limit
				files := map[string][]byte{"verslag.pdf": report, "rooster.exe": append([]byte("MZ\x90\x00"), make([]byte, 3000)...), "filmpje.mp4": video}
				annaAttaches(t, h, "Beste Sanne,\n\nIn de bijlage het verslag van ons gesprek.\n\nAnna", files, "verslag.pdf", "rooster.exe", "filmpje.mp4")

				got := h.sentTo("sanne.jansen@example.nl")
				if len(got) != 2 {
					t.Fatalf("the parent got %d mails, want the confirmation and the answer", len(got))
				}
				as := attachments(t, got[1])
				if len(as) != 1 || as[0].Name != "verslag.pdf" || !bytes.Equal(as[0].Data, report) {
					t.Fatalf("the parent's answer carries %d files (%+v), want verslag.pdf whole", len(as), as)
				}
				result := lastTo(t, h, "anna.devries@vlinder.example")
				text := strings.Join(strings.Fields(result.text), " ")
				for _, want := range []string{
					pick(lang, "Bijlagen meegestuurd naar de ouder: - verslag.pdf", "Attachments sent to the parent: - verslag.pdf"),
					pick(lang, "rooster.exe (2 kB): een programma of script", "rooster.exe (2 kB): a program or script"),
					pick(lang, "filmpje.mp4 (1.5 MB): te groot", "filmpje.mp4 (1.5 MB): too large"),
				} {
					if !strings.Contains(text, want) {
						t.Errorf("Anna's result lacks %q:\n%s", want, result.text)
					}
				}
				if !strings.Contains(result.msg.Subject(), pick(lang, "Naar de ouder gestuurd", "Sent to the parent")) {
					t.Errorf("Anna's result subject %q", result.msg.Subject())
				}

				// The judgment carries its file too, and the result says so.
				annaAttaches(t, h, pick(lang, "#oordeel gegrond\n#categorie communicatie en informatie\n#geen-maatregelen\n\nDe klacht is gegrond.", "#judgment upheld\n#category communicatie\n#no-measures\n\nThe complaint is justified."),
					map[string][]byte{"verslag.pdf": report}, "verslag.pdf")
				got = h.sentTo("sanne.jansen@example.nl")
				judgment := got[len(got)-1]
				if as := attachments(t, judgment); len(as) != 1 || as[0].Name != "verslag.pdf" {
					t.Errorf("the judgment carries %+v, want verslag.pdf", as)
				}
				if c := h.caseByRef("KL-2026-0001"); c.Status != workflow.StatusDecided {
					t.Errorf("status %s after the judgment", c.Status)
				}
				result = lastTo(t, h, "anna.devries@vlinder.example")
				if !strings.Contains(strings.Join(strings.Fields(result.text), " "), pick(lang, "Bijlagen meegestuurd naar de ouder: - verslag.pdf", "Attachments sent to the parent: - verslag.pdf")) {
					t.Errorf("the judgment's result does not list the file:\n%s", result.text)
				}
			})
		})
	}
}
