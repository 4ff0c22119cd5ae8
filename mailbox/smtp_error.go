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
// (5xx replies, certificate verification failures, invalid input).
type SMTPError struct {
	Op   string // what was being done: "connect", "AUTH", "MAIL FROM", "RCPT TO", "DATA", ...
	Code int    // SMTP reply code (RFC 5321 4.2), 0 when the server did not answer
	Text string // the server's reply text, including any enhanced status code
	Err  error  // underlying cause

	temporary bool
	detail    string // overrides the reply in Error, for several replies
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
	e := &SMTPError{Op: "RCPT TO"}
	errs := make([]error, 0, len(refused))
	lines := make([]string, 0, len(refused))
	for _, r := range refused {
		errs = append(errs, r.err)
		lines = append(lines, fmt.Sprintf("<%s>: %d %s", r.rcpt, r.err.Code, oneLine(r.err.Msg)))
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
