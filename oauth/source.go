package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

var (
	// ErrNotLoggedIn: the delegated grant has no refresh token yet.
	ErrNotLoggedIn = errors.New("oauth: not signed in: run complaintd oauth login")
	// ErrRevoked: the authorization server refused the refresh token or the
	// client (invalid_grant, invalid_client, unauthorized_client): it was
	// revoked, expired, or the app registration changed. Retrying will not
	// help; an operator must sign in again or fix the registration.
	ErrRevoked = errors.New("oauth: the authorization server refused the grant")
)

// Store keeps the sealed refresh token, e.g. in the database.
type Store interface {
	// LoadRefreshToken returns the sealed token, or ErrNotLoggedIn.
	LoadRefreshToken(ctx context.Context) ([]byte, error)
	SaveRefreshToken(ctx context.Context, sealed []byte) error
}

// Status is what a Source last found, for readiness, metrics and check.
type Status struct {
	Expiry        time.Time // of the access token in hand; zero when none
	RefreshExpiry time.Time // of the refresh token, when the server said (refresh_token_expires_in)
	Err           error     // the last failure to get a token; nil after a success
}

// sealLabel binds a sealed value to its purpose.
const sealLabel = "complaintd oauth2 refresh token"

// Source hands out a valid access token, renewing it RenewBefore its
// expiry. It is safe for concurrent use by the IMAP and SMTP connections.
type Source struct {
	cfg    Config
	oc     *oauth2.Config
	store  Store
	sealer *Sealer
	client *http.Client
	now    func() time.Time
	log    *slog.Logger

	mu        sync.Mutex
	tok       *oauth2.Token
	refresh   string // the refresh token in hand (delegated grant)
	status    Status
	lastError string    // said at ERROR once per distinct failure
	lastWarn  time.Time // of the refresh token's expiry, said at most daily
}

// Options adjust a Source; tests set the HTTP client (their CA) and clock.
type Options struct {
	HTTPClient *http.Client
	Now        func() time.Time
	Log        *slog.Logger
}

// NewSource checks cfg; store and sealer are needed for the delegated grant.
func NewSource(cfg Config, store Store, sealer *Sealer, o Options) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Grant == GrantDeviceCode && (store == nil || sealer == nil) {
		return nil, errors.New("oauth: the device_code grant needs a store and oauth2.encryption_key")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Source{cfg: cfg, oc: cfg.oauth2Config(), store: store, sealer: sealer, client: o.HTTPClient, now: o.Now, log: o.Log}, nil
}

// Config returns the configuration with the provider's defaults applied.
func (s *Source) Config() Config { return s.cfg }

// Status reports the token's state.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Token returns an access token valid for at least RenewBefore, renewing
// it first when needed. The token is never logged.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != "" && s.now().Add(s.cfg.RenewBefore).Before(s.tok.Expiry) {
		return s.tok.AccessToken, nil
	}
	tok, err := s.fetch(ctx)
	if err != nil {
		s.status.Err = err
		if err.Error() != s.lastError {
			s.lastError = err.Error()
			s.log.Error("oauth2: cannot get an access token; mail cannot be fetched or sent until this is fixed", "err", err)
		}
		return "", err
	}
	if s.lastError != "" {
		s.log.Info("oauth2: access token obtained again")
		s.lastError = ""
	}
	s.tok = tok
	s.status.Err = nil
	s.status.Expiry = tok.Expiry
	s.log.Debug("oauth2: access token renewed", "expires", tok.Expiry)
	return tok.AccessToken, nil
}

// Forget drops the access token in hand, so the next Token fetches a new
// one: for a server that refused it before its expiry (revoked, or clocks
// apart).
func (s *Source) Forget() {
	s.mu.Lock()
	s.tok = nil
	s.mu.Unlock()
}

func (s *Source) fetch(ctx context.Context) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	if s.cfg.Grant == GrantServiceAccount {
		jc, err := s.cfg.jwtConfig()
		if err != nil {
			return nil, err
		}
		tok, err := jc.TokenSource(ctx).Token()
		return tok, classify(err)
	}
	if s.cfg.Grant == GrantClientCredentials {
		cc := clientcredentials.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret,
			TokenURL: s.cfg.TokenURL, Scopes: s.cfg.Scopes, AuthStyle: oauth2.AuthStyleInParams}
		if s.cfg.Certificate != nil {
			a, err := s.cfg.Certificate.assertion(s.cfg.ClientID, s.cfg.TokenURL, time.Now())
			if err != nil {
				return nil, fmt.Errorf("oauth: signing the client assertion: %w", err)
			}
			cc.ClientSecret = ""
			cc.EndpointParams = url.Values{
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {a},
			}
		}
		tok, err := cc.Token(ctx)
		return tok, classify(err)
	}
	if s.refresh == "" {
		sealed, err := s.store.LoadRefreshToken(ctx)
		if err != nil {
			return nil, err
		}
		plain, err := s.sealer.Open(sealed, sealLabel)
		if err != nil {
			return nil, err
		}
		s.refresh = string(plain)
	}
	tok, err := s.oc.TokenSource(ctx, &oauth2.Token{RefreshToken: s.refresh}).Token()
	if err != nil {
		return nil, classify(err)
	}
	s.noteRefreshExpiry(tok)
	if tok.RefreshToken != "" && tok.RefreshToken != s.refresh {
		// Rotated (Microsoft and others issue a new one with each refresh):
		// keep it, or the next start has only the spent one.
		if err := s.store.SaveRefreshToken(ctx, s.sealer.Seal([]byte(tok.RefreshToken), sealLabel)); err != nil {
			return nil, fmt.Errorf("oauth: saving the renewed refresh token: %w", err)
		}
		s.refresh = tok.RefreshToken
	}
	return tok, nil
}

// noteRefreshExpiry records refresh_token_expires_in when the server sends
// it, and warns 14 days ahead.
func (s *Source) noteRefreshExpiry(tok *oauth2.Token) {
	secs := 0
	switch v := tok.Extra("refresh_token_expires_in").(type) {
	case float64:
		secs = int(v)
	case string:
		secs, _ = strconv.Atoi(v)
	}
	if secs <= 0 {
		return
	}
	s.status.RefreshExpiry = s.now().Add(time.Duration(secs) * time.Second)
	if left := time.Until(s.status.RefreshExpiry); left < 14*24*time.Hour && time.Since(s.lastWarn) > 24*time.Hour {
		s.lastWarn = time.Now()
		s.log.Warn("oauth2: the refresh token expires soon; sign in again with complaintd oauth login",
			"expires", s.status.RefreshExpiry.Format(time.RFC3339))
	}
}

// classify marks the errors retrying will not cure.
func classify(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "" { // x/oauth2/jwt leaves the RFC 6749 5.2 body unparsed
			var body struct {
				Code string `json:"error"`
				Desc string `json:"error_description"`
			}
			if json.Unmarshal(re.Body, &body) == nil {
				re.ErrorCode, re.ErrorDescription = body.Code, body.Desc
			}
		}
		switch re.ErrorCode {
		case "invalid_grant", "invalid_client", "unauthorized_client":
			desc := re.ErrorDescription
			if desc == "" {
				desc = re.ErrorCode
			}
			return fmt.Errorf("%w (%s: %s)", ErrRevoked, re.ErrorCode, oneLine(desc))
		}
		return fmt.Errorf("oauth: token endpoint answered %d %s", re.Response.StatusCode, re.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("oauth: %w", err)
	}
	return nil
}

// Login runs the device-code flow (RFC 8628): it prints the address to
// visit and the code to enter, waits until the user signed in (or ctx
// ends), and stores the refresh token.
func (s *Source) Login(ctx context.Context, out io.Writer) error {
	if s.cfg.Grant != GrantDeviceCode {
		return fmt.Errorf("oauth: login is for oauth2.grant = device_code; %s needs no sign-in", s.cfg.Grant)
	}
	if s.cfg.DeviceAuthURL == "" {
		return errors.New("oauth2.device_auth_url: is required for the sign-in")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	da, err := s.oc.DeviceAuth(ctx)
	if err != nil {
		return fmt.Errorf("oauth: device authorization: %w", classify(err))
	}
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(out, "To sign in, open %s\n(or open %s and enter the code %s).\n", da.VerificationURIComplete, da.VerificationURI, da.UserCode)
	} else {
		fmt.Fprintf(out, "To sign in, open %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	}
	fmt.Fprintln(out, "Sign in as the shared mailbox's user. Waiting…")
	tok, err := s.oc.DeviceAccessToken(ctx, da)
	if err != nil {
		return fmt.Errorf("oauth: sign-in: %w", classify(err))
	}
	if tok.RefreshToken == "" {
		return errors.New("oauth: the server issued no refresh token (is offline_access among the scopes?)")
	}
	if err := s.store.SaveRefreshToken(ctx, s.sealer.Seal([]byte(tok.RefreshToken), sealLabel)); err != nil {
		return fmt.Errorf("oauth: saving the refresh token: %w", err)
	}
	s.mu.Lock()
	s.tok, s.refresh, s.status = tok, tok.RefreshToken, Status{Expiry: tok.Expiry}
	s.noteRefreshExpiry(tok)
	s.mu.Unlock()
	fmt.Fprintln(out, "Signed in; the refresh token is stored encrypted in the database.")
	return nil
}

func oneLine(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' || r == '\r' || r == '\t' {
			r = ' '
		}
		out = append(out, r)
	}
	if len(out) > 300 {
		out = append(out[:300], '…')
	}
	return string(out)
}
