package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/oauth"
	"github.com/complaintd/complaintd/store"
)

// OAuth2Config is the [oauth2] section: how IMAP and SMTP get their bearer
// tokens when imap.auth or smtp.auth is "oauth2".
type OAuth2Config struct {
	Provider      string `toml:"provider"` // microsoft, google, generic
	Tenant        string `toml:"tenant"`
	TokenURL      string `toml:"token_url"`
	DeviceAuthURL string `toml:"device_auth_url"`
	ClientID      string `toml:"client_id"`
	ClientSecret  string `toml:"client_secret" secret:"true"`
	Grant         string `toml:"grant"` // device_code (default), client_credentials or service_account
	// ServiceAccountFile is a Google service account's JSON key (grant
	// service_account); it acts as the mailbox (imap.username).
	ServiceAccountFile string `toml:"service_account_file"`
	// ClientCertificateFile and ClientKeyFile (PEM) sign client assertions
	// instead of sending client_secret (Microsoft's certificate credential).
	ClientCertificateFile string        `toml:"client_certificate_file"`
	ClientKeyFile         string        `toml:"client_key_file"`
	Scopes                []string      `toml:"scopes"`
	EncryptionKey         string        `toml:"encryption_key" secret:"true"`
	RenewBefore           time.Duration `toml:"renew_before"`
	AllowInsecure         bool          `toml:"allow_insecure"`
}

// oauthConfig maps [oauth2] onto the oauth package's configuration.
func (c *Config) oauthConfig() (oauth.Config, error) {
	o := c.OAuth2
	oc := oauth.Config{Provider: o.Provider, Tenant: o.Tenant, TokenURL: o.TokenURL, DeviceAuthURL: o.DeviceAuthURL,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, Grant: o.Grant, Scopes: o.Scopes,
		RenewBefore: o.RenewBefore, AllowInsecure: o.AllowInsecure}
	if (o.ClientCertificateFile == "") != (o.ClientKeyFile == "") {
		return oc, errors.New("oauth2.client_certificate_file: set together with oauth2.client_key_file")
	}
	if o.ClientCertificateFile != "" {
		certPEM, err := os.ReadFile(o.ClientCertificateFile)
		if err != nil {
			return oc, fmt.Errorf("oauth2.client_certificate_file: %w", err)
		}
		keyPEM, err := os.ReadFile(o.ClientKeyFile)
		if err != nil {
			return oc, fmt.Errorf("oauth2.client_key_file: %w", err)
		}
		if oc.Certificate, err = oauth.LoadClientCertificate(certPEM, keyPEM); err != nil {
			return oc, err
		}
	}
	if o.Grant == oauth.GrantServiceAccount {
		oc.Subject = c.IMAP.Username
		if !c.imapUsesOAuth2() {
			oc.Subject = c.SMTP.Username
		}
		if o.ServiceAccountFile != "" {
			b, err := os.ReadFile(o.ServiceAccountFile)
			if err != nil {
				return oc, fmt.Errorf("oauth2.service_account_file: %w", err)
			}
			oc.ServiceAccountKey = b
		}
	}
	return oc, nil
}

// needsSealer: only the delegated grant keeps a refresh token.
func (o OAuth2Config) needsSealer() bool {
	return o.Grant != oauth.GrantClientCredentials && o.Grant != oauth.GrantServiceAccount
}

// imapUsesOAuth2: imap.auth "oauth2", or xoauth2/oauthbearer with an
// [oauth2] section, takes renewing tokens instead of a fixed one.
func (c *Config) imapUsesOAuth2() bool {
	switch c.IMAP.Auth {
	case "oauth2":
		return true
	case "xoauth2", "oauthbearer":
		return c.OAuth2.ClientID != ""
	}
	return false
}

func (c *Config) usesOAuth2() bool { return c.imapUsesOAuth2() || c.SMTP.Auth == "oauth2" }

func (c *Config) oauth2Problems() []error {
	if !c.usesOAuth2() {
		return nil
	}
	var errs []error
	oc, err := c.oauthConfig()
	if err != nil {
		errs = append(errs, err)
	} else if err := oc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.OAuth2.needsSealer() {
		if _, err := oauth.NewSealer(c.OAuth2.EncryptionKey); err != nil {
			errs = append(errs, fmt.Errorf("%w (or set COMPLAINTD_OAUTH2_ENCRYPTION_KEY_FILE): it encrypts the stored refresh token", err))
		}
	}
	if c.OAuth2.RenewBefore < 0 {
		errs = append(errs, errors.New("oauth2.renew_before: must not be negative"))
	}
	return errs
}

// imapMechanism is the SASL mechanism of imap.auth.
func imapMechanism(auth string) string {
	if auth == "oauth2" {
		return mailbox.AuthXOAuth2
	}
	return auth
}

// settingKeyRefreshToken names the sealed refresh token in the settings table.
const settingKeyRefreshToken = "oauth2_refresh_token"

// settingsTokenStore keeps the sealed refresh token in the settings table.
// db is set once the database is open.
type settingsTokenStore struct{ db *store.DB }

func (s *settingsTokenStore) LoadRefreshToken(ctx context.Context) ([]byte, error) {
	if s.db == nil {
		return nil, errors.New("oauth2: database not open")
	}
	var v string
	err := s.db.Get(ctx, &v, `SELECT value FROM settings WHERE key = ?`, settingKeyRefreshToken)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oauth.ErrNotLoggedIn
	}
	if err != nil {
		return nil, fmt.Errorf("oauth2: reading the refresh token: %w", err)
	}
	return base64.StdEncoding.DecodeString(v)
}

func (s *settingsTokenStore) SaveRefreshToken(ctx context.Context, sealed []byte) error {
	if s.db == nil {
		return errors.New("oauth2: database not open")
	}
	_, err := s.db.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingKeyRefreshToken, base64.StdEncoding.EncodeToString(sealed))
	return err
}

// newTokenSource builds the shared token source when the configuration
// uses OAuth2; nil otherwise.
func newTokenSource(cfg *Config, st *settingsTokenStore, log *slog.Logger, o options) (*oauth.Source, error) {
	if !cfg.usesOAuth2() {
		return nil, nil
	}
	var sealer *oauth.Sealer
	if cfg.OAuth2.needsSealer() {
		var err error
		if sealer, err = oauth.NewSealer(cfg.OAuth2.EncryptionKey); err != nil {
			return nil, err
		}
	}
	oc, err := cfg.oauthConfig()
	if err != nil {
		return nil, err
	}
	return oauth.NewSource(oc, st, sealer, oauth.Options{Log: log.With("part", "oauth2"), Now: o.oauthNow})
}

// oauth2Ready fails while no valid token can be had.
func oauth2Ready(src *oauth.Source) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := src.Token(ctx); err != nil {
			return err
		}
		return nil
	}
}

func cmdOAuth(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] != "login" {
		fmt.Fprintln(stderr, "Usage: complaintd oauth login [-config FILE]")
		return fmt.Errorf("%w: oauth needs login", errUsage)
	}
	fs, config := newFlags("oauth login [-config FILE]",
		"Signs the shared mailbox's user in with the device-code flow: prints an address and a code to\nenter there, waits, and stores the refresh token encrypted in the database.", stderr, env)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	if !cfg.usesOAuth2() {
		return errors.New("oauth login: neither imap.auth nor smtp.auth is \"oauth2\"")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	src, err := newTokenSource(cfg, &settingsTokenStore{db: db}, newLogger(cfg, stderr), options{})
	if err != nil {
		return err
	}
	if err := src.Login(ctx, stdout); err != nil {
		return err
	}
	if _, err := src.Token(ctx); err != nil {
		return fmt.Errorf("oauth login: signed in, but no access token: %w", err)
	}
	fmt.Fprintf(stdout, "Access token valid until %s; the daemon renews it itself.\n", src.Status().Expiry.Format(time.RFC3339))
	return nil
}
