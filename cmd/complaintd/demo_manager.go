package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// demoManagerDossier delivers a manager's request for the case file of ref
// (issue 11). The demo's trust policy accepts DMARC as handlers' mail does,
// so her own mail server's pass verifies her; she gets the case file as an
// HTML attachment.
func demoManagerDossier(imapSrv *mailtest.IMAPServer, manager, name, ref string) error {
	raw := "From: " + name + " <" + manager + ">\r\n" +
		"To: Kinderopvang De Vlinder - Klachten <klachten@vlinder.example>\r\n" +
		"Subject: Dossier " + ref + "\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <demo-manager-" + fmt.Sprint(time.Now().UnixNano()) + "@vlinder.example>\r\n" +
		"Authentication-Results: mx.vlinder.example; dkim=pass header.d=vlinder.example; dmarc=pass header.from=vlinder.example\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"#dossier " + ref + "\r\n\r\nGraag het dossier, ik spreek de ouder morgen.\r\n"
	if _, err := imapSrv.Deliver("INBOX", []byte(raw), time.Now()); err != nil {
		return fmt.Errorf("demo: deliver manager's request: %w", err)
	}
	return nil
}

// printCaseFile shows the start of a case file attached to a mail, as the
// manager's browser would show it: the HTML read as text.
func printCaseFile(w io.Writer, m mailtest.Captured) {
	files, err := mailbox.Attachments(m.Raw)
	if err != nil {
		return
	}
	for _, f := range files {
		if !strings.HasPrefix(f.ContentType, "text/html") {
			continue
		}
		fmt.Fprintln(w, strings.Repeat("-", 78))
		fmt.Fprintf(w, "ATTACHMENT %s, as a browser shows it (first lines):\n\n", f.Name)
		// Read back as a message whose body is the HTML: the parser's
		// HTML-to-text is what a reader of the demo needs.
		doc, err := mailbox.Parse(append([]byte("Subject: "+f.Name+"\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"), f.Data...))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(doc.Text()), "\n")
		fmt.Fprintln(w, strings.Join(lines[:min(len(lines), 40)], "\n"))
		fmt.Fprintln(w)
	}
}
