package mailtest

import (
	"crypto/subtle"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// imapSession is one connection's session: imapmemserver's UserSession once
// logged in, plus the SASL mechanisms the daemon may use. The password
// doubles as the OAuth2 bearer token for XOAUTH2 and OAUTHBEARER.
type imapSession struct {
	*imapmemserver.UserSession // nil until authenticated

	srv *IMAPServer
}

var (
	_ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)
	_ imapserver.SessionSASL      = (*imapSession)(nil)
)

func (s *imapSession) Login(username, password string) error {
	if !s.srv.credentialsOK(username, password) {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.srv.user)
	return nil
}

// loginToken logs in with an OAuth2 bearer token: checked by
// IMAPOptions.TokenValid when set, else compared with the password.
func (s *imapSession) loginToken(username, token string) error {
	if s.srv.opts.TokenValid == nil {
		return s.Login(username, token)
	}
	if username != s.srv.opts.Username || !s.srv.opts.TokenValid(token) {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.srv.user)
	return nil
}

func (s *imapSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

// Idle first writes the updates queued since the last command: imapserver
// only reports changes that happen after IDLE began, so mail delivered
// between the client's last command and IDLE would otherwise stay unannounced
// until the next change. Real servers (RFC 2177) report pending changes as
// IDLE starts.
func (s *imapSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.UserSession.Poll(w, true); err != nil {
		return err
	}
	return s.UserSession.Idle(w, stop)
}

func (s *imapSession) AuthenticateMechanisms() []string {
	return []string{sasl.Plain, "XOAUTH2", sasl.OAuthBearer}
}

func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return imapserver.ErrAuthFailed
			}
			return s.Login(username, password)
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{login: s.loginToken, fail: imapserver.ErrAuthFailed}, nil
	case sasl.OAuthBearer:
		return authFailedOnError{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if err := s.loginToken(o.Username, o.Token); err != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		})}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Unsupported SASL mechanism"}
}

func (srv *IMAPServer) credentialsOK(username, password string) bool {
	return username == srv.opts.Username &&
		subtle.ConstantTimeCompare([]byte(password), []byte(srv.opts.Password)) == 1
}

// xoauth2Server implements the server side of XOAUTH2: the client sends
// "user=U^Aauth=Bearer T^A^A"; on failure the server sends a JSON error as a
// challenge, the client answers with an empty line and gets NO.
type xoauth2Server struct {
	login  func(user, token string) error
	fail   error // the protocol's "authentication failed"
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, x.fail
	}
	if len(resp) == 0 {
		return []byte{}, false, nil // ask for the initial response
	}
	var user, token string
	for _, field := range strings.Split(string(resp), "\x01") {
		switch {
		case strings.HasPrefix(field, "user="):
			user = strings.TrimPrefix(field, "user=")
		case strings.HasPrefix(field, "auth=Bearer "):
			token = strings.TrimPrefix(field, "auth=Bearer ")
		}
	}
	if err := x.login(user, token); err != nil {
		x.failed = true
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	return nil, true, nil
}

// authFailedOnError turns go-sasl's OAUTHBEARER failure into the IMAP
// AUTHENTICATIONFAILED answer a real server gives.
type authFailedOnError struct{ sasl.Server }

func (a authFailedOnError) Next(resp []byte) ([]byte, bool, error) {
	challenge, done, err := a.Server.Next(resp)
	if err != nil {
		return nil, true, imapserver.ErrAuthFailed
	}
	return challenge, done, nil
}
