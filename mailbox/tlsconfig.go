package mailbox

// How we reach a mail server securely: the TLS mode policy shared by the IMAP
// poller and the SMTP sender, and the verified tls.Config (the connection
// itself, with its deadlines, is conn.go's).

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
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
