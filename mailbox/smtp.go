package mailbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// smtpMaxIdle is how long a kept connection may sit unused before it is
// checked with NOOP: servers drop idle clients after a few minutes (RFC 5321
// 4.5.3.2.7 allows 5), and we would rather find out before MAIL FROM.
const smtpMaxIdle = 30 * time.Second

// SMTPConfig describes the submission server the outbox sends through.
type SMTPConfig struct {
	Addr          string // host:port
	TLS           string // "implicit", "starttls", "none"
	AllowInsecure bool   // "none" is refused unless Addr is a loopback address or AllowInsecure
	RootCAs       *x509.CertPool

	Username, Password string // AUTH (PLAIN, else LOGIN) when Username != ""
	// Auth "xoauth2" authenticates with SASL XOAUTH2 and a bearer token from
	// Tokens, asked for at every connection (Microsoft 365, Google).
	// Empty or "password": PLAIN/LOGIN with Password.
	Auth   string
	Tokens TokenSource

	HELO    string        // the name we greet with: a host name, required
	Timeout time.Duration // dial timeout and longest silence per exchange

	// Connections is how many messages may be in transaction at once, each
	// on a connection of its own (1 to 20): a server that stalls on one
	// message holds up only that one.
	Connections int
}

// Every field is taken as given: cmd/complaintd owns the defaults, and a
// zero here is an error, never "use the default".

// maxSMTPConnections bounds SMTPConfig.Connections: submission servers
// limit connections per client (Postfix smtpd_client_connection_count_limit,
// 50 by default), and a daemon sends a few mails a minute.
const maxSMTPConnections = 20

// SMTPSender delivers pre-rendered messages. It keeps up to
// SMTPConfig.Connections connections open and reuses them; it is safe for
// concurrent use, and that many Sends run at once, one per connection.
type SMTPSender struct {
	cfg  SMTPConfig
	host string
	port int
	log  *slog.Logger

	// free admits as many Sends as there are slots; idle holds the slots
	// not in use, the most recently used last, so that a connection kept
	// open is reused before another is opened.
	free chan struct{}

	// wrapConn, set only by tests, wraps each new TCP connection (below
	// TLS), to count the client's writes or hide an extension.
	wrapConn func(net.Conn) net.Conn

	mu     sync.Mutex
	idle   []*smtpConn
	closed bool
}

// smtpConn is one slot of the pool: a kept connection, or none yet.
type smtpConn struct {
	client   *smtp.Client // nil when not connected
	lastUsed time.Time

	// What the server offered at EHLO, read once per connection:
	// pipelining (RFC 2920) and the parameters of MAIL FROM (mailParams).
	pipelining bool
	mailParams string

	// buf holds the dot-stuffed message on its way out; kept between
	// Sends so that a mail costs no allocation for it (bounded by
	// dataChunk, see writeData).
	buf []byte

	// active is the connection in use, so that a cancelled context can
	// close it while its Send is blocked on it.
	active atomic.Pointer[deadlineConn]
}

// NewSMTPSender validates cfg, taken as given (errors wrap ErrInvalidConfig
// and name the field). It does not connect. log may be nil.
func NewSMTPSender(cfg SMTPConfig, log *slog.Logger) (*SMTPSender, error) {
	host, err := checkTransport("SMTPConfig", cfg.Addr, cfg.TLS, cfg.AllowInsecure)
	if err != nil {
		return nil, err
	}
	_, portStr, _ := net.SplitHostPort(cfg.Addr)
	port, _ := strconv.Atoi(portStr)
	switch cfg.Auth {
	case "", AuthPassword:
		if cfg.Username != "" && cfg.Password == "" {
			return nil, configError("SMTPConfig.Password", "is required when Username is set")
		}
	case AuthXOAuth2:
		if cfg.Username == "" || cfg.Tokens == nil {
			return nil, configError("SMTPConfig.Tokens", "xoauth2 needs Username and Tokens")
		}
	default:
		return nil, configError("SMTPConfig.Auth", "%q is not %q or %q", cfg.Auth, AuthPassword, AuthXOAuth2)
	}
	if cfg.Timeout <= 0 {
		return nil, configError("SMTPConfig.Timeout", "%v is not positive", cfg.Timeout)
	}
	if cfg.Connections < 1 || cfg.Connections > maxSMTPConnections {
		return nil, configError("SMTPConfig.Connections", "%d is not between 1 and %d", cfg.Connections, maxSMTPConnections)
	}
	if cfg.HELO == "" || strings.ContainsAny(cfg.HELO, " \t\r\n") {
		return nil, configError("SMTPConfig.HELO", "%q is not a host name", cfg.HELO)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "smtp", "addr", cfg.Addr)
	if cfg.TLS == TLSNone && !IsLoopbackHost(host) {
		log.Warn("smtp without TLS to a non-loopback address (AllowInsecure): credentials and mail cross the network in the clear")
	}
	s := &SMTPSender{cfg: cfg, host: host, port: port, log: log, free: make(chan struct{}, cfg.Connections)}
	for range cfg.Connections {
		s.idle = append(s.idle, &smtpConn{})
	}
	return s, nil
}

// take waits for a free slot and returns the most recently used one.
func (s *SMTPSender) take(ctx context.Context) (*smtpConn, error) {
	select {
	case s.free <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.idle[len(s.idle)-1]
	s.idle = s.idle[:len(s.idle)-1]
	return sc, nil
}

// put gives a slot back.
func (s *SMTPSender) put(sc *smtpConn) {
	s.mu.Lock()
	s.idle = append(s.idle, sc)
	s.mu.Unlock()
	<-s.free
}

// Connections is how many Sends run at once (SMTPConfig.Connections); the
// outbox sends that many messages in parallel.
func (s *SMTPSender) Connections() int { return s.cfg.Connections }

func (s *SMTPSender) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Send delivers one message exactly as given: raw goes to DATA unchanged
// apart from the transparency dot-stuffing of RFC 5321 4.5.2, which the
// server undoes (lines must end in CRLF; a bare LF is sent as CRLF, and a
// message not ending in CRLF gets one). All recipients must be accepted or
// nothing is sent. The envelope is one write when the server offers
// PIPELINING. Errors are *SMTPError.
func (s *SMTPSender) Send(ctx context.Context, from string, to []string, raw []byte) error {
	if err := checkEnvelope(from, to, raw); err != nil {
		return err
	}
	sc, err := s.take(ctx)
	if err != nil {
		return smtpFailure("send", err)
	}
	defer s.put(sc)
	if s.isClosed() {
		return &SMTPError{Op: "send", Err: errors.New("sender is closed"), temporary: true}
	}
	if err := ctx.Err(); err != nil {
		return smtpFailure("send", err)
	}
	stop := context.AfterFunc(ctx, sc.abort)
	defer stop()

	reused := sc.client != nil
	if err := s.ready(ctx, sc); err != nil {
		return err
	}
	err = sc.transaction(from, to, raw)
	var se *SMTPError
	if err != nil && reused && errors.As(err, &se) && se.Op == "MAIL FROM" && se.Code == 0 {
		// The kept connection died while idle: not even MAIL FROM was
		// answered, so no message went out on it, and a new connection
		// may carry this one.
		s.log.Debug("smtp kept connection gone; reconnecting", "err", err)
		sc.drop()
		if err = s.ready(ctx, sc); err != nil {
			return err
		}
		err = sc.transaction(from, to, raw)
	}
	if err != nil {
		sc.recover(ctx, err)
		return err
	}
	sc.lastUsed = time.Now()
	s.log.Debug("smtp message sent", "from", from, "rcpts", len(to), "bytes", len(raw))
	return nil
}

func checkEnvelope(from string, to []string, raw []byte) error {
	bad := func(a string) bool { return !pathable(a) }
	switch {
	case from == "":
		// MAIL FROM:<> is for delivery status notifications only (RFC 5321
		// 4.5.5); our mail always names a sender that can receive bounces.
		return smtpPermanent("send", errors.New("empty sender: our mail never uses the null reverse-path"))
	case bad(from):
		return smtpPermanent("send", fmt.Errorf("invalid sender %q", from))
	case len(to) == 0:
		return smtpPermanent("send", errors.New("no recipients"))
	case len(raw) == 0:
		return smtpPermanent("send", errors.New("empty message"))
	}
	for _, r := range to {
		if r == "" || bad(r) {
			// The address itself is unusable: no server will ever take it.
			e := smtpPermanent("send", fmt.Errorf("invalid recipient %q", r))
			e.recipientFault = true
			return e
		}
	}
	return nil
}

// pathable reports whether addr can be written as an RFC 5321 path between
// angle brackets: no line breaks or brackets (they would end the command or
// the path), and blanks only inside a quoted local part ("jan de
// vries"@example.nl, RFC 5321 4.1.2 Quoted-string).
func pathable(addr string) bool {
	if strings.ContainsAny(addr, "\r\n<>") {
		return false
	}
	local, domain := addr, ""
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local, domain = addr[:i], addr[i+1:]
	}
	quoted := len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"'
	return !strings.ContainsAny(domain, " \t") && (quoted || !strings.ContainsAny(local, " \t"))
}

// smtpPath writes an address as the Reverse-path or Forward-path of RFC 5321
// 4.1.2: in angle brackets. go-mail's low-level client writes its argument
// verbatim ("MAIL FROM:%s"), and strict servers (Postfix with
// strict_rfc821_envelopes, Mailpit, Gmail) refuse a bare address with 501.
// checkEnvelope has already refused addresses containing brackets.
func smtpPath(addr string) string { return "<" + addr + ">" }

// ready returns a connection in a fresh transaction state: the kept one
// (checked with NOOP when it sat idle), or a new one. A kept connection is
// always fresh: a completed DATA ends the mail transaction (RFC 5321
// 4.1.1.4), and a refusal is followed by RSET (see recover), so no RSET
// round trip is spent per message.
func (s *SMTPSender) ready(ctx context.Context, sc *smtpConn) error {
	if c := sc.client; c != nil {
		var err error
		if time.Since(sc.lastUsed) > smtpMaxIdle {
			err = c.Noop()
		}
		if err == nil {
			return nil
		}
		s.log.Debug("smtp kept connection unusable; reconnecting", "err", err)
		sc.drop()
	}
	c, err := s.dial(ctx, sc.active.Store)
	if err != nil {
		sc.active.Store(nil)
		return err
	}
	sc.client, sc.lastUsed = c, time.Now()
	sc.pipelining, _ = c.Extension("PIPELINING")
	sc.mailParams = mailParams(c)
	return nil
}

// recover leaves the kept connection usable after a failed transaction: a
// refusal is followed by RSET; anything else (or a failed RSET) drops it.
func (sc *smtpConn) recover(ctx context.Context, err error) {
	var se *SMTPError
	if ctx.Err() == nil && errors.As(err, &se) && se.Code != 0 && sc.client != nil {
		if rerr := sc.client.Reset(); rerr == nil {
			sc.lastUsed = time.Now()
			return
		}
	}
	sc.drop()
}

// drop closes the kept connection without QUIT.
func (sc *smtpConn) drop() {
	if sc.client != nil {
		_ = sc.client.Close()
		sc.client = nil
	}
	if c := sc.active.Swap(nil); c != nil {
		_ = c.Close()
	}
}

// abort runs when a Send's context ends: closing the connection fails the
// exchange in progress at once.
func (sc *smtpConn) abort() {
	if c := sc.active.Load(); c != nil {
		_ = c.Close()
	}
}

// dial connects, secures, greets (EHLO) and authenticates through go-mail.
// register is told the new connection at once, so that the caller's context
// can close it.
func (s *SMTPSender) dial(ctx context.Context, register func(*deadlineConn)) (*smtp.Client, error) {
	tlsCfg := newTLSConfig(s.host, s.cfg.RootCAs)
	var conn *deadlineConn
	sendCtx := ctx
	dialFn := func(ctx context.Context, _, addr string) (net.Conn, error) {
		c, err := dialTCP(ctx, addr, s.cfg.Timeout)
		if err != nil {
			return nil, err
		}
		conn = c
		register(c)
		var nc net.Conn = c
		if s.wrapConn != nil {
			nc = s.wrapConn(c)
		}
		// A context that ended before the connection was registered found
		// nothing to close (the caller's abort ran too early): without this
		// the greeting would be awaited for the whole timeout.
		if err := sendCtx.Err(); err != nil {
			_ = c.Close()
			return nil, err
		}
		if s.cfg.TLS != TLSImplicit {
			return nc, nil
		}
		tc := tls.Client(nc, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		return tc, nil
	}
	opts := []mail.Option{
		mail.WithPort(s.port),
		mail.WithTimeout(s.cfg.Timeout),
		mail.WithHELO(s.cfg.HELO),
		mail.WithTLSConfig(tlsCfg),
		mail.WithDialContextFunc(dialFn),
	}
	switch s.cfg.TLS {
	case TLSImplicit:
		// Our dialFn does the handshake; go-mail must not try STARTTLS.
		opts = append(opts, mail.WithSSL())
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	mc, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return nil, smtpPermanent("connect", err)
	}
	c, err := mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// go-mail leaves the connection open when EHLO or STARTTLS fails.
		if conn != nil {
			_ = conn.Close()
		}
		return nil, smtpFailure("connect", err)
	}
	if err := s.auth(ctx, c); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// auth authenticates with PLAIN, or LOGIN when PLAIN is not offered (RFC
// 4954). Plaintext auth is only reached on connections the configuration
// allowed to be plaintext.
func (s *SMTPSender) auth(ctx context.Context, c *smtp.Client) error {
	if s.cfg.Username == "" {
		return nil
	}
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return smtpPermanent("AUTH", errors.New("server offers no AUTH (RFC 4954) but a username is configured"))
	}
	allowPlaintext := s.cfg.TLS == TLSNone
	var a smtp.Auth
	switch offered := strings.Fields(strings.ToUpper(mechs)); {
	case s.cfg.Auth == AuthXOAuth2 && s.cfg.Tokens != nil:
		if !slices.Contains(offered, "XOAUTH2") {
			return smtpPermanent("AUTH", fmt.Errorf("server offers AUTH %s, not XOAUTH2", mechs))
		}
		tok, err := s.cfg.Tokens.Token(ctx)
		if err != nil {
			return smtpFailure("AUTH", fmt.Errorf("oauth2 token: %w", err)) // temporary: the token may come back
		}
		a = smtp.XOAuth2Auth(s.cfg.Username, tok)
	case slices.Contains(offered, "PLAIN"):
		a = smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host, allowPlaintext)
	case slices.Contains(offered, "LOGIN"):
		a = smtp.LoginAuth(s.cfg.Username, s.cfg.Password, s.host, allowPlaintext)
	default:
		return smtpPermanent("AUTH", fmt.Errorf("server offers AUTH %s, neither PLAIN nor LOGIN", mechs))
	}
	if err := c.Auth(a); err != nil {
		if s.cfg.Auth == AuthXOAuth2 && s.cfg.Tokens != nil {
			s.cfg.Tokens.Forget() // refused: the next attempt fetches a new token
		}
		var tp *textproto.Error
		if errors.As(err, &tp) {
			return smtpFailure("AUTH", err)
		}
		if errors.Is(err, smtp.ErrUnencrypted) || errors.Is(err, smtp.ErrWrongHostname) {
			return smtpPermanent("AUTH", err)
		}
		return smtpFailure("AUTH", err)
	}
	return nil
}

// Close makes further Sends fail, waits for the Sends under way (their
// timeouts bound them) and says QUIT on every kept connection.
func (s *SMTPSender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	slots := make([]*smtpConn, 0, s.cfg.Connections)
	for range s.cfg.Connections {
		sc, _ := s.take(context.Background())
		slots = append(slots, sc)
		if sc.client == nil {
			continue
		}
		if err := sc.client.Quit(); err != nil {
			errs = append(errs, smtpFailure("QUIT", err))
		}
		sc.drop()
	}
	for _, sc := range slots {
		s.put(sc)
	}
	return errors.Join(errs...)
}
