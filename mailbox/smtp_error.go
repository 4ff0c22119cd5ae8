package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
)

// SMTPError is the error returned by SMTPSender. The outbox branches on
// Temporary: true means "try again later" (4xx replies, network trouble,
// timeouts), false means "this message will never go through as it is"
// (5xx replies, certificate verification failures, invalid input). And on
// RecipientFault: whether the recipient is the cause, or our own side (the
// transaction, our account, our server's configuration).
type SMTPError struct {
	Op   string // what was being done: "connect", "AUTH", "MAIL FROM", "RCPT TO", "DATA", ...
	Code int    // SMTP reply code (RFC 5321 4.2), 0 when the server did not answer
	Text string // the server's reply text, including any enhanced status code
	Err  error  // underlying cause

	temporary      bool
	recipientFault bool
	detail         string // overrides the reply in Error, for several replies
}

func (e *SMTPError) Error() string {
	var b strings.Builder
	b.WriteString("mailbox: smtp ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.detail != "":
		b.WriteString(e.detail)
	case e.Code != 0:
		fmt.Fprintf(&b, "%d %s", e.Code, oneLine(e.Text))
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("failed")
	}
	if e.temporary {
		b.WriteString(" (temporary)")
	} else {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

func (e *SMTPError) Unwrap() error { return e.Err }

// Temporary reports whether sending the same message again later may
// succeed (RFC 5321 4.2.1: 4yz transient, 5yz permanent).
func (e *SMTPError) Temporary() bool { return e.temporary }

// RecipientFault reports whether the failure is about the recipients
// themselves: the server refused every refused recipient at RCPT TO for its
// own sake (an unknown, disabled or full mailbox, a bad address: RFC 3463
// X.1.x except the sender's X.1.7/X.1.8, and X.2.x), a one-recipient
// transaction was refused at DATA for the same reasons, or the address
// cannot be written in an SMTP command at all. Everything else is on our
// side and needs the operator, never the recipient: a refusal of MAIL FROM
// or DATA, of our authentication, of the connection or TLS, protocol errors
// (X.5.x), and RCPT TO refusals for policy (X.7.x: relay access denied,
// authentication required, sender not owned by the account), or for the
// server's own state (X.3.x, X.4.x, 451, 452, 554).
func (e *SMTPError) RecipientFault() bool { return e.recipientFault }

// Answer is the command and the server's reply to it ("MAIL FROM: 530 5.7.0
// Authentication required", "RCPT TO: 1 of 1 recipient(s) refused:
// <a@b.example>: 550 5.1.1 ..."), or what went wrong when there was no reply.
// It never contains credentials: AUTH replies carry none.
func (e *SMTPError) Answer() string {
	switch {
	case e.detail != "":
		return e.Op + ": " + e.detail
	case e.Code != 0:
		return fmt.Sprintf("%s: %d %s", e.Op, e.Code, oneLine(e.Text))
	case e.Err != nil:
		return e.Op + ": " + e.Err.Error()
	}
	return e.Op + ": failed"
}

// Replied reports whether the server answered with a reply code, as opposed
// to the connection failing or input refused before sending.
func (e *SMTPError) Replied() bool { return e.Code != 0 }

// enhancedCode reads the RFC 3463 enhanced status code at the start of a
// reply text ("5.1.1 User unknown"): its subject and detail, ok false when
// there is none or its class disagrees with the reply code.
func enhancedCode(code int, text string) (subject, detail int, ok bool) {
	head, _, _ := strings.Cut(text, " ")
	var class int
	if n, err := fmt.Sscanf(head, "%d.%d.%d", &class, &subject, &detail); err != nil || n != 3 || class != code/100 {
		return 0, 0, false
	}
	return subject, detail, true
}

// refusesRecipient reports whether a reply refusing one recipient is about
// that recipient (see RecipientFault). Without an enhanced code the basic
// codes decide (RFC 5321 4.2.2: 450, 550 mailbox unavailable, 551 user not
// local, 552 storage, 553 mailbox name not allowed), unless the text says
// it is about relaying, authentication or the sender.
func refusesRecipient(code int, text string) bool {
	if code < 400 || code > 599 {
		return false
	}
	// X.0.0 ("other undefined status", what go-smtp sends by default) says
	// nothing: the basic code decides.
	if subject, detail, ok := enhancedCode(code, text); ok && subject != 0 {
		switch subject {
		case 1: // addressing status; X.1.7 and X.1.8 are the sender's address
			return detail != 7 && detail != 8 && (detail != 0 || !mentionsUs(text))
		case 2: // mailbox status
			return true
		}
		return false
	}
	switch code {
	case 450, 550, 551, 552, 553:
		return !mentionsUs(text)
	}
	return false
}

// mentionsUs is a last resort for replies without a telling enhanced code.
func mentionsUs(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"relay", "authenticat", "sender", "policy", "spam", "blocked", "denied"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// smtpFailure classifies err from operation op.
func smtpFailure(op string, err error) *SMTPError {
	var se *SMTPError
	if errors.As(err, &se) {
		return se
	}
	e := &SMTPError{Op: op, Err: err, temporary: true}
	var tp *textproto.Error
	switch {
	case errors.As(err, &tp):
		e.Code, e.Text = tp.Code, tp.Msg
		e.temporary = tp.Code < 500
	case isCertificateError(err):
		// The server is not who it claims to be, or we do not trust its
		// CA: waiting will not fix that, and sending anyway is not an option.
		e.temporary = false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// We gave up, the message was not refused.
	}
	return e
}

// smtpPermanent is an error on our side that no retry can fix.
func smtpPermanent(op string, err error) *SMTPError {
	return &SMTPError{Op: op, Err: err}
}

// rcptRefusal is one recipient the server would not accept.
type rcptRefusal struct {
	rcpt string
	err  *textproto.Error
}

// refusedRecipients reports refused recipients as one failure of the whole
// message: sending to only some of them would split a conversation that the
// caller recorded as one message. Permanent only when every refusal is 5xx.
func refusedRecipients(refused []rcptRefusal, total int) *SMTPError {
	e := &SMTPError{Op: "RCPT TO", recipientFault: true}
	errs := make([]error, 0, len(refused))
	lines := make([]string, 0, len(refused))
	for _, r := range refused {
		errs = append(errs, r.err)
		lines = append(lines, fmt.Sprintf("<%s>: %d %s", r.rcpt, r.err.Code, oneLine(r.err.Msg)))
		// Only when every refusal is about its recipient is the message
		// the recipients' problem; one refusal for our sake (relay denied)
		// makes it ours.
		e.recipientFault = e.recipientFault && refusesRecipient(r.err.Code, r.err.Msg)
		if r.err.Code < 500 && !e.temporary {
			// Report a 4xx code when any refusal is temporary, so that
			// Code and Temporary agree.
			e.temporary = true
			e.Code, e.Text = r.err.Code, r.err.Msg
		}
	}
	if !e.temporary {
		e.Code, e.Text = refused[0].err.Code, refused[0].err.Msg
	}
	e.Err = errors.Join(errs...)
	e.detail = fmt.Sprintf("%d of %d recipient(s) refused: %s", len(refused), total, strings.Join(lines, "; "))
	return e
}

// oneLine joins the lines of a multi-line reply (RFC 5321 4.2.1).
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " / ") }
