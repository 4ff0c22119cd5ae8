package mailbox

// How we reach a mail server: the TLS mode policy shared by the IMAP poller and
// the SMTP sender, the verified tls.Config, and a net.Conn wrapper that puts a
// deadline on every read and write so a silent server cannot hang the daemon.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TLS modes accepted by IMAPConfig.TLS and SMTPConfig.TLS.
const (
	TLSImplicit = "implicit" // TLS from the first byte (IMAP 993, SMTP 465; RFC 8314)
	TLSStartTLS = "starttls" // plaintext greeting, then STARTTLS (RFC 9051 6.2.1, RFC 3207)
	TLSNone     = "none"     // no encryption: loopback or explicitly allowed only
)

// ErrInvalidConfig is wrapped by every configuration error from NewPoller and
// NewSMTPSender; the message names the offending field.
var ErrInvalidConfig = errors.New("invalid configuration")

// configError builds an error naming the configuration field at fault.
func configError(field, format string, args ...any) error {
	return fmt.Errorf("mailbox: %w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
}

// checkTransport validates a host:port address and its TLS mode. Plaintext is
// refused unless the address is a loopback address (the in-process test peers,
// a local relay) or the operator said AllowInsecure: credentials and complaint
// contents must not cross a network in the clear by accident.
func checkTransport(prefix, addr, mode string, allowInsecure bool) (host string, err error) {
	if addr == "" {
		return "", configError(prefix+".Addr", "is required (host:port)")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", configError(prefix+".Addr", "%q is not host:port: %v", addr, err)
	}
	if host == "" {
		return "", configError(prefix+".Addr", "%q has no host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", configError(prefix+".Addr", "%q has no valid port", addr)
	}
	switch mode {
	case TLSImplicit, TLSStartTLS:
	case TLSNone:
		if !allowInsecure && !IsLoopbackHost(host) {
			return "", configError(prefix+".TLS",
				"%q to non-loopback address %q sends credentials in the clear; set AllowInsecure to permit it", mode, addr)
		}
	default:
		return "", configError(prefix+".TLS", "%q is not one of %q, %q, %q", mode, TLSImplicit, TLSStartTLS, TLSNone)
	}
	return host, nil
}

// normalizeTLSMode lower-cases the mode and applies the secure default.
func normalizeTLSMode(mode string) string {
	mode = strings.ToLower(strings.TrimSpace(mode))
	if mode == "" {
		return TLSImplicit
	}
	return mode
}

// IsLoopbackHost reports whether host names this machine without DNS:
// "localhost" or a loopback IP literal (brackets allowed). cmd/complaintd
// uses it too, for the database and HTTP addresses: one definition of
// "this machine" for every plaintext exception.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// newTLSConfig returns a client configuration that always verifies the
// server certificate against roots (nil: the system pool) for serverName.
func newTLSConfig(serverName string, roots *x509.CertPool, alpn ...string) *tls.Config {
	return &tls.Config{
		ServerName: serverName,
		RootCAs:    roots,
		MinVersion: tls.VersionTLS12,
		NextProtos: alpn,
	}
}

// isCertificateError reports whether err is a failed certificate verification
// (unknown authority, wrong host name, expired): retrying will not help.
func isCertificateError(err error) bool {
	var (
		verr    *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// dialTCP opens a TCP connection bounded by ctx and timeout and wraps it in a
// deadlineConn with the given I/O timeout.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) (*deadlineConn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newDeadlineConn(raw, timeout), nil
}

// deadlineConn enforces its own read and write deadlines and ignores the ones
// set by the protocol libraries on top of it.
//
// Why: imapclient sets a fixed 5 minute deadline for a whole literal, which
// would cut off a 25 MB message on a slow link, and no deadline at all while it
// waits for a tagged response. Here every Read and Write gets a fresh deadline
// of the current timeout when it starts, so a transfer that keeps moving is
// never cut off while a server that stays silent for one timeout is.
//
// The read timeout can be switched off (SetReadTimeout(0)) for the periods in
// which silence is expected: while IDLE waits for news, while the daemon sleeps
// between rounds, and while the handler works on a message. Changing it also
// moves the deadline of a Read already blocked in another goroutine (the IMAP
// client's reader), so the timeout applies exactly while we wait on the server.
type deadlineConn struct {
	net.Conn

	mu           sync.Mutex
	readTimeout  time.Duration
	writeTimeout time.Duration

	timedOut atomic.Bool
}

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	return &deadlineConn{Conn: c, readTimeout: timeout, writeTimeout: timeout}
}

// SetReadTimeout sets the silence allowed on reads from now on, including a
// Read already in progress; 0 means wait forever.
func (c *deadlineConn) SetReadTimeout(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readTimeout = d
	_ = c.Conn.SetReadDeadline(deadlineFrom(d))
}

// TimedOut reports whether any read or write on this connection hit its
// deadline; the protocol libraries flatten their errors to strings, so this
// is how a timeout is recognised afterwards.
func (c *deadlineConn) TimedOut() bool { return c.timedOut.Load() }

func (c *deadlineConn) Read(b []byte) (int, error) {
	if c.timedOut.Load() {
		return 0, c.timeoutError("read")
	}
	c.mu.Lock()
	_ = c.Conn.SetReadDeadline(deadlineFrom(c.readTimeout))
	c.mu.Unlock()
	n, err := c.Conn.Read(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.expire()
	}
	return n, err
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if c.timedOut.Load() {
		return 0, c.timeoutError("write")
	}
	c.mu.Lock()
	_ = c.Conn.SetWriteDeadline(deadlineFrom(c.writeTimeout))
	c.mu.Unlock()
	n, err := c.Conn.Write(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.expire()
	}
	return n, err
}

// expire makes a timeout final. Protocol decoders retry a failed read
// (bufio hands out an error once), and each retry would wait a full timeout
// again; a connection that went silent once is not trusted any more.
func (c *deadlineConn) expire() {
	if !c.timedOut.Swap(true) {
		_ = c.Conn.Close()
	}
}

func (c *deadlineConn) timeoutError(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.ErrDeadlineExceeded}
}

// The libraries' own deadlines are ignored; see the type comment.
func (c *deadlineConn) SetDeadline(time.Time) error      { return nil }
func (c *deadlineConn) SetReadDeadline(time.Time) error  { return nil }
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

func deadlineFrom(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}
