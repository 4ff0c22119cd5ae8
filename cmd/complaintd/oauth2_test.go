package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/oauth/oauthtest"
)

// syncBuffer is a bytes.Buffer safe for the daemon's log and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tokenLog records the distinct bearer tokens a mail server accepted.
type tokenLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (l *tokenLog) valid(auth *oauthtest.Server) func(string) bool {
	return func(tok string) bool {
		ok := auth.Valid(tok)
		if ok {
			l.mu.Lock()
			l.seen[tok] = true
			l.mu.Unlock()
		}
		return ok
	}
}

func (l *tokenLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// Microsoft 365 or Google as complaintd meets them, with the test's
// authorization server: the operator signs in once with `oauth login`; the
// daemon then runs for more than three access-token lifetimes on IMAP
// (XOAUTH2) and SMTP (XOAUTH2), renewing without a restart; a revoked
// refresh token makes readiness fail with a named reason and an ERROR line.
func TestOAuth2SignInRenewalAndRevocation(t *testing.T) {
	t.Parallel()
	auth, err := oauthtest.Start(oauthtest.Options{Username: "klachten", Lifetime: 2 * time.Second, Rotate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	imapTokens, smtpTokens := &tokenLog{seen: map[string]bool{}}, &tokenLog{seen: map[string]bool{}}
	imapSrv, err := mailtest.StartIMAP(mailtest.IMAPOptions{TokenValid: imapTokens.valid(auth), Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	smtpSrv, err := mailtest.StartSMTP(mailtest.SMTPOptions{TLS: "none", Username: "klachten@vlinder.example",
		Password: "not-used", TokenValid: smtpTokens.valid(auth), Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()

	cfg := demoConfig(t.TempDir(), imapSrv.Addr(), smtpSrv.Addr())
	cfg.IMAP.Auth, cfg.IMAP.Password = "oauth2", ""
	cfg.SMTP.Auth, cfg.SMTP.Username = "oauth2", "klachten@vlinder.example"
	cfg.OAuth2 = OAuth2Config{Provider: "generic", TokenURL: auth.TokenURL(), DeviceAuthURL: auth.DeviceAuthURL(),
		ClientID: "complaintd", Scopes: []string{"mail", "offline_access"}, RenewBefore: 500 * time.Millisecond}
	addr := freeAddr(t)
	cfg.HTTP.Addr = addr
	config := writeHarnessConfig(t, cfg)
	key := strings.Repeat("k", 40)
	env := func(k string) string {
		if k == "COMPLAINTD_OAUTH2_ENCRYPTION_KEY" {
			return key
		}
		return ""
	}

	// Before signing in, check says what to do.
	var out syncBuffer
	if err := dispatch(t.Context(), []string{"check", "-config", config}, &out, &out, env); err == nil ||
		!strings.Contains(out.String(), "oauth2: FAILED") {
		t.Errorf("check before sign-in: %v\n%s", err, out.String())
	}
	// The operator signs in: the code is printed, the user approves it.
	out = syncBuffer{}
	login := make(chan error, 1)
	go func() { login <- dispatch(t.Context(), []string{"oauth", "login", "-config", config}, &out, &out, env) }()
	eventually(t, "a device code", auth.Pending)
	auth.Approve()
	if err := <-login; err != nil || !strings.Contains(out.String(), "enter the code ABCD-EFGH") {
		t.Fatalf("oauth login: %v\n%s", err, out.String())
	}
	out = syncBuffer{}
	if err := dispatch(t.Context(), []string{"check", "-config", config}, &out, &out, env); err != nil ||
		!strings.Contains(out.String(), "oauth2: ok") || strings.Contains(out.String(), "rt-") || strings.Contains(out.String(), "at-") {
		t.Fatalf("check after sign-in: %v\n%s", err, out.String())
	}

	var logs syncBuffer
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = dispatch(ctx, []string{"run", "-config", config}, &logs, &logs, env) })
	defer func() { stop(); wg.Wait() }()
	base := "http://" + addr
	eventually(t, "ready", func() bool { code, _ := tryFetch(base + "/readyz"); return code == http.StatusOK })

	// Four complaints, each after the tokens of the one before expired and
	// the servers dropped the connections: more than three lifetimes.
	want := 0
	for i := range 4 {
		imapSrv.DropConnections()
		smtpSrv.DropConnections()
		if _, err := imapSrv.Deliver("INBOX", rawMail(mailOpts{from: "Ouder <ouder" + string(rune('a'+i)) + "@example.nl>",
			subject: "Klacht", body: "Het ging mis."}), time.Time{}); err != nil {
			t.Fatal(err)
		}
		want += 3 // the confirmation and two handler notifications
		wctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		if _, err := smtpSrv.Wait(wctx, want); err != nil {
			cancel()
			t.Fatalf("round %d: %d mails sent, want %d: %v\n%s", i, len(smtpSrv.Messages()), want, err, logs.String())
		}
		cancel()
		used := auth.Issued()
		eventually(t, "the access tokens to expire", func() bool { return expired(auth, imapTokens) && expired(auth, smtpTokens) })
		_ = used
	}
	if imapTokens.count() < 4 || smtpTokens.count() < 4 {
		t.Errorf("distinct tokens accepted: IMAP %d, SMTP %d; want a renewed one in each of 4 lifetimes", imapTokens.count(), smtpTokens.count())
	}
	if code, body := fetch(t, base+"/metrics"); code != 200 || !strings.Contains(body, "complaintd_oauth2_token_ok 1") {
		t.Errorf("metrics before revocation:\n%s", body)
	}

	// The administrator revokes the sessions: the next login fails, the
	// refresh is refused, and it is said once at ERROR and in /readyz.
	auth.RevokeAll()
	imapSrv.DropConnections()
	var body string
	eventually(t, "/readyz naming oauth2", func() bool {
		var code int
		code, body = fetch(t, base+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "oauth2: FAIL")
	})
	if !strings.Contains(body, "refused the grant (invalid_grant") {
		t.Errorf("/readyz after revocation:\n%s", body)
	}
	if n := strings.Count(logs.String(), "level=ERROR msg=\"oauth2: cannot get an access token"); n != 1 {
		t.Errorf("%d ERROR lines about the token, want 1:\n%s", n, logs.String())
	}
	if _, m := fetch(t, base+"/metrics"); !strings.Contains(m, "complaintd_oauth2_token_ok 0") {
		t.Errorf("metrics after revocation lack complaintd_oauth2_token_ok 0")
	}
}

// expired reports whether every token the IMAP server accepted so far has
// expired, so the next login needs a renewed one.
func expired(auth *oauthtest.Server, l *tokenLog) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for tok := range l.seen {
		if auth.Valid(tok) {
			return false
		}
	}
	return true
}

// Google's service account with domain-wide delegation: the key file is
// read, the mailbox (imap.username) is the subject; bad settings name keys.
func TestOAuth2ServiceAccountConfig(t *testing.T) {
	t.Parallel()
	auth, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	key, err := auth.NewServiceAccount("complaintd@project.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	auth.DelegateTo("klachten@vlinder.example")
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := demoConfig(t.TempDir(), "127.0.0.1:993", "127.0.0.1:587")
	cfg.IMAP.Auth, cfg.IMAP.Password, cfg.IMAP.Username = "oauth2", "", "klachten@vlinder.example"
	cfg.OAuth2 = OAuth2Config{Provider: "generic", TokenURL: auth.TokenURL(), Grant: "service_account",
		ServiceAccountFile: keyFile, Scopes: []string{"https://mail.google.com/"}}
	if err := cfg.validate(); err != nil {
		t.Fatalf("service account config: %v", err)
	}
	src, err := newTokenSource(cfg, &settingsTokenStore{}, testLog(t), options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(t.Context()); err != nil || !auth.Valid(tok) {
		t.Fatalf("token as the service account: %v", err)
	}
	cfg.OAuth2.ServiceAccountFile = filepath.Join(t.TempDir(), "missing.json")
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "oauth2.service_account_file") {
		t.Errorf("missing key file: %v", err)
	}
	cfg.OAuth2 = OAuth2Config{Provider: "microsoft", ClientID: "x"}
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "oauth2.tenant") || !strings.Contains(err.Error(), "oauth2.encryption_key") {
		t.Errorf("microsoft without tenant and key: %v", err)
	}
}

// Microsoft app-only with a certificate instead of a secret, from files.
func TestOAuth2ClientCertificateConfig(t *testing.T) {
	t.Parallel()
	auth, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	certPEM, keyPEM, err := auth.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := errors.Join(os.WriteFile(certFile, certPEM, 0o644), os.WriteFile(keyFile, keyPEM, 0o600)); err != nil {
		t.Fatal(err)
	}
	cfg := demoConfig(t.TempDir(), "127.0.0.1:993", "127.0.0.1:587")
	cfg.IMAP.Auth, cfg.IMAP.Password = "oauth2", ""
	cfg.OAuth2 = OAuth2Config{Provider: "generic", TokenURL: auth.TokenURL(), ClientID: "complaintd", Grant: "client_credentials",
		ClientCertificateFile: certFile, ClientKeyFile: keyFile, Scopes: []string{"https://outlook.office365.com/.default"}}
	if err := cfg.validate(); err != nil {
		t.Fatalf("certificate config: %v", err)
	}
	src, err := newTokenSource(cfg, &settingsTokenStore{}, testLog(t), options{})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(t.Context()); err != nil || !auth.Valid(tok) {
		t.Fatalf("token with the certificate: %v", err)
	}
	cfg.OAuth2.ClientKeyFile = ""
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "oauth2.client_certificate_file") {
		t.Errorf("certificate without key: %v", err)
	}
}
