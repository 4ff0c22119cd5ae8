// Package oauthtest is an OAuth2 authorization server for tests, on
// 127.0.0.1: the token endpoint (client_credentials, refresh_token and
// device_code grants, RFC 6749 and RFC 8628), the device authorization
// endpoint, and token introspection (RFC 7662) as Dovecot's oauth2 passdb
// uses it. Access tokens live as long as Options.Lifetime.
package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure the server.
type Options struct {
	ClientID, ClientSecret string        // defaults "complaintd", "client-secret"
	Username               string        // whose tokens these are; default "klachten"
	Lifetime               time.Duration // of access tokens; default 1h
	// Rotate issues a new refresh token with every refresh and retires the
	// old one, as Microsoft does.
	Rotate bool
	// RefreshLifetime, when set, is announced as refresh_token_expires_in.
	RefreshLifetime time.Duration
}

// Server is a running authorization server.
type Server struct {
	opts Options
	srv  *http.Server
	ln   net.Listener

	mu       sync.Mutex
	access   map[string]time.Time // token → expiry
	refresh  map[string]bool      // valid refresh tokens
	devices  map[string]bool      // device_code → approved
	accounts map[string]*rsa.PublicKey
	subjects []string // delegated mailboxes of the service accounts
	issued   int
	refused  int
	inspects int
}

// Start listens on 127.0.0.1; Close stops it.
func Start(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		opts.ClientID = "complaintd"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "client-secret"
	}
	if opts.Username == "" {
		opts.Username = "klachten"
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = time.Hour
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, ln: ln, access: map[string]time.Time{}, refresh: map[string]bool{}, devices: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /devicecode", s.deviceCode)
	mux.HandleFunc("POST /introspect", s.introspect)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the server's base, http://127.0.0.1:port.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// TokenURL, DeviceAuthURL and IntrospectionURL are the endpoints.
func (s *Server) TokenURL() string         { return s.URL() + "/token" }
func (s *Server) DeviceAuthURL() string    { return s.URL() + "/devicecode" }
func (s *Server) IntrospectionURL() string { return s.URL() + "/introspect" }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Approve signs in every pending device code, as the user would in a browser.
func (s *Server) Approve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for code := range s.devices {
		s.devices[code] = true
	}
}

// Pending reports whether a device code waits for approval.
func (s *Server) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ok := range s.devices {
		if !ok {
			return true
		}
	}
	return false
}

// RevokeAll revokes every refresh token and access token, as an
// administrator revoking the sessions of the mailbox's user would.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
	clear(s.access)
}

// Issued is how many access tokens were handed out.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Valid reports whether an access token is known and unexpired.
func (s *Server) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[token]
	return ok && time.Now().Before(exp)
}

// IssueRefreshToken makes a refresh token as a finished sign-in would.
func (s *Server) IssueRefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := "rt-" + random()
	s.refresh[rt] = true
	return rt
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	jwtBearer := r.PostForm.Get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer"
	if id != s.opts.ClientID && !jwtBearer {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	refresh := ""
	switch r.PostForm.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if err := s.checkAssertion(r.PostForm.Get("assertion")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
	case "client_credentials":
		if a := r.PostForm.Get("client_assertion"); a != "" {
			if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
				oauthError(w, http.StatusBadRequest, "invalid_request", "client_assertion_type")
				return
			}
			if err := s.checkClientAssertion(a); err != nil {
				oauthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
				return
			}
			break
		}
		if secret != s.opts.ClientSecret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "wrong client secret")
			return
		}
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !s.refresh[rt] {
			s.refused++
			oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70008: The refresh token has expired or was revoked.")
			return
		}
		refresh = rt
		if s.opts.Rotate {
			delete(s.refresh, rt)
			refresh = "rt-" + random()
			s.refresh[refresh] = true
		}
	case "urn:ietf:params:oauth:grant-type:device_code":
		approved, known := s.devices[r.PostForm.Get("device_code")]
		switch {
		case !known:
			oauthError(w, http.StatusBadRequest, "expired_token", "unknown device code")
			return
		case !approved:
			oauthError(w, http.StatusBadRequest, "authorization_pending", "waiting for the user")
			return
		}
		delete(s.devices, r.PostForm.Get("device_code"))
		refresh = "rt-" + random()
		s.refresh[refresh] = true
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", r.PostForm.Get("grant_type"))
		return
	}
	at := "at-" + random()
	s.access[at] = time.Now().Add(s.opts.Lifetime)
	s.issued++
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.opts.Lifetime.Seconds()),
		"scope": r.PostForm.Get("scope")}
	if refresh != "" {
		resp["refresh_token"] = refresh
		if s.opts.RefreshLifetime > 0 {
			resp["refresh_token_expires_in"] = int(s.opts.RefreshLifetime.Seconds())
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != s.opts.ClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	code := "dc-" + random()
	s.mu.Lock()
	s.devices[code] = false
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": code, "user_code": "ABCD-EFGH", "verification_uri": s.URL() + "/device",
		"expires_in": 900, "interval": 1,
	})
}

// introspect answers RFC 7662 for Dovecot: active, username and exp.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" { // Dovecot's introspection_mode = auth sends it as a bearer header
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	s.mu.Lock()
	s.inspects++
	exp, ok := s.access[tok]
	s.mu.Unlock()
	if !ok || time.Now().After(exp) {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "username": s.opts.Username, "exp": exp.Unix()})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
