package mailbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/oauth"
	"github.com/complaintd/complaintd/oauth/oauthtest"
)

// sealedStore keeps a sealed refresh token in memory.
type sealedStore struct {
	mu     sync.Mutex
	sealed []byte
}

func (s *sealedStore) LoadRefreshToken(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sealed, nil
}

func (s *sealedStore) SaveRefreshToken(_ context.Context, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sealed = b
	return nil
}

// Dovecot with its oauth2 passdb, validating every bearer token at the test
// authorization server's introspection endpoint: XOAUTH2 and OAUTHBEARER
// log in with a token from the source, a renewed one after the first
// expired, an expired token is refused, and a revoked grant is an error
// that says so.
func TestDovecotOAuth2(t *testing.T) {
	t.Parallel()
	auth, err := oauthtest.Start(oauthtest.Options{Username: "klachten", Lifetime: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	d := peers.StartDovecot(t, peers.DovecotOptions{OAuth2IntrospectionURL: auth.IntrospectionURL()})
	sealer, err := oauth.NewSealer("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	st := &sealedStore{sealed: sealer.Seal([]byte(auth.IssueRefreshToken()), "complaintd oauth2 refresh token")}
	src, err := oauth.NewSource(oauth.Config{Provider: oauth.ProviderGeneric, TokenURL: auth.TokenURL(), ClientID: "complaintd",
		Scopes: []string{"mail"}, RenewBefore: 500 * time.Millisecond}, st, sealer, oauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	poll := func(mech string, n int) error {
		cfg := d.IMAPConfig(mailbox.TLSNone)
		cfg.Auth, cfg.Password, cfg.Tokens = mech, "", src
		raw := testMessage(n)
		d.Append(t, "INBOX", raw, time.Time{})
		rec := newRecorder(nil)
		if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
			return err
		}
		if got := rec.all(); len(got) != 1 {
			t.Fatalf("%s: %d messages handed over, want 1", mech, len(got))
		}
		return nil
	}
	for i, mech := range []string{mailbox.AuthXOAuth2, mailbox.AuthOAuthBearer} {
		if err := poll(mech, 40+i); err != nil {
			t.Fatalf("%s with a token Dovecot validates: %v", mech, err)
		}
	}
	first, _ := src.Token(t.Context())
	deadline := time.Now().Add(failAfter)
	for auth.Valid(first) { // the condition is time passing: the token's life
		if time.Now().After(deadline) {
			t.Fatal("token did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The expired token itself is refused by Dovecot…
	stale := d.IMAPConfig(mailbox.TLSNone)
	stale.Auth, stale.Password = mailbox.AuthXOAuth2, first
	if err := newPoller(t, stale, newRecorder(nil).handle).PollOnce(t.Context()); !errors.Is(err, mailbox.ErrIMAPAuth) {
		t.Fatalf("expired token: %v, want ErrIMAPAuth", err)
	}
	// …and the source renews it for the next connection.
	if err := poll(mailbox.AuthXOAuth2, 42); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if auth.Issued() < 2 {
		t.Errorf("%d tokens issued, want a renewal", auth.Issued())
	}
	// Clock skew: our clock an hour behind keeps a token the server counts
	// as expired. Dovecot refuses it; the source forgets it and the next
	// login gets a fresh one.
	skewed, err := oauth.NewSource(oauth.Config{Provider: oauth.ProviderGeneric, TokenURL: auth.TokenURL(), ClientID: "complaintd",
		Scopes: []string{"mail"}, RenewBefore: 500 * time.Millisecond}, st, sealer,
		oauth.Options{Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	held, _ := skewed.Token(t.Context())
	for deadline := time.Now().Add(failAfter); auth.Valid(held); {
		if time.Now().After(deadline) {
			t.Fatal("token did not expire")
		}
		time.Sleep(50 * time.Millisecond)
	}
	sk := d.IMAPConfig(mailbox.TLSNone)
	sk.Auth, sk.Password, sk.Tokens = mailbox.AuthXOAuth2, "", skewed
	if err := newPoller(t, sk, newRecorder(nil).handle).PollOnce(t.Context()); !errors.Is(err, mailbox.ErrIMAPAuth) {
		t.Fatalf("a token expired by the server's clock: %v, want ErrIMAPAuth", err)
	}
	if err := newPoller(t, sk, newRecorder(nil).handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("after the refused token was forgotten: %v", err)
	}

	// Revoked: the login is refused, the refresh too, and the error says so.
	auth.RevokeAll()
	cfg := d.IMAPConfig(mailbox.TLSNone)
	cfg.Auth, cfg.Password, cfg.Tokens = mailbox.AuthXOAuth2, "", src
	p := newPoller(t, cfg, newRecorder(nil).handle)
	// The access token in hand (if still unexpired) is refused first; then
	// the refresh is.
	err = p.PollOnce(t.Context())
	if errors.Is(err, mailbox.ErrIMAPAuth) {
		err = p.PollOnce(t.Context())
	}
	if !errors.Is(err, oauth.ErrRevoked) {
		t.Fatalf("after revocation: %v, want oauth.ErrRevoked", err)
	}
}
