package e2e

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/complaintd/complaintd/store/storetest"
)

const directieAddr = "directie@vlinder.example"

// A manager asks for a case file by mail (issue 11): the built daemon,
// Dovecot and Mailpit. Her request, verified by her own MX's DMARC pass,
// is answered with the case file attached; her mail client lists it as an
// HTML attachment, and it opens as a page with the case's messages.
func TestManagerCaseFileEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		t.Parallel()
		w := startWorld(t, url,
			"\n[[managers]]\nname  = \"Directie De Vlinder\"\nemail = \""+directieAddr+"\"\n")
		c := w.complaint()

		at := time.Now()
		w.deliver(receivedBy(crlf(fmt.Sprintf("From: Directie De Vlinder <%s>\nTo: klachten@vlinder.example\nSubject: Dossier %s\n"+
			"Date: %s\nMessage-ID: <%s@vlinder.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n#dossier %s\n\nGraag voor het gesprek van morgen.\n",
			directieAddr, c.ref, at.Format(time.RFC1123Z), randomToken(t, 12), c.ref)), directieAddr,
			"dkim=pass header.d=vlinder.example; spf=pass smtp.mailfrom="+directieAddr+"; dmarc=pass header.from=vlinder.example", at), at)

		answer := w.await(directieAddr, "the case file", c.ref, "Uitgevoerd")
		if !strings.Contains(answer.text, "dossier-"+c.ref+".html") {
			t.Errorf("the answer does not name the attached case file:\n%s", answer.text)
		}
		name, ctype, page := attachedFile(t, answer)
		if name != "dossier-"+c.ref+".html" || ctype != "text/html" {
			t.Fatalf("the attachment is %q (%s), want dossier-%s.html (text/html)", name, ctype, c.ref)
		}
		for _, want := range []string{"<!DOCTYPE html>", "<title>Dossier " + c.ref + "</title>", "niet op de ophaallijst",
			"Sanne Jansen", "Ontvangstbevestiging", "afgeleverd bij de mailserver"} {
			if !strings.Contains(page, want) {
				t.Errorf("the case file lacks %q", want)
			}
		}
		if show := w.caseShow(c.ref); !strings.Contains(show, "done: #dossier "+c.ref) {
			t.Errorf("the request is not on the case's timeline:\n%s", show)
		}
		w.d.stop()
	})
}

// attachedFile is the one attachment of a letter, as a mail client lists it.
func attachedFile(t *testing.T, l letter) (name, ctype, body string) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(l.raw))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		h, ok := p.Header.(*mail.AttachmentHeader)
		if !ok {
			continue
		}
		n++
		name, _ = h.Filename()
		ctype, _, _ = h.ContentType()
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	if n != 1 {
		t.Fatalf("the letter has %d attachments, want 1", n)
	}
	return name, ctype, body
}
