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

// Defaults applied by NewPoller.
const (
	DefaultIMAPMailbox       = "INBOX"
	DefaultProcessedMailbox  = "Processed"
	DefaultQuarantineMailbox = "Quarantine"
	DefaultPollInterval      = 60 * time.Second
	DefaultCommandTimeout    = 60 * time.Second
	DefaultBatchSize         = 100
)

// maxIdlePeriod caps one IDLE command: RFC 2177 asks clients to re-issue IDLE
// at least every 29 minutes because servers may log out idle clients after 30.
const maxIdlePeriod = 25 * time.Minute

// IMAPConfig describes the mailbox the poller reads.
type IMAPConfig struct {
	Addr          string         // host:port
	TLS           string         // "implicit" (default), "starttls" or "none"
	AllowInsecure bool           // "none" is refused unless Addr is a loopback address or AllowInsecure
	RootCAs       *x509.CertPool // nil = system roots; certificates are always verified

	Username, Password string // Password is the OAuth2 bearer token when Auth is xoauth2/oauthbearer
	Auth               string // "password" (LOGIN, default), "xoauth2", "oauthbearer"
	// Tokens, when set with xoauth2/oauthbearer, supplies the bearer token
	// at every login instead of Password, so a renewed token is used from
	// the next connection on.
	Tokens TokenSource

	Mailbox, ProcessedMailbox, QuarantineMailbox string // defaults INBOX, Processed, Quarantine

	PollInterval   time.Duration // wait between rounds without IDLE, and the cap on one IDLE (default 60s)
	CommandTimeout time.Duration // longest silence tolerated while waiting on the server (default 60s)
	BatchSize      int           // UIDs per UID FETCH (default 100)
	// Workers is how many messages are handled at once (default 1). Order
	// is kept where it matters: see lanes.
	Workers int
}

// withDefaults validates cfg and returns a copy with defaults applied, plus
// the host name used for TLS verification.
func (cfg IMAPConfig) withDefaults() (IMAPConfig, string, error) {
	cfg.TLS = normalizeTLSMode(cfg.TLS)
	host, err := checkTransport("IMAPConfig", cfg.Addr, cfg.TLS, cfg.AllowInsecure)
	if err != nil {
		return cfg, "", err
	}

	cfg.Auth = strings.ToLower(strings.TrimSpace(cfg.Auth))
	if cfg.Auth == "" {
		cfg.Auth = AuthPassword
	}
	switch cfg.Auth {
	case AuthPassword, AuthXOAuth2, AuthOAuthBearer:
	default:
		return cfg, "", configError("IMAPConfig.Auth", "%q is not one of %q, %q, %q", cfg.Auth, AuthPassword, AuthXOAuth2, AuthOAuthBearer)
	}
	if cfg.Username == "" {
		return cfg, "", configError("IMAPConfig.Username", "is required")
	}
	if cfg.Password == "" && (cfg.Tokens == nil || cfg.Auth == AuthPassword) {
		field := "IMAPConfig.Password"
		if cfg.Auth != AuthPassword {
			field += " (OAuth2 bearer token)"
		}
		return cfg, "", configError(field, "is required")
	}

	if cfg.Mailbox == "" {
		cfg.Mailbox = DefaultIMAPMailbox
	}
	if cfg.ProcessedMailbox == "" {
		cfg.ProcessedMailbox = DefaultProcessedMailbox
	}
	if cfg.QuarantineMailbox == "" {
		cfg.QuarantineMailbox = DefaultQuarantineMailbox
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
		return cfg, "", configError("IMAPConfig.ProcessedMailbox", "%q must differ from Mailbox", cfg.ProcessedMailbox)
	case same(cfg.QuarantineMailbox, cfg.Mailbox):
		return cfg, "", configError("IMAPConfig.QuarantineMailbox", "%q must differ from Mailbox", cfg.QuarantineMailbox)
	case same(cfg.QuarantineMailbox, cfg.ProcessedMailbox):
		return cfg, "", configError("IMAPConfig.QuarantineMailbox", "%q must differ from ProcessedMailbox", cfg.QuarantineMailbox)
	}

	switch {
	case cfg.PollInterval < 0:
		return cfg, "", configError("IMAPConfig.PollInterval", "%v is negative", cfg.PollInterval)
	case cfg.PollInterval == 0:
		cfg.PollInterval = DefaultPollInterval
	}
	switch {
	case cfg.CommandTimeout < 0:
		return cfg, "", configError("IMAPConfig.CommandTimeout", "%v is negative", cfg.CommandTimeout)
	case cfg.CommandTimeout == 0:
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	switch {
	case cfg.BatchSize < 0:
		return cfg, "", configError("IMAPConfig.BatchSize", "%d is negative", cfg.BatchSize)
	case cfg.BatchSize == 0:
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Workers < 0 {
		return cfg, "", configError("IMAPConfig.Workers", "%d is negative", cfg.Workers)
	}
	cfg.Workers = max(cfg.Workers, 1)
	return cfg, host, nil
}

// idlePeriod is how long one IDLE may last before the poller ends it and
// runs a full round anyway.
func (cfg IMAPConfig) idlePeriod() time.Duration {
	return min(cfg.PollInterval, maxIdlePeriod)
}
