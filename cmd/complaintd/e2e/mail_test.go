package e2e

// Mail as the people in the flow see it: what reaches the parent and the
// handlers, read the way a mail client reads it (go-message, not the
// daemon's own parser), and what they write back, shaped as their clients
// and the organisation's receiving server write it.

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	_ "github.com/emersion/go-message/charset" // the charsets a mail client reads
	"github.com/emersion/go-message/mail"
)

// letter is one delivered message, read as its recipient's client shows it.
type letter struct {
	rcpt    string // the envelope recipient it was delivered to
	raw     []byte
	header  mail.Header
	subject string
	text    string // the text/plain body, decoded, LF line ends
}

func readLetter(t *testing.T, d delivery) letter {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(d.raw))
	if err != nil {
		t.Fatalf("a mail client could not read what %s received: %v\n%s", d.rcpt, err, d.raw)
	}
	l := letter{rcpt: d.rcpt, raw: d.raw, header: r.Header}
	if l.subject, err = r.Header.Subject(); err != nil {
		t.Errorf("subject of mail to %s: %v", d.rcpt, err)
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading mail to %s: %v", d.rcpt, err)
		}
		h, ok := p.Header.(*mail.InlineHeader)
		if !ok {
			continue // an attachment
		}
		if ct, _, _ := h.ContentType(); ct == "text/plain" && l.text == "" {
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("reading mail to %s: %v", d.rcpt, err)
			}
			l.text = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	if l.text == "" {
		t.Errorf("mail to %s (%q) has no text part a client can show", d.rcpt, l.subject)
	}
	return l
}

// messageID is the letter's Message-ID without angle brackets.
func (l letter) messageID() string {
	id, _ := l.header.MessageID()
	return id
}

// headerBlock is the letter's header as delivered, for a bounce that
// returns it.
func (l letter) headerBlock() string {
	raw := strings.ReplaceAll(string(l.raw), "\r\n", "\n")
	head, _, _ := strings.Cut(raw, "\n\n")
	return head
}

// Dutch dates as the templates write them.
var (
	dutchMonths = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli",
		"augustus", "september", "oktober", "november", "december"}
	dutchDays = [...]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}
)

func dutchDate(d time.Time) string {
	return fmt.Sprintf("%d %s %d", d.Day(), dutchMonths[d.Month()-1], d.Year())
}

func dutchDayDate(d time.Time) string { return dutchDays[d.Weekday()] + " " + dutchDate(d) }

// crlf turns a message written with LF line ends into what goes on the wire.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))
}

func randomToken(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// receivedBy prepends what the organisation's receiving server (Postfix at
// mx.vlinder.example, delivering over LMTP to the shared mailbox) adds to
// every message it accepts: Return-Path, Delivered-To, its Received line and
// its Authentication-Results, whose authserv-id is the configured
// trust.authserv_id. authResults is the result part, e.g. "dmarc=pass
// header.from=vlinder.example".
func receivedBy(msg []byte, envelopeFrom, authResults string, at time.Time) []byte {
	id := strings.ToUpper(fmt.Sprintf("%x", at.UnixNano()))[:12]
	head := fmt.Sprintf("Return-Path: <%s>\n"+
		"Delivered-To: klachten@vlinder.example\n"+
		"Received: from mx.vlinder.example\n\tby mail.vlinder.example with LMTP\n\tid %s\n\t(envelope-from <%s>)\n\tfor <klachten@vlinder.example>; %s\n"+
		"Authentication-Results: mx.vlinder.example;\n\t%s\n",
		envelopeFrom, id, envelopeFrom, at.Format(time.RFC1123Z), authResults)
	return append(crlf(head), msg...)
}

// flowed wraps a paragraph the way Thunderbird does (format=flowed, RFC
// 3676): lines of at most 72 characters, each soft break a trailing space.
func flowed(paragraph string) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(paragraph) {
		if line != "" && len(line)+len(w)+1 > 72 {
			lines = append(lines, line+" ")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// quoted is text quoted the way Thunderbird quotes it: "> " before each
// line, ">" alone before an empty one.
func quoted(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// rawComplaint is a parent's first message, plain text as a webmail writes
// it, received by the organisation's MX.
func rawComplaint(t *testing.T, name, addr, subject, body string, at time.Time) []byte {
	t.Helper()
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	msg := fmt.Sprintf(`From: %s <%s>
To: klachten@vlinder.example
Subject: %s
Date: %s
Message-ID: <%s@%s>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: 8bit

Geachte heer/mevrouw,

%s

Met vriendelijke groet,
%s
`, name, addr, mime.QEncoding.Encode("UTF-8", subject), at.Format(time.RFC1123Z), randomToken(t, 10), domain, body, name)
	return receivedBy(crlf(msg), addr,
		"dkim=pass header.d="+domain+"; spf=pass smtp.mailfrom="+addr+"; dmarc=pass header.from="+domain, at)
}

// vacationReply is Gmail's vacation responder answering to (RFC 3834:
// Auto-Submitted auto-replied, In-Reply-To and References of what it
// answers), multipart/alternative, from the parent's own address.
func vacationReply(t *testing.T, to letter, at time.Time) []byte {
	t.Helper()
	refs, _ := to.header.Text("References")
	refs = strings.TrimSpace(refs + " <" + to.messageID() + ">")
	from := to.rcpt
	msg := fmt.Sprintf(`MIME-Version: 1.0
From: Sanne Jansen <%s>
Date: %s
References: %s
In-Reply-To: <%s>
Auto-Submitted: auto-replied
Message-ID: <CAQ7ju%s@mail.gmail.com>
Subject: Afwezig tot en met 4 januari
To: Kinderopvang De Vlinder <klachten@vlinder.example>
Content-Type: multipart/alternative; boundary="000000000000be00e67eaa9cb1c9"

--000000000000be00e67eaa9cb1c9
Content-Type: text/plain; charset="UTF-8"

Ik ben afwezig tot en met 4 januari en lees mijn e-mail niet.

--000000000000be00e67eaa9cb1c9
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Ik ben afwezig tot en met 4 januari en lees mijn e-mail niet.</div>

--000000000000be00e67eaa9cb1c9--
`, from, at.Format(time.RFC1123Z), refs, to.messageID(), randomToken(t, 12))
	return receivedBy(crlf(msg), from, "dkim=pass header.d=example.nl; spf=pass smtp.mailfrom="+from+"; dmarc=pass header.from=example.nl", at)
}

// postfixBounce is the delivery status notification (RFC 3464, inside
// multipart/report, RFC 6522) a parent's provider running Postfix sends
// when the mailbox it accepted the message for turns out not to exist: the
// message returned is l, as delivered. Its envelope sender is empty.
func postfixBounce(l letter, at time.Time) []byte {
	queueID := strings.ToUpper(fmt.Sprintf("%x", at.UnixNano()))[:11]
	boundary := queueID + "." + fmt.Sprint(at.Unix()) + "/mx.example.org"
	date := at.Format(time.RFC1123Z)
	msg := fmt.Sprintf(`Date: %[1]s
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: klachten@vlinder.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="%[2]s"
Content-Transfer-Encoding: 8bit
Message-Id: <%[3]s.%[4]d@mx.example.org>

This is a MIME-encapsulated message.

--%[2]s
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<%[5]s>: host mailstore.example.org[192.0.2.25] said: 550 5.1.1
    <%[5]s>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--%[2]s
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: %[3]s
X-Postfix-Sender: rfc822; klachten@vlinder.example
Arrival-Date: %[1]s

Final-Recipient: rfc822; %[5]s
Original-Recipient: rfc822;%[5]s
Action: failed
Status: 5.1.1
Remote-MTA: dns; mailstore.example.org
Diagnostic-Code: smtp; 550 5.1.1 <%[5]s>: Recipient address rejected: User
    unknown in virtual mailbox table

--%[2]s
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

%[6]s

--%[2]s--
`, date, boundary, queueID, at.Unix(), l.rcpt, l.headerBlock())
	return receivedBy(crlf(msg), "", "dkim=none; spf=pass smtp.helo=mx.example.org; dmarc=none", at)
}

// gmailReply is a parent's reply to a letter as Gmail's web client writes it
// in Dutch: top-posted, multipart/alternative, quoted-printable, the
// attribution "Op za 5 dec 2026 om 06:50 schreef NAME <\nADDRESS>:" wrapped
// where Gmail wraps it, and the letter quoted with "> " (and in a
// gmail_quote blockquote in the HTML part).
func gmailReply(t *testing.T, name, addr string, to letter, at time.Time, text string) []byte {
	t.Helper()
	from, err := to.header.AddressList("From")
	if err != nil || len(from) == 0 {
		t.Fatalf("the letter to reply to has no From: %v", err)
	}
	replyTo := to.header.Get("Reply-To")
	if replyTo == "" {
		replyTo = to.header.Get("From")
	}
	refs, _ := to.header.Text("References")
	refs = strings.TrimSpace(refs + " <" + to.messageID() + ">")
	sent, _ := to.header.Date()
	sent = sent.In(amsterdam)
	attribution := fmt.Sprintf("Op %s %d %s %d om %s schreef %s <\n%s>:", dutchShortDays[sent.Weekday()], sent.Day(),
		dutchShortMonths[sent.Month()-1], sent.Year(), sent.Format("15:04"), from[0].Name, from[0].Address)
	plain := text + "\n\n" + attribution + "\n\n" + quoted(to.text) + "\n"
	html := `<div dir="ltr">` + htmlLines(text) + `</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">` +
		htmlLines(attribution) + `<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;` +
		`border-left:1px solid rgb(204,204,204);padding-left:1ex">` + htmlLines(to.text) + "</blockquote></div>\n"
	const boundary = "000000000000f414761c5e868ba6"
	msg := fmt.Sprintf(`MIME-Version: 1.0
References: %s
In-Reply-To: <%s>
From: %s <%s>
Date: %s
Message-ID: <CANl85%s@mail.gmail.com>
Subject: %s
To: %s
Content-Type: multipart/alternative; boundary="%s"

--%s
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

%s
--%s
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

%s
--%s--
`, refs, to.messageID(), name, addr, at.Format(time.RFC1123Z), randomToken(t, 12),
		mime.QEncoding.Encode("UTF-8", "Re: "+to.subject), replyTo, boundary,
		boundary, qp(plain), boundary, qp(html), boundary)
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	return receivedBy(crlf(msg), addr,
		"dkim=pass header.d="+domain+"; spf=pass smtp.mailfrom="+addr+"; dmarc=pass header.from="+domain, at)
}

var (
	dutchShortDays   = [...]string{"zo", "ma", "di", "wo", "do", "vr", "za"}
	dutchShortMonths = [...]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}
)

// qp encodes s as quoted-printable, with LF line ends (crlf fixes them).
func qp(s string) string {
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(strings.ReplaceAll(s, "\n", "\r\n")))
	_ = w.Close()
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

// htmlLines is text as HTML, each line break a <br>.
func htmlLines(text string) string {
	return strings.ReplaceAll(html.EscapeString(strings.TrimRight(text, "\n")), "\n", "<br>")
}
