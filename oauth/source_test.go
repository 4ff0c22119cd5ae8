package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/oauth"
	"github.com/complaintd/complaintd/oauth/oauthtest"
)

const key = "0123456789abcdef0123456789abcdef-test-key"

type memStore struct {
	mu     sync.Mutex
	sealed []byte
	saves  int
}

func (m *memStore) LoadRefreshToken(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sealed == nil {
		return nil, oauth.ErrNotLoggedIn
	}
	return m.sealed, nil
}

func (m *memStore) SaveRefreshToken(_ context.Context, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sealed, m.saves = b, m.saves+1
	return nil
}

// fakeNow is a settable clock for the renewal decision.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

type logCount struct {
	mu   sync.Mutex
	errs []string
}

func (l *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCount) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCount) WithGroup(string) slog.Handler            { return l }
func (l *logCount) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		l.mu.Lock()
		l.errs = append(l.errs, r.Message)
		l.mu.Unlock()
	}
	return nil
}

func startServer(t *testing.T, o oauthtest.Options) *oauthtest.Server {
	t.Helper()
	srv, err := oauthtest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func genericConfig(srv *oauthtest.Server, grant string) oauth.Config {
	return oauth.Config{Provider: oauth.ProviderGeneric, TokenURL: srv.TokenURL(), DeviceAuthURL: srv.DeviceAuthURL(),
		ClientID: "complaintd", ClientSecret: "client-secret", Grant: grant, Scopes: []string{"mail"}, RenewBefore: time.Minute}
}

func TestDeviceLoginRenewalRotationAndRestart(t *testing.T) {
	srv := startServer(t, oauthtest.Options{Rotate: true, Lifetime: 10 * time.Minute})
	store := &memStore{}
	sealer, err := oauth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeNow{t: time.Now()}
	src, err := oauth.NewSource(genericConfig(srv, oauth.GrantDeviceCode), store, sealer, oauth.Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(t.Context()); !errors.Is(err, oauth.ErrNotLoggedIn) {
		t.Fatalf("Token before login: %v, want ErrNotLoggedIn", err)
	}
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- src.Login(t.Context(), &out) }()
	deadline := time.Now().Add(30 * time.Second)
	for !srv.Pending() {
		if time.Now().After(deadline) {
			t.Fatal("no device code requested")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Approve() // the user signs in in a browser
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Login did not return after approval")
	}
	if !strings.Contains(out.String(), "/device and enter the code ABCD-EFGH") {
		t.Errorf("login output:\n%s", out.String())
	}
	if store.saves != 1 || bytes.Contains(store.sealed, []byte("rt-")) {
		t.Fatalf("refresh token stored %d times, sealed %q", store.saves, store.sealed)
	}
	first, err := src.Token(t.Context())
	if err != nil || !srv.Valid(first) {
		t.Fatalf("Token after login: %v", err)
	}
	again, _ := src.Token(t.Context())
	if again != first || srv.Issued() != 1 {
		t.Errorf("a fresh token was not reused (%d issued)", srv.Issued())
	}
	// Within RenewBefore of its expiry the token is renewed; the rotated
	// refresh token is stored.
	clock.add(9*time.Minute + 30*time.Second)
	renewed, err := src.Token(t.Context())
	if err != nil || renewed == first || !srv.Valid(renewed) || store.saves != 2 {
		t.Fatalf("renewal: %v (issued %d, saves %d)", err, srv.Issued(), store.saves)
	}
	// A restart reads the stored (rotated) refresh token.
	restarted, _ := oauth.NewSource(genericConfig(srv, oauth.GrantDeviceCode), store, sealer, oauth.Options{})
	if tok, err := restarted.Token(t.Context()); err != nil || !srv.Valid(tok) {
		t.Fatalf("after restart: %v", err)
	}
	// Another key cannot open it.
	other, _ := oauth.NewSealer(strings.Repeat("x", 40))
	wrongKey, _ := oauth.NewSource(genericConfig(srv, oauth.GrantDeviceCode), store, other, oauth.Options{})
	if _, err := wrongKey.Token(t.Context()); !errors.Is(err, oauth.ErrBadSeal) {
		t.Errorf("wrong key: %v, want ErrBadSeal", err)
	}
}

// A revoked refresh token is an error that names itself, logged once at
// ERROR however often the connections ask, and visible in Status.
func TestRevokedRefreshToken(t *testing.T) {
	srv := startServer(t, oauthtest.Options{Lifetime: 10 * time.Minute})
	sealer, _ := oauth.NewSealer(key)
	store := &memStore{sealed: sealer.Seal([]byte(srv.IssueRefreshToken()), "complaintd oauth2 refresh token")}
	logs := &logCount{}
	clock := &fakeNow{t: time.Now()}
	src, err := oauth.NewSource(genericConfig(srv, oauth.GrantDeviceCode), store, sealer, oauth.Options{Now: clock.now, Log: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(t.Context()); err != nil {
		t.Fatalf("Token: %v", err)
	}
	if st := src.Status(); st.Err != nil || st.Expiry.Before(time.Now()) {
		t.Fatalf("Status = %+v", st)
	}
	srv.RevokeAll()
	clock.add(10 * time.Minute)
	for range 3 {
		_, err = src.Token(t.Context())
	}
	if !errors.Is(err, oauth.ErrRevoked) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("after revocation: %v, want ErrRevoked naming invalid_grant", err)
	}
	if !errors.Is(src.Status().Err, oauth.ErrRevoked) {
		t.Errorf("Status.Err = %v", src.Status().Err)
	}
	if len(logs.errs) != 1 {
		t.Errorf("%d ERROR lines, want 1: %q", len(logs.errs), logs.errs)
	}
}

func TestClientCredentials(t *testing.T) {
	srv := startServer(t, oauthtest.Options{})
	cfg := genericConfig(srv, oauth.GrantClientCredentials)
	src, err := oauth.NewSource(cfg, nil, nil, oauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(t.Context()); err != nil || !srv.Valid(tok) {
		t.Fatalf("client credentials: %v", err)
	}
	cfg.ClientSecret = "wrong"
	bad, _ := oauth.NewSource(cfg, nil, nil, oauth.Options{})
	if _, err := bad.Token(t.Context()); !errors.Is(err, oauth.ErrRevoked) || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestConfigNamesKeysAndAppliesProviderDefaults(t *testing.T) {
	for _, c := range []struct {
		cfg  oauth.Config
		want string
	}{
		{oauth.Config{Provider: "microsoft", ClientID: "x"}, "oauth2.tenant"},
		{oauth.Config{Provider: "yahoo", ClientID: "x"}, "oauth2.provider"},
		{oauth.Config{Provider: "google"}, "oauth2.client_id"},
		{oauth.Config{Provider: "generic", ClientID: "x", TokenURL: "http://auth.example/token", Scopes: []string{"s"}}, "oauth2.token_url"},
		{oauth.Config{Provider: "google", ClientID: "x", Grant: "client_credentials"}, "oauth2.client_secret"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
	src, err := oauth.NewSource(oauth.Config{Provider: "microsoft", Tenant: "contoso.onmicrosoft.com", ClientID: "x"}, &memStore{}, mustSealer(t), oauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := src.Config()
	if c.TokenURL != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" ||
		strings.Join(c.Scopes, " ") != "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access" {
		t.Errorf("microsoft defaults: %+v", c)
	}
	if _, err := oauth.NewSealer("short"); err == nil || !strings.Contains(err.Error(), "oauth2.encryption_key") {
		t.Errorf("short key: %v", err)
	}
}

func mustSealer(t *testing.T) *oauth.Sealer {
	s, err := oauth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Google's app-only access: a service account's signed assertion for the
// mailbox (domain-wide delegation); without delegation it is refused.
func TestServiceAccount(t *testing.T) {
	srv := startServer(t, oauthtest.Options{})
	key, err := srv.NewServiceAccount("complaintd@project.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth.Config{Provider: oauth.ProviderGeneric, TokenURL: srv.TokenURL(), Grant: oauth.GrantServiceAccount,
		ServiceAccountKey: key, Subject: "klachten@vlinder.example", Scopes: []string{"https://mail.google.com/"}}
	src, err := oauth.NewSource(cfg, nil, nil, oauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(t.Context()); !errors.Is(err, oauth.ErrRevoked) || !strings.Contains(err.Error(), "no domain-wide delegation") {
		t.Fatalf("without delegation: %v", err)
	}
	srv.DelegateTo("klachten@vlinder.example")
	if tok, err := src.Token(t.Context()); err != nil || !srv.Valid(tok) {
		t.Fatalf("with delegation: %v", err)
	}
	cfg.ServiceAccountKey = []byte(`{"type":"authorized_user"}`)
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "oauth2.service_account_file") {
		t.Errorf("a user key accepted as a service account: %v", err)
	}
}

// A refresh token the server says expires within 14 days is warned about.
func TestRefreshTokenExpiryWarning(t *testing.T) {
	for _, tc := range []struct {
		life time.Duration
		warn bool
	}{{10 * 24 * time.Hour, true}, {90 * 24 * time.Hour, false}} {
		srv := startServer(t, oauthtest.Options{RefreshLifetime: tc.life})
		sealer := mustSealer(t)
		store := &memStore{sealed: sealer.Seal([]byte(srv.IssueRefreshToken()), "complaintd oauth2 refresh token")}
		var logs bytes.Buffer
		src, err := oauth.NewSource(genericConfig(srv, oauth.GrantDeviceCode), store, sealer,
			oauth.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
		exp := src.Status().RefreshExpiry
		if d := time.Until(exp) - tc.life; d > time.Minute || d < -time.Minute {
			t.Errorf("refresh expiry %v, want in %v", exp, tc.life)
		}
		if warned := strings.Contains(logs.String(), "level=WARN msg=\"oauth2: the refresh token expires soon"); warned != tc.warn {
			t.Errorf("life %v: warned %v, want %v:\n%s", tc.life, warned, tc.warn, logs.String())
		}
	}
}

// Microsoft's certificate credential: a signed client assertion instead of
// a secret; a certificate the server does not know is refused.
func TestClientCertificate(t *testing.T) {
	srv := startServer(t, oauthtest.Options{})
	certPEM, keyPEM, err := srv.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := oauth.LoadClientCertificate(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := genericConfig(srv, oauth.GrantClientCredentials)
	cfg.ClientSecret, cfg.Certificate = "", cert
	src, err := oauth.NewSource(cfg, nil, nil, oauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(t.Context()); err != nil || !srv.Valid(tok) {
		t.Fatalf("with a certificate: %v", err)
	}
	other := startServer(t, oauthtest.Options{}) // does not know the certificate
	cfg.TokenURL = other.TokenURL()
	src, _ = oauth.NewSource(cfg, nil, nil, oauth.Options{})
	if _, err := src.Token(t.Context()); !errors.Is(err, oauth.ErrRevoked) || !strings.Contains(err.Error(), "unknown certificate") {
		t.Errorf("unknown certificate: %v", err)
	}
	if _, err := oauth.LoadClientCertificate(certPEM, []byte("not a key")); err == nil || !strings.Contains(err.Error(), "oauth2.client_certificate_file") {
		t.Errorf("bad key: %v", err)
	}
}
