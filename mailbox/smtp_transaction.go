package mailbox

import (
	"bufio"
	"errors"
	"net/textproto"

	"github.com/wneessen/go-mail/smtp"
)

// The mail transaction (RFC 5321 3.3) is written here on go-mail's
// connection (Client.Text) rather than through Client.Mail, Rcpt and Data:
// those take a round trip per command and write the message byte by byte
// through textproto's DotWriter, which was a fifth of the daemon's CPU.
// Here the envelope goes in one write when the server offers PIPELINING
// (RFC 2920), and the message, dot-stuffed ahead, in one write (per
// dataChunk). The replies, and what each failure means, are as they were
// with go-mail's commands.

// mailParams is what go-mail v0.8.1's Client.Mail appends to MAIL FROM, so
// that our envelope stays the one it sent: BODY=8BITMIME and SMTPUTF8 when
// offered (RET= only with DSN options, and SMTPUTF8 is skipped only with
// SkipSMTPUTF8; we set neither).
func mailParams(c *smtp.Client) string {
	var p string
	if ok, _ := c.Extension("8BITMIME"); ok {
		p += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok {
		p += " SMTPUTF8"
	}
	return p
}

// transaction runs MAIL, RCPT for each recipient, and DATA, then sends the
// message. It drops the connection itself when the server is left waiting
// for a message that must not go (see envelopePipelined); recover handles
// every other failure.
func (sc *smtpConn) transaction(from string, to []string, raw []byte) error {
	var err error
	if sc.pipelining {
		err = sc.envelopePipelined(from, to)
	} else {
		err = sc.envelopeStepwise(from, to)
	}
	if err != nil {
		return err
	}
	t := sc.client.Text
	if err := sc.writeData(t.W, raw); err != nil {
		return smtpFailure("DATA", err)
	}
	// The reply to the final dot is the server taking responsibility for
	// the message (RFC 5321 4.1.1.4), or refusing it.
	if _, _, err := t.ReadResponse(250); err != nil {
		return dataRefusal(err, len(to))
	}
	return nil
}

// writeMail and writeRcpt buffer the commands as go-mail wrote them (paths
// in angle brackets, see smtpPath); checkEnvelope has refused line breaks.
func (sc *smtpConn) writeMail(w *bufio.Writer, from string) {
	_, _ = w.WriteString("MAIL FROM:<")
	_, _ = w.WriteString(from)
	_, _ = w.WriteString(">")
	_, _ = w.WriteString(sc.mailParams)
	_, _ = w.WriteString("\r\n")
}

func writeRcpt(w *bufio.Writer, to string) {
	_, _ = w.WriteString("RCPT TO:<")
	_, _ = w.WriteString(to)
	_, _ = w.WriteString(">\r\n")
}

// envelopeStepwise sends one command at a time, for servers without
// PIPELINING. RCPT accepts 251 as well as 250, as go-mail did.
func (sc *smtpConn) envelopeStepwise(from string, to []string) error {
	t := sc.client.Text
	sc.writeMail(t.W, from)
	if err := roundTrip(t, 250); err != nil {
		return smtpFailure("MAIL FROM", err)
	}
	var refused []rcptRefusal
	for _, r := range to {
		writeRcpt(t.W, r)
		err := roundTrip(t, 25)
		var tp *textproto.Error
		switch {
		case err == nil:
		case errors.As(err, &tp):
			refused = append(refused, rcptRefusal{rcpt: r, err: tp})
		default:
			return smtpFailure("RCPT TO", err)
		}
	}
	if len(refused) > 0 {
		return refusedRecipients(refused, len(to))
	}
	_, _ = t.W.WriteString("DATA\r\n")
	if err := roundTrip(t, 354); err != nil {
		return smtpFailure("DATA", err)
	}
	return nil
}

func roundTrip(t *textproto.Conn, expect int) error {
	if err := t.W.Flush(); err != nil {
		return err
	}
	_, _, err := t.ReadResponse(expect)
	return err
}

// envelopePipelined writes MAIL, every RCPT and DATA at once (RFC 2920 3.1:
// DATA ends the group) and then reads their replies in order, every one of
// them, so that the connection stays in step.
//
// All recipients must be accepted or nothing is sent. A server with at
// least one valid recipient answers DATA with 354 and waits for the
// message, even when another was refused; it must then not get the final
// dot, so the connection is dropped: a server whose connection closes
// before the end of the message cancels the transaction (RFC 5321 3.8).
// When DATA itself is refused (503, 554: no valid recipients) the
// connection is in step and recover resets it as before.
//
// Writing every command before reading cannot deadlock: a reply is a few
// dozen bytes, and a mail of ours has a handful of recipients.
func (sc *smtpConn) envelopePipelined(from string, to []string) error {
	t := sc.client.Text
	sc.writeMail(t.W, from)
	for _, r := range to {
		writeRcpt(t.W, r)
	}
	_, _ = t.W.WriteString("DATA\r\n")
	if err := t.W.Flush(); err != nil {
		// Unanswered, as a failed MAIL FROM was (see Send).
		return smtpFailure("MAIL FROM", err)
	}
	var tp *textproto.Error
	_, _, mailErr := t.ReadResponse(250)
	if mailErr != nil && !errors.As(mailErr, &tp) {
		return smtpFailure("MAIL FROM", mailErr)
	}
	var refused []rcptRefusal
	for _, r := range to {
		_, _, err := t.ReadResponse(25)
		switch {
		case err == nil:
		case errors.As(err, &tp):
			refused = append(refused, rcptRefusal{rcpt: r, err: tp})
		case mailErr != nil:
			sc.drop() // out of step; the refusal of MAIL FROM is the news
			return smtpFailure("MAIL FROM", mailErr)
		default:
			return smtpFailure("RCPT TO", err)
		}
	}
	_, _, dataErr := t.ReadResponse(354)
	failed := mailErr != nil || len(refused) > 0
	if (failed && dataErr == nil) || (dataErr != nil && !errors.As(dataErr, &tp)) {
		// Waiting for a message that must not go, or out of step.
		sc.drop()
	}
	switch {
	case mailErr != nil:
		return smtpFailure("MAIL FROM", mailErr)
	case len(refused) > 0:
		return refusedRecipients(refused, len(to))
	case dataErr != nil:
		return smtpFailure("DATA", dataErr)
	}
	return nil
}

// dataChunk bounds one write of the message. deadlineConn gives every write
// the whole timeout, so a large message on a slow link is sent in pieces
// that each must move within it, as with the 4 kB pieces of textproto's
// writer; a mail of ours (a few kB) is one piece.
const dataChunk = 64 << 10

// writeData sends raw dot-stuffed and terminated (see dotStuffer), a
// dataChunk of it per write.
func (sc *smtpConn) writeData(w *bufio.Writer, raw []byte) error {
	var d dotStuffer
	buf := sc.buf[:0]
	for len(raw) > 0 {
		n := min(len(raw), dataChunk)
		buf = d.stuff(buf[:0], raw[:n])
		if raw = raw[n:]; len(raw) == 0 {
			buf = d.end(buf)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	sc.buf = buf[:0]
	return nil
}

// dataRefusal classifies a refusal of the message at its final dot. That is
// a refusal of our transaction (content, size, policy), except that a server
// which checks mailboxes late may refuse a one-recipient message with the
// recipient's mailbox status (550 5.1.1, 552 5.2.2), which is theirs.
func dataRefusal(err error, rcpts int) *SMTPError {
	e := smtpFailure("DATA", err)
	if rcpts == 1 && e.Code != 0 {
		if subject, detail, ok := enhancedCode(e.Code, e.Text); ok {
			e.recipientFault = subject == 2 || (subject == 1 && detail != 0 && detail != 7 && detail != 8)
		}
	}
	return e
}
