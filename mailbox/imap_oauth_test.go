package mailbox_test

import (
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/oauth"
	"github.com/complaintd/complaintd/oauth/oauthtest"
)

// A connected poller changes sessions when its OAuth2 token is renewed, so
// it runs for more than three token lifetimes without a session ever using
// an expired token, and without a restart.
func TestRunLogsInAgainWhenTheTokenIsRenewed(t *testing.T) {
	auth, err := oauthtest.Start(oauthtest.Options{Lifetime: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	var mu sync.Mutex
	accepted := map[string]bool{}
	srv := startIMAP(t, mailtest.IMAPOptions{TokenValid: func(tok string) bool {
		ok := auth.Valid(tok)
		if ok {
			mu.Lock()
			accepted[tok] = true
			mu.Unlock()
		}
		return ok
	}})
	src, err := oauth.NewSource(oauth.Config{Provider: oauth.ProviderGeneric, TokenURL: auth.TokenURL(), ClientID: "complaintd",
		ClientSecret: "client-secret", Grant: oauth.GrantClientCredentials, Scopes: []string{"mail"}, RenewBefore: time.Second}, nil, nil, oauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := imapConfig(srv, "none")
	cfg.Auth, cfg.Password, cfg.Tokens = mailbox.AuthXOAuth2, "", src
	cfg.PollInterval = 200 * time.Millisecond // the IDLE cap: how soon a renewal is noticed
	log, relogin := logSignal(t, "imap: the OAuth2 token was renewed; logging in again with the new one")
	rec := newRecorder(nil)
	p, err := mailbox.NewPoller(cfg, rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPoller(t, p)
	for i := range 4 {
		if i > 0 {
			awaitSignal(t, relogin, "a new login after the token was renewed")
		}
		if _, err := srv.Deliver("INBOX", testMessage(60+i), time.Time{}); err != nil {
			t.Fatal(err)
		}
		rec.next(t)
	}
	stop()
	mu.Lock()
	n := len(accepted)
	mu.Unlock()
	if n < 4 || auth.Issued() < 4 {
		t.Errorf("%d tokens accepted, %d issued: want a renewed one per lifetime", n, auth.Issued())
	}
	if h := p.Health(); h.LastError != nil {
		t.Errorf("a session failed on the way: %v", h.LastError)
	}
}
