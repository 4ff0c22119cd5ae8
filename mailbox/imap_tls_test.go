package mailbox_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

func TestIMAPOverTLSVerifiesCertificates(t *testing.T) {
	for _, mode := range []string{"implicit", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			srv := startIMAP(t, mailtest.IMAPOptions{TLS: mode})
			raw := testMessage(1)
			if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
				t.Fatal(err)
			}

			// The system pool does not know the test CA: refused, nothing handled.
			rec := newRecorder(nil)
			cfg := imapConfig(srv, mode)
			cfg.RootCAs = nil
			err := newPoller(t, cfg, rec.handle).PollOnce(t.Context())
			var unknownCA x509.UnknownAuthorityError
			if !errors.As(err, &unknownCA) {
				t.Fatalf("PollOnce with system roots: err = %v, want x509.UnknownAuthorityError", err)
			}
			if n := len(rec.all()); n != 0 {
				t.Fatalf("handler called %d times over an unverified connection", n)
			}

			// Another CA is not good enough either.
			other := startIMAP(t, mailtest.IMAPOptions{TLS: mode})
			cfg.RootCAs = other.RootCAs()
			if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); !errors.As(err, &unknownCA) {
				t.Fatalf("PollOnce with a foreign CA: err = %v, want x509.UnknownAuthorityError", err)
			}

			// With the server's CA it works.
			cfg.RootCAs = srv.RootCAs()
			if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
				t.Fatalf("PollOnce with RootCAs: %v", err)
			}
			assertRaw(t, srv, "Processed", raw)

			summary, err := newPoller(t, cfg, rec.handle).Check(t.Context())
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if !strings.Contains(summary, "certificate verified for 127.0.0.1") {
				t.Errorf("Check summary does not mention verification:\n%s", summary)
			}
		})
	}
}

func TestIMAPAuthMethods(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{TLS: "implicit", Password: "ya29.bearer-token"})
	for _, auth := range []string{"password", "xoauth2", "oauthbearer"} {
		t.Run(auth, func(t *testing.T) {
			raw := testMessage(len(auth))
			if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
				t.Fatal(err)
			}
			cfg := imapConfig(srv, "implicit")
			cfg.Auth = auth

			cfg.Password = "wrong"
			rec := newRecorder(nil)
			err := newPoller(t, cfg, rec.handle).PollOnce(t.Context())
			if !errors.Is(err, mailbox.ErrIMAPAuth) {
				t.Fatalf("wrong credentials: err = %v, want ErrIMAPAuth", err)
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Errorf("error message leaks the secret: %v", err)
			}

			cfg.Password = srv.Password()
			if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
				t.Fatalf("PollOnce: %v", err)
			}
			if got := rec.all(); len(got) != 1 || string(got[0].Raw) != string(raw) {
				t.Fatalf("handler saw %d messages, want the one delivered", len(got))
			}
		})
	}
}

func TestIMAPConfigValidation(t *testing.T) {
	h := newRecorder(nil).handle
	base := mailbox.IMAPConfig{Addr: "127.0.0.1:143", TLS: "none", Auth: "password", Username: "u", Password: "p",
		Mailbox: "INBOX", ProcessedMailbox: "Processed", QuarantineMailbox: "Quarantine",
		PollInterval: time.Minute, CommandTimeout: time.Minute, BatchSize: 100, Workers: 1}
	cases := []struct {
		name   string
		mutate func(*mailbox.IMAPConfig)
		field  string // empty: valid
	}{
		{"loopback plaintext", func(*mailbox.IMAPConfig) {}, ""},
		{"localhost plaintext", func(c *mailbox.IMAPConfig) { c.Addr = "localhost:143" }, ""},
		{"ipv6 loopback plaintext", func(c *mailbox.IMAPConfig) { c.Addr = "[::1]:143" }, ""},
		{"remote plaintext", func(c *mailbox.IMAPConfig) { c.Addr = "imap.example.org:143" }, "IMAPConfig.TLS"},
		{"remote plaintext allowed", func(c *mailbox.IMAPConfig) { c.Addr = "imap.example.org:143"; c.AllowInsecure = true }, ""},
		{"remote implicit TLS", func(c *mailbox.IMAPConfig) { c.Addr = "imap.example.org:993"; c.TLS = "implicit" }, ""},
		{"no TLS mode", func(c *mailbox.IMAPConfig) { c.TLS = "" }, "IMAPConfig.TLS"},
		{"no auth", func(c *mailbox.IMAPConfig) { c.Auth = "" }, "IMAPConfig.Auth"},
		{"no quarantine mailbox", func(c *mailbox.IMAPConfig) { c.QuarantineMailbox = "" }, "IMAPConfig.QuarantineMailbox"},
		{"zero timeout", func(c *mailbox.IMAPConfig) { c.CommandTimeout = 0 }, "IMAPConfig.CommandTimeout"},
		{"zero interval", func(c *mailbox.IMAPConfig) { c.PollInterval = 0 }, "IMAPConfig.PollInterval"},
		{"zero batch", func(c *mailbox.IMAPConfig) { c.BatchSize = 0 }, "IMAPConfig.BatchSize"},
		{"zero workers", func(c *mailbox.IMAPConfig) { c.Workers = 0 }, "IMAPConfig.Workers"},
		{"unknown TLS mode", func(c *mailbox.IMAPConfig) { c.TLS = "ssl" }, "IMAPConfig.TLS"},
		{"no address", func(c *mailbox.IMAPConfig) { c.Addr = "" }, "IMAPConfig.Addr"},
		{"no port", func(c *mailbox.IMAPConfig) { c.Addr = "imap.example.org" }, "IMAPConfig.Addr"},
		{"no username", func(c *mailbox.IMAPConfig) { c.Username = "" }, "IMAPConfig.Username"},
		{"no password", func(c *mailbox.IMAPConfig) { c.Password = "" }, "IMAPConfig.Password"},
		{"unknown auth", func(c *mailbox.IMAPConfig) { c.Auth = "kerberos" }, "IMAPConfig.Auth"},
		{"processed is inbox", func(c *mailbox.IMAPConfig) { c.ProcessedMailbox = "inbox" }, "IMAPConfig.ProcessedMailbox"},
		{"quarantine is processed", func(c *mailbox.IMAPConfig) { c.QuarantineMailbox = "Processed" }, "IMAPConfig.QuarantineMailbox"},
		{"negative timeout", func(c *mailbox.IMAPConfig) { c.CommandTimeout = -time.Second }, "IMAPConfig.CommandTimeout"},
		{"negative interval", func(c *mailbox.IMAPConfig) { c.PollInterval = -time.Second }, "IMAPConfig.PollInterval"},
		{"negative batch", func(c *mailbox.IMAPConfig) { c.BatchSize = -1 }, "IMAPConfig.BatchSize"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mutate(&cfg)
			_, err := mailbox.NewPoller(cfg, h, nil)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("NewPoller: %v", err)
			case tc.field != "" && !errors.Is(err, mailbox.ErrInvalidConfig):
				t.Fatalf("NewPoller: err = %v, want ErrInvalidConfig", err)
			case tc.field != "" && !strings.Contains(err.Error(), tc.field):
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
		})
	}

	p, err := mailbox.NewPoller(base, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Taken as given: nothing is filled in or rewritten.
	if got := p.Config(); got.Addr != base.Addr || got.TLS != base.TLS || got.Auth != base.Auth ||
		got.Mailbox != base.Mailbox || got.ProcessedMailbox != base.ProcessedMailbox || got.QuarantineMailbox != base.QuarantineMailbox ||
		got.PollInterval != base.PollInterval || got.CommandTimeout != base.CommandTimeout || got.BatchSize != base.BatchSize ||
		got.Workers != base.Workers {
		t.Errorf("Config() = %+v, want the configuration as given %+v", got, base)
	}
}
