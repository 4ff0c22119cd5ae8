package workflow_test

import (
	"net/textproto"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// BenchmarkRenderCompose is the Go-side work of opening one case, outside
// the database: the parent's confirmation and the handler's notification
// (the original attached) rendered and composed to their final bytes, as
// queue does. Its allocations are most of the daemon's per message.
func BenchmarkRenderCompose(b *testing.B) {
	set, err := templates.New("")
	if err != nil {
		b.Fatal(err)
	}
	confirmation := goldenLetter("nl", workflow.StatusReceived, goldenReceived)
	confirmation.Text = goldenComplaint("nl")
	notification := goldenLetter("nl", workflow.StatusAcknowledged, goldenReceived)
	notification.To, notification.From, notification.At = "Anna de Vries", "Sanne Jansen <sanne.jansen@example.nl>", goldenReceived
	notification.Text = goldenComplaint("nl")
	notification.Original, notification.OriginalSize = true, "2 kB"
	original := []byte(strings.ReplaceAll("From: Sanne Jansen <sanne.jansen@example.nl>\n"+
		"To: klachten@vlinder.example\nSubject: Klacht over het ophalen van Noah\n"+
		"Date: Thu, 19 Nov 2026 21:48:00 +0100\nMessage-ID: <noah-1@example.nl>\n"+
		"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"+
		strings.Repeat(goldenComplaint("nl")+"\n\n", 3), "\n", "\r\n"))
	mails := []struct {
		template string
		letter   workflow.Letter
		to       string
		original []byte
	}{
		{"confirmation", confirmation, "Sanne Jansen <sanne.jansen@example.nl>", nil},
		{"new_case", notification, "Anna de Vries <anna.devries@vlinder.example>", original},
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		size = 0
		for _, m := range mails {
			subject, text, html, err := set.Render(m.template, "nl", m.letter)
			if err != nil {
				b.Fatal(err)
			}
			h := textproto.MIMEHeader{}
			h.Set("From", `"Kinderopvang De Vlinder" <klachten@vlinder.example>`)
			h.Set("To", m.to)
			h.Set("Reply-To", `"Kinderopvang De Vlinder" <klachten+t0k3n@vlinder.example>`)
			h.Set("Subject", subject)
			h.Set("Date", "Thu, 19 Nov 2026 21:48:05 +0100")
			h.Set("Message-ID", "<t0k3n@klachten.vlinder.example>")
			h.Set("In-Reply-To", "<noah-1@example.nl>")
			h.Set("References", "<noah-1@example.nl>")
			h.Set("Auto-Submitted", "auto-replied")
			h.Set("X-Auto-Response-Suppress", "All")
			h.Set(workflow.LoopHeader, "klachten.vlinder.example; proof=v1abcdefghijklmnopqrstuvwxyz234567")
			raw, err := mailbox.Compose(h, text, html, m.original)
			if err != nil {
				b.Fatal(err)
			}
			size += len(raw)
		}
	}
	b.ReportMetric(float64(size), "bytes-out/op")
}
