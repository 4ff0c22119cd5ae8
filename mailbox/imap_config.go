package mailbox

import (
	"crypto/x509"
	"strings"
	"time"
)

// IMAP authentication methods accepted by IMAPConfig.Auth.
const (
	AuthPassword    = "password"    // LOGIN (RFC 9051 6.2.3)
	AuthXOAuth2     = "xoauth2"     // AUTHENTICATE XOAUTH2 (Google, Microsoft)
	AuthOAuthBearer = "oauthbearer" // AUTHENTICATE OAUTHBEARER (RFC 7628)
)

// maxIdlePeriod caps one IDLE command: RFC 2177 asks clients to re-issue IDLE
// at least every 29 minutes because servers may log out idle clients after 30.
const maxIdlePeriod = 25 * time.Minute

// IMAPConfig describes the mailbox the poller reads.
type IMAPConfig struct {
	Addr          string         // host:port
	TLS           string         // "implicit", "starttls" or "none"
	AllowInsecure bool           // "none" is refused unless Addr is a loopback address or AllowInsecure
	RootCAs       *x509.CertPool // nil = system roots; certificates are always verified

	Username, Password string // Password is the OAuth2 bearer token when Auth is xoauth2/oauthbearer
	Auth               string // "password" (LOGIN), "xoauth2", "oauthbearer"
	// Tokens, when set with xoauth2/oauthbearer, supplies the bearer token
	// at every login instead of Password, so a renewed token is used from
	// the next connection on.
	Tokens TokenSource

	Mailbox, ProcessedMailbox, QuarantineMailbox string // all three named, all different

	PollInterval   time.Duration // wait between rounds without IDLE, and the cap on one IDLE
	CommandTimeout time.Duration // longest silence tolerated while waiting on the server
	BatchSize      int           // UIDs per UID FETCH
	// Workers is how many messages are handled at once (at least 1). Order
	// is kept where it matters: see lanes.
	Workers int
}

// Every field is taken as given: cmd/complaintd owns the defaults, and a
// zero here is an error, never "use the default".

// check validates cfg, as given (errors wrap ErrInvalidConfig and name the
// field), and returns the host name used for TLS verification.
func (cfg IMAPConfig) check() (string, error) {
	host, err := checkTransport("IMAPConfig", cfg.Addr, cfg.TLS, cfg.AllowInsecure)
	if err != nil {
		return "", err
	}
	switch cfg.Auth {
	case AuthPassword, AuthXOAuth2, AuthOAuthBearer:
	default:
		return "", configError("IMAPConfig.Auth", "%q is not one of %q, %q, %q", cfg.Auth, AuthPassword, AuthXOAuth2, AuthOAuthBearer)
	}
	if cfg.Username == "" {
		return "", configError("IMAPConfig.Username", "is required")
	}
	if cfg.Password == "" && (cfg.Tokens == nil || cfg.Auth == AuthPassword) {
		field := "IMAPConfig.Password"
		if cfg.Auth != AuthPassword {
			field += " (OAuth2 bearer token)"
		}
		return "", configError(field, "is required")
	}
	for field, name := range map[string]string{"Mailbox": cfg.Mailbox, "ProcessedMailbox": cfg.ProcessedMailbox,
		"QuarantineMailbox": cfg.QuarantineMailbox} {
		if name == "" {
			return "", configError("IMAPConfig."+field, "is required")
		}
	}
	// Moving a message into the mailbox it came from would offer it again
	// forever; INBOX is case-insensitive (RFC 9051 5.1).
	same := func(a, b string) bool {
		if strings.EqualFold(a, "INBOX") && strings.EqualFold(b, "INBOX") {
			return true
		}
		return a == b
	}
	switch {
	case same(cfg.ProcessedMailbox, cfg.Mailbox):
		return "", configError("IMAPConfig.ProcessedMailbox", "%q must differ from Mailbox", cfg.ProcessedMailbox)
	case same(cfg.QuarantineMailbox, cfg.Mailbox):
		return "", configError("IMAPConfig.QuarantineMailbox", "%q must differ from Mailbox", cfg.QuarantineMailbox)
	case same(cfg.QuarantineMailbox, cfg.ProcessedMailbox):
		return "", configError("IMAPConfig.QuarantineMailbox", "%q must differ from ProcessedMailbox", cfg.QuarantineMailbox)
	}
	switch {
	case cfg.PollInterval <= 0:
		return "", configError("IMAPConfig.PollInterval", "%v is not positive", cfg.PollInterval)
	case cfg.CommandTimeout <= 0:
		return "", configError("IMAPConfig.CommandTimeout", "%v is not positive", cfg.CommandTimeout)
	case cfg.BatchSize < 1:
		return "", configError("IMAPConfig.BatchSize", "%d must be at least 1", cfg.BatchSize)
	case cfg.Workers < 1:
		return "", configError("IMAPConfig.Workers", "%d must be at least 1", cfg.Workers)
	}
	return host, nil
}

// idlePeriod is how long one IDLE may last before the poller ends it and
// runs a full round anyway.
func (cfg IMAPConfig) idlePeriod() time.Duration {
	return min(cfg.PollInterval, maxIdlePeriod)
}
