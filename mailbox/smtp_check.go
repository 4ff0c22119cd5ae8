package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"sync/atomic"
)

// Check connects, secures, greets and authenticates on a connection of its
// own, then proves the server will take our mail: MAIL FROM:<address> and
// RCPT TO:<address> (our own address as sender and recipient), then RSET, so
// nothing is sent (RFC 5321 4.1.1.5), and QUIT. A refusal is an *SMTPError
// with the server's words. Used by `complaintd check`.
func (s *SMTPSender) Check(ctx context.Context, address string) (string, error) {
	if err := checkEnvelope(address, []string{address}, []byte{'.'}); err != nil {
		return "", err
	}
	var cur atomic.Pointer[deadlineConn]
	stop := context.AfterFunc(ctx, func() {
		if c := cur.Load(); c != nil {
			_ = c.Close()
		}
	})
	defer stop()
	c, err := s.dial(ctx, cur.Store)
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Close() }()

	transport := "no TLS (plaintext)"
	if st, err := c.GetTLSConnectionState(); err == nil {
		mode := "STARTTLS"
		if s.cfg.TLS == TLSImplicit {
			mode = "implicit TLS"
		}
		transport = describeTLS(mode, *st, s.host)
	}
	var exts []string
	for _, name := range []string{"8BITMIME", "SMTPUTF8", "PIPELINING", "SIZE", "DSN", "CHUNKING", "ENHANCEDSTATUSCODES", "AUTH"} {
		if ok, param := c.Extension(name); ok {
			exts = append(exts, strings.TrimSpace(name+" "+param))
		}
	}
	if err := c.Mail(smtpPath(address)); err != nil {
		return "", smtpFailure("MAIL FROM", err)
	}
	if err := c.Rcpt(smtpPath(address)); err != nil {
		var tp *textproto.Error
		if errors.As(err, &tp) {
			return "", refusedRecipients([]rcptRefusal{{rcpt: address, err: tp}}, 1)
		}
		return "", smtpFailure("RCPT TO", err)
	}
	if err := c.Reset(); err != nil {
		return "", smtpFailure("RSET", err)
	}
	if err := c.Quit(); err != nil {
		return "", smtpFailure("QUIT", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SMTP %s over %s; EHLO %s accepted", s.cfg.Addr, transport, s.cfg.HELO)
	if len(exts) > 0 {
		fmt.Fprintf(&b, "; extensions: %s", strings.Join(exts, ", "))
	}
	if s.cfg.Username != "" {
		fmt.Fprintf(&b, "; authenticated as %s", s.cfg.Username)
	} else {
		b.WriteString("; no authentication configured")
	}
	fmt.Fprintf(&b, "; MAIL FROM:<%s> and RCPT TO:<%s> accepted, then RSET (nothing sent).", address, address)
	return b.String(), nil
}
