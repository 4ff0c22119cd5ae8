package mailtest

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configures StartSMTP.
type SMTPOptions struct {
	TLS                string // "none" (default), "implicit", "starttls"
	Username, Password string // when set, AUTH PLAIN is required before MAIL
	// TokenValid, when set with Username, offers AUTH XOAUTH2 and accepts
	// the bearer tokens it approves (e.g. oauthtest.Server.Valid).
	TokenValid func(token string) bool
	Logger     *slog.Logger
	// CountOnly keeps envelopes but drops message bytes (Raw is nil), so a
	// benchmark measures the sender's memory, not the capture's.
	CountOnly bool
}

// Captured is one message the server accepted.
type Captured struct {
	From string
	To   []string
	Raw  []byte    // exactly what the client sent in DATA, dot-stuffing undone
	At   time.Time // when the server accepted it (answered DATA), for latency benchmarks
}

// SMTPServer is a go-smtp server on 127.0.0.1 that keeps every accepted
// message in memory.
type SMTPServer struct {
	opts  SMTPOptions
	log   *slog.Logger
	pki   *PKI
	srv   *smtp.Server
	ln    net.Listener
	serve chan struct{}

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	msgs     []Captured
	changed  chan struct{} // closed and replaced whenever msgs grows
	sessions int
	refuseN  int
	refuse   smtp.SMTPError
	rcptRefs map[string]smtp.SMTPError
	envelope []string      // MAIL and RCPT command lines as sent, see EnvelopeCommands
	hangRcpt string        // see HangAfterData
	hang     chan struct{} // closed by Close: hung transactions end
}

// StartSMTP starts the server. For the TLS modes a CA and a server
// certificate for 127.0.0.1/localhost are generated in memory.
func StartSMTP(opts SMTPOptions) (*SMTPServer, error) {
	mode, err := checkTLSMode(opts.TLS)
	if err != nil {
		return nil, err
	}
	opts.TLS = mode
	if (opts.Username == "") != (opts.Password == "") {
		return nil, errors.New("mailtest: SMTP Username and Password must be set together")
	}
	s := &SMTPServer{
		opts:     opts,
		log:      loggerOrDiscard(opts.Logger).With("component", "mailtest-smtp"),
		changed:  make(chan struct{}),
		conns:    make(map[net.Conn]struct{}),
		rcptRefs: make(map[string]smtp.SMTPError),
		hang:     make(chan struct{}),
	}
	if mode != tlsNone {
		if s.pki, err = NewPKI("smtp", 365*24*time.Hour); err != nil {
			return nil, err
		}
	}

	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "mailtest.localhost"
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.MaxRecipients = 100
	s.srv.ErrorLog = printfLogger{s.log}
	// Plaintext auth is only ever offered on loopback, by this test server.
	s.srv.AllowInsecureAuth = mode == tlsNone

	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailtest: listen: %w", err)
	}
	var ln net.Listener = &smtpListener{Listener: tcp, srv: s}
	switch mode {
	case tlsImplicit:
		ln = tls.NewListener(ln, s.pki.Server)
	case tlsStartTLS:
		s.srv.TLSConfig = s.pki.Server
	}
	s.ln = ln
	s.serve = make(chan struct{})
	go func() {
		defer close(s.serve)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			s.log.Error("smtp serve", "err", err)
		}
	}()
	return s, nil
}

// Addr is the host:port clients connect to.
func (s *SMTPServer) Addr() string { return s.ln.Addr().String() }

// RootCAs trusts the server certificate; nil for TLS "none".
func (s *SMTPServer) RootCAs() *x509.CertPool {
	if s.pki == nil {
		return nil
	}
	return s.pki.Roots
}

// Messages returns a snapshot of the accepted messages in arrival order.
func (s *SMTPServer) Messages() []Captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Wait blocks until at least n messages were accepted or ctx ends, and
// returns the snapshot.
func (s *SMTPServer) Wait(ctx context.Context, n int) ([]Captured, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := slices.Clone(s.msgs)
			s.mu.Unlock()
			return out, nil
		}
		changed := s.changed
		have := len(s.msgs)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("mailtest: waiting for %d message(s), have %d: %w", n, have, ctx.Err())
		}
	}
}

// EnvelopeCommands returns the MAIL and RCPT command lines clients sent, verbatim
// (without CRLF), in order. go-smtp accepts a bare address where RFC 5321
// 4.1.2 requires angle brackets, so tests check the syntax here. Only
// plaintext sessions (TLS "none") are seen: TLS hides the lines from the
// listener.
func (s *SMTPServer) EnvelopeCommands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.envelope)
}

// Sessions is the number of SMTP connections accepted so far, to observe
// connection reuse.
func (s *SMTPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Refuse makes the server answer the final dot of the next n DATA commands
// with code and text instead of 250, after reading the whole message; then it
// accepts again. Refused messages are not captured. A 4xx code is a
// temporary failure, 5xx a permanent one (RFC 5321 4.2.1).
func (s *SMTPServer) Refuse(n int, code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseN = n
	s.refuse = smtpReply(code, text)
}

// smtpReply builds a reply; an enhanced status code at the start of text
// ("5.1.1 No such user", RFC 3463) is used as such, else X.0.0 is sent.
func smtpReply(code int, text string) smtp.SMTPError {
	e := smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: text}
	if head, rest, ok := strings.Cut(text, " "); ok {
		var c smtp.EnhancedCode
		if n, err := fmt.Sscanf(head, "%d.%d.%d", &c[0], &c[1], &c[2]); err == nil && n == 3 && c[0] == code/100 {
			e.EnhancedCode, e.Message = c, rest
		}
	}
	return e
}

// RefuseRecipient makes every RCPT TO for addr fail with code and text until
// it is called again with code 0.
func (s *SMTPServer) RefuseRecipient(addr string, code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(addr)
	if code == 0 {
		delete(s.rcptRefs, key)
		return
	}
	s.rcptRefs[key] = smtpReply(code, text)
}

// DropConnections closes every client connection at once, as a restart or a
// network failure would, and returns how many there were.
func (s *SMTPServer) DropConnections() int {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return len(conns)
}

// HangAfterData makes the server read every message for rcpt to its final
// dot and then never answer (until Close): a server stalled in the middle
// of one transaction. "" ends it for later messages.
func (s *SMTPServer) HangAfterData(rcpt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangRcpt = strings.ToLower(rcpt)
}

// Close stops the server and closes all connections.
func (s *SMTPServer) Close() error {
	s.mu.Lock()
	select {
	case <-s.hang:
	default:
		close(s.hang)
	}
	s.mu.Unlock()
	err := s.srv.Close()
	// go-smtp closes only listeners Serve has registered; one that Serve
	// has not reached yet would block it in Accept forever.
	_ = s.ln.Close()
	<-s.serve
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *SMTPServer) newSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	return &smtpSession{srv: s, authed: s.opts.Username == ""}, nil
}

// smtpSession is one SMTP connection's transaction state.
type smtpSession struct {
	srv    *SMTPServer
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.srv.opts.Username == "" {
		return nil
	}
	if ss.srv.opts.TokenValid != nil {
		return []string{sasl.Plain, "XOAUTH2"}
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech == "XOAUTH2" && ss.srv.opts.TokenValid != nil {
		return &xoauth2Server{fail: smtp.ErrAuthFailed, login: func(user, token string) error {
			if user != ss.srv.opts.Username || !ss.srv.opts.TokenValid(token) {
				return smtp.ErrAuthFailed
			}
			ss.authed = true
			return nil
		}}, nil
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		o := ss.srv.opts
		if (identity != "" && identity != username) || username != o.Username ||
			subtle.ConstantTimeCompare([]byte(password), []byte(o.Password)) != 1 {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.srv.mu.Lock()
	refusal, refused := ss.srv.rcptRefs[strings.ToLower(to)]
	ss.srv.mu.Unlock()
	if refused {
		return &refusal
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	s := ss.srv
	var raw []byte
	var err error
	if s.opts.CountOnly {
		_, err = io.Copy(io.Discard, r)
	} else {
		raw, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.hangRcpt != "" && slices.ContainsFunc(ss.to, func(r string) bool { return strings.EqualFold(r, s.hangRcpt) }) {
		hang := s.hang
		s.mu.Unlock()
		<-hang
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "server shutting down"}
	}
	defer s.mu.Unlock()
	if s.refuseN > 0 {
		s.refuseN--
		refusal := s.refuse
		return &refusal
	}
	s.msgs = append(s.msgs, Captured{From: ss.from, To: slices.Clone(ss.to), Raw: raw, At: time.Now()})
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

func (ss *smtpSession) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *smtpSession) Logout() error { return nil }

// smtpListener tracks client connections for DropConnections.
type smtpListener struct {
	net.Listener
	srv *SMTPServer
}

func (l *smtpListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &smtpConn{Conn: c, srv: l.srv}
	l.srv.mu.Lock()
	l.srv.conns[tc] = struct{}{}
	l.srv.mu.Unlock()
	return tc, nil
}

type smtpConn struct {
	net.Conn
	srv  *SMTPServer
	once sync.Once

	// Command-line scanner for EnvelopeCommands; only Read touches these.
	line   []byte
	inData bool
}

func (c *smtpConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.scan(p[:n])
	return n, err
}

// scan records MAIL and RCPT lines, skipping the message text between DATA
// and the lone dot that ends it.
func (c *smtpConn) scan(b []byte) {
	for _, ch := range b {
		if ch != '\n' {
			if len(c.line) < 1024 {
				c.line = append(c.line, ch)
			}
			continue
		}
		line := strings.TrimSuffix(string(c.line), "\r")
		c.line = c.line[:0]
		upper := strings.ToUpper(line)
		switch {
		case c.inData:
			c.inData = line != "."
		case upper == "DATA":
			c.inData = true
		case strings.HasPrefix(upper, "MAIL ") || strings.HasPrefix(upper, "RCPT "):
			c.srv.mu.Lock()
			c.srv.envelope = append(c.srv.envelope, line)
			c.srv.mu.Unlock()
		}
	}
}

func (c *smtpConn) Close() error {
	c.once.Do(func() {
		c.srv.mu.Lock()
		delete(c.srv.conns, c)
		c.srv.mu.Unlock()
	})
	return c.Conn.Close()
}
