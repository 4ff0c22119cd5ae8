package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// ErrIMAPAuth is wrapped when the server refuses the credentials (LOGIN or
// AUTHENTICATE answered NO): retrying with the same configuration is futile,
// `complaintd check` says so plainly.
var ErrIMAPAuth = errors.New("authentication refused by the server")

// TokenSource supplies OAuth2 bearer tokens that stay valid (renewed before
// they expire). *oauth.Source is one.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Forget drops the token in hand after the server refused it, so the
	// next login asks the authorization server for a new one.
	Forget()
}

// authenticate logs in with the configured method. The password or token is
// only ever handed to the library, never formatted into an error or log line.
// It returns the token it logged in with when Tokens supplied one.
func authenticate(ctx context.Context, c *imapclient.Client, cfg IMAPConfig) (token string, err error) {
	if cfg.Tokens == nil || cfg.Auth == AuthPassword {
		return "", authenticateWith(c, cfg)
	}
	tok, err := cfg.Tokens.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("oauth2 token: %w", err)
	}
	cfg.Password = tok
	err = authenticateWith(c, cfg)
	if errors.Is(err, ErrIMAPAuth) {
		cfg.Tokens.Forget()
	}
	return tok, err
}

// tokenRenewed reports whether the token source has moved on from the token
// s logged in with (it renews a margin before expiry): the session is then
// replaced, so no session outlives its token, as providers that end
// sessions at token expiry (Exchange Online) would otherwise do mid-round.
func (p *Poller) tokenRenewed(ctx context.Context, s *imapSession) bool {
	if p.cfg.Tokens == nil || s.token == "" {
		return false
	}
	tok, err := p.cfg.Tokens.Token(ctx)
	return err == nil && tok != s.token
}

func authenticateWith(c *imapclient.Client, cfg IMAPConfig) error {
	var err error
	switch cfg.Auth {
	case AuthPassword:
		if c.Caps().Has(imap.CapLoginDisabled) {
			return fmt.Errorf("server advertises LOGINDISABLED (RFC 9051 6.2.3): LOGIN is not allowed on this connection")
		}
		err = c.Login(cfg.Username, cfg.Password).Wait()
	case AuthXOAuth2:
		if !c.Caps().Has(imap.AuthCap("XOAUTH2")) {
			return fmt.Errorf("server does not advertise AUTH=XOAUTH2")
		}
		err = c.Authenticate(&xoauth2Client{user: cfg.Username, token: cfg.Password})
	case AuthOAuthBearer:
		if !c.Caps().Has(imap.AuthCap(sasl.OAuthBearer)) {
			return fmt.Errorf("server does not advertise AUTH=OAUTHBEARER")
		}
		host, portStr, _ := net.SplitHostPort(cfg.Addr)
		port, _ := strconv.Atoi(portStr)
		err = c.Authenticate(&oauthBearerClient{Client: sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: cfg.Username, Token: cfg.Password, Host: host, Port: port,
		})})
	default:
		return fmt.Errorf("unknown auth method %q", cfg.Auth)
	}
	if err == nil {
		return nil
	}
	var imapErr *imap.Error
	var bearerErr *sasl.OAuthBearerError
	if errors.As(err, &imapErr) || errors.As(err, &bearerErr) {
		return fmt.Errorf("%w: %w", ErrIMAPAuth, err)
	}
	return err
}

// xoauth2Client implements the XOAUTH2 SASL mechanism (Google/Microsoft),
// which go-sasl does not ship.
type xoauth2Client struct{ user, token string }

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON document) with an empty
// response, as the mechanism requires, so the server finishes with NO.
func (c *xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }

// oauthBearerClient wraps go-sasl's OAUTHBEARER client: on an error challenge
// that client returns an error at once and leaves the server waiting in the
// middle of AUTHENTICATE. RFC 7628 3.2.3 says the client answers with a
// single 0x01 so the server can finish with NO; we do that.
type oauthBearerClient struct{ sasl.Client }

func (c *oauthBearerClient) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }
