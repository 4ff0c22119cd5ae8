package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

func TestVacationReplyToConfirmationGetsNoAnswer(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		before := len(h.sent())
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Afwezig tot en met 6 december", id: "vacation@mail.example.nl",
			inReplyTo: conf.msg.MessageID(), extra: []string{"Auto-Submitted: auto-replied"},
			body: "Ik ben afwezig tot en met 6 december en lees mijn mail niet.\n",
		}))
		h.poll()
		h.flush()
		if n := len(h.sent()); n != before {
			t.Fatalf("%d mails went out for an out-of-office reply", n-before)
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("%d cases", n)
		}
		if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventAutoReply, "Afwezig tot en met 6 december") {
			t.Errorf("the automatic reply is not on the case's timeline")
		}
	})
}

// dsnFor writes the delivery status notification a mail server sends back
// when it cannot deliver m: the report and the returned headers (RFC 3464).
func dsnFor(m sentMail, rcpt string) []byte {
	headers := string(m.raw[:strings.Index(string(m.raw), "\r\n\r\n")])
	return []byte("From: Mail Delivery System <MAILER-DAEMON@mx.example.nl>\r\n" +
		"To: klachten@vlinder.example\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <dsn-1@mx.example.nl>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.nl\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" + headers + "\r\n--b--\r\n")
}

func TestBounceOfConfirmationFlagsTheCaseAndTellsTheHandlers(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		h.deliver(dsnFor(conf, "sanne.jansen@example.nl"))
		h.poll()
		h.flush()
		cases := h.cases()
		if len(cases) != 1 || !cases[0].Unreachable {
			t.Fatalf("cases %+v: want one, flagged unreachable", cases)
		}
		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			got := h.sentTo(handler)
			last := got[len(got)-1]
			if !strings.Contains(last.msg.Subject(), "kwam niet aan") || !strings.Contains(last.text, "User unknown") {
				t.Errorf("%s was not told: %q\n%s", handler, last.msg.Subject(), last.text)
			}
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("parent got %d mails, want only the confirmation", n)
		}
		tl := h.timeline("KL-2026-0001")
		if !hasEntry(tl, "out", "bounced") || !hasEntry(tl, workflow.EventBounce, "User unknown") {
			t.Errorf("the bounce is not on the timeline: %+v", tl)
		}
		out, _, _ := run(t, h.ctx, "cases", "list", "-config", writeHarnessConfig(t, h.cfg))
		if !strings.Contains(out, "complainant-unreachable") {
			t.Errorf("cases list does not show the flag:\n%s", out)
		}
	})
}

func TestCopyOfOurOwnConfirmationIsIgnored(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		before := len(h.sent())
		h.deliver(conf.raw) // e.g. the mailbox was Bcc'd, or a list echoed it
		h.poll()
		h.flush()
		if n := len(h.sent()); n != before {
			t.Errorf("%d mails sent because of our own mail", n-before)
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("%d cases", n)
		}
		var reason string
		if err := h.c.db.Get(h.ctx, &reason, `SELECT reason FROM ledger WHERE state = 'ignored'`); err != nil || !strings.Contains(reason, "our own mail") {
			t.Errorf("ledger reason %q %v", reason, err)
		}
	})
}

func TestHandlersSeeTheNewTextWithTheFullMessageAttached(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Re: " + conf.msg.Subject(), id: "c2@mail.example.nl", inReplyTo: conf.msg.MessageID(),
			body: "Het was ook al op 3 november.\n\nSanne\n\nOp do 19 nov 2026 om 21:48 schreef Kinderopvang De Vlinder - Klachten <\nklachten@vlinder.example>:\n> Beste Sanne Jansen,\n>\n> We hebben je klacht ontvangen.\n",
		}))
		h.poll()
		h.flush()
		got := h.sentTo("anna.devries@vlinder.example")
		note := got[len(got)-1]
		if !strings.Contains(note.text, "Het was ook al op 3 november.") || strings.Contains(note.text, "We hebben je klacht ontvangen") {
			t.Errorf("notification should show only the new text:\n%s", note.text)
		}
		if note.msg.AttachmentCount() != 1 {
			t.Fatalf("notification has %d attachments, want the full original", note.msg.AttachmentCount())
		}
		if name, typ, _ := note.msg.Attachment(0); typ != "message/rfc822" {
			t.Errorf("attachment %s is %s", name, typ)
		}
		var full, fresh string
		if err := h.c.db.Get(h.ctx, &full, `SELECT full_text FROM messages WHERE message_id = 'c2@mail.example.nl'`); err != nil {
			t.Fatal(err)
		}
		if err := h.c.db.Get(h.ctx, &fresh, `SELECT new_text FROM messages WHERE message_id = 'c2@mail.example.nl'`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(full, "We hebben je klacht ontvangen") || strings.Contains(fresh, "We hebben je klacht ontvangen") {
			t.Errorf("stored full text %q / new text %q", full, fresh)
		}
	})
}

// Every bounce and automatic reply of the corpus, delivered to the inbox:
// none opens a case or gets an answer.
func TestCorpusMachinesOpenNoCase(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	var files []string
	for _, sub := range []string{"bounces", "autoreplies"} {
		files = append(files, globCorpus(t, dir, sub)...)
	}
	files = append(files, dir+"/nl/exchange-online-autoreply.eml", dir+"/nl/gmail-vacation-autoreply.eml")
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		for _, f := range files {
			h.deliver(readCorpus(t, f))
		}
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 0 {
			for _, c := range h.cases() {
				t.Errorf("%s opened by %s: %s", c.Reference, c.ComplainantEmail, c.Subject)
			}
		}
		if n := len(h.sent()); n != 0 {
			t.Errorf("%d mails sent in answer to machines", n)
		}
		if n := h.countRows("ledger", "state = 'ignored'"); n != len(files) {
			t.Errorf("%d of %d machine messages ignored", n, len(files))
		}
		fmt.Fprintf(t.Output(), "%d corpus messages, none opened a case\n", len(files))
	})
}
