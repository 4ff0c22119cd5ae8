package mailbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// ErrIMAPTimeout is wrapped when the server stayed silent for longer than
// IMAPConfig.CommandTimeout while the poller was waiting for it.
var ErrIMAPTimeout = errors.New("server did not answer within the command timeout")

// imapSession is one authenticated IMAP connection.
type imapSession struct {
	cfg    IMAPConfig
	log    *slog.Logger
	conn   *deadlineConn
	client *imapclient.Client
	caps   imap.CapSet
	tls    string // human description of the transport, for Check

	// newMail receives a token when the server reports EXISTS outside a
	// SELECT: new mail arrived (RFC 9051 7.4.1). Buffered, never blocks the
	// client's reader goroutine.
	newMail chan struct{}

	stopAbort func() bool

	// token is the OAuth2 bearer token this session logged in with ("" for
	// a password), so Run can change sessions when the token is renewed.
	token string
}

// dialIMAP connects, secures, greets and authenticates. ctx cancellation at
// any later point closes the connection, which fails whatever command is in
// flight; call close when done.
func dialIMAP(ctx context.Context, cfg IMAPConfig, serverName string, log *slog.Logger) (*imapSession, error) {
	conn, err := dialTCP(ctx, cfg.Addr, cfg.CommandTimeout)
	if err != nil {
		return nil, fmt.Errorf("mailbox: imap connect %s: %w", cfg.Addr, err)
	}
	s := &imapSession{cfg: cfg, log: log, conn: conn, newMail: make(chan struct{}, 1)}
	s.stopAbort = context.AfterFunc(ctx, func() { _ = conn.Close() })

	opts := &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil && *d.NumMessages > 0 {
					select {
					case s.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	switch cfg.TLS {
	case TLSImplicit:
		// Like imapclient.DialTLS, but over our deadline-enforcing conn.
		tc := tls.Client(conn, newTLSConfig(serverName, cfg.RootCAs, "imap"))
		if err := tc.HandshakeContext(ctx); err != nil {
			s.close()
			return nil, s.wrap(ctx, "TLS handshake with "+cfg.Addr, err)
		}
		s.client = imapclient.New(tc, opts)
		s.tls = describeTLS("implicit TLS", tc.ConnectionState(), serverName)
	case TLSStartTLS:
		opts.TLSConfig = newTLSConfig(serverName, cfg.RootCAs)
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			s.close()
			return nil, s.wrap(ctx, "STARTTLS with "+cfg.Addr, err)
		}
		s.client = c
		s.tls = fmt.Sprintf("STARTTLS, certificate verified for %s", serverName)
	default:
		s.client = imapclient.New(conn, opts)
		s.tls = "no TLS (plaintext)"
	}

	if err := s.client.WaitGreeting(); err != nil {
		s.close()
		return nil, s.wrap(ctx, "greeting from "+cfg.Addr, err)
	}
	if s.client.Caps() == nil {
		s.close()
		return nil, s.wrap(ctx, "CAPABILITY", errors.New("no capability list from server"))
	}
	if s.token, err = authenticate(ctx, s.client, cfg); err != nil {
		s.close()
		return nil, s.wrap(ctx, "login as "+cfg.Username, err)
	}
	// LOGIN/AUTHENTICATE may change the capability list (RFC 9051 6.2.3).
	if s.caps = s.client.Caps(); s.caps == nil {
		s.close()
		return nil, s.wrap(ctx, "CAPABILITY", errors.New("no capability list from server"))
	}
	return s, nil
}

func describeTLS(mode string, st tls.ConnectionState, serverName string) string {
	return fmt.Sprintf("%s (%s), certificate verified for %s", mode, tls.VersionName(st.Version), serverName)
}

// wrap turns a library error into a mailbox error that says what we were
// doing, and marks timeouts and cancellation so callers can branch.
func (s *imapSession) wrap(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("mailbox: imap %s: %w", op, context.Cause(ctx))
	case s.conn.TimedOut():
		return fmt.Errorf("mailbox: imap %s: %w (%v)", op, ErrIMAPTimeout, err)
	default:
		return fmt.Errorf("mailbox: imap %s: %w", op, err)
	}
}

// waiting and working bracket the time spent waiting on the server: only
// then does CommandTimeout apply. Between them (handler running, sleeping)
// silence from the server is expected and harmless.
func (s *imapSession) waiting() { s.conn.SetReadTimeout(s.cfg.CommandTimeout) }
func (s *imapSession) working() { s.conn.SetReadTimeout(0) }

// closed reports whether the server or a failure already ended the connection.
func (s *imapSession) closed() bool {
	select {
	case <-s.client.Closed():
		return true
	default:
		return false
	}
}

// close drops the connection without LOGOUT.
func (s *imapSession) close() {
	s.stopAbort()
	if s.client != nil {
		_ = s.client.Close()
	} else {
		_ = s.conn.Close()
	}
}

// logout says goodbye politely (RFC 9051 6.1.3) and closes.
func (s *imapSession) logout() {
	if !s.closed() {
		s.waiting()
		if err := s.client.Logout().Wait(); err != nil {
			s.log.Debug("imap logout failed", "err", err)
		}
	}
	s.close()
}

// ensureMailboxes creates the folders messages are moved into, reporting
// which ones it had to create. ALREADYEXISTS is the normal case.
func (s *imapSession) ensureMailboxes(ctx context.Context, names ...string) (created []string, err error) {
	s.waiting()
	for _, name := range names {
		cerr := s.client.Create(name, nil).Wait()
		if cerr == nil {
			created = append(created, name)
			s.log.Info("imap mailbox created", "mailbox", name)
			continue
		}
		var imapErr *imap.Error
		if !errors.As(cerr, &imapErr) {
			return created, s.wrap(ctx, fmt.Sprintf("CREATE %q", name), cerr)
		}
		if imapErr.Code == imap.ResponseCodeAlreadyExists {
			continue
		}
		// Not every server sends the ALREADYEXISTS code (RFC 5530); ask.
		exists, lerr := s.mailboxExists(name)
		if lerr != nil {
			return created, s.wrap(ctx, fmt.Sprintf("LIST %q", name), lerr)
		}
		if !exists {
			return created, s.wrap(ctx, fmt.Sprintf("CREATE %q", name), fmt.Errorf("%w: %w", ErrMissingMailbox, cerr))
		}
	}
	return created, nil
}

func (s *imapSession) mailboxExists(name string) (bool, error) {
	list, err := s.client.List("", name, nil).Collect()
	if err != nil {
		return false, err
	}
	for _, l := range list {
		if l.Mailbox == name || (strings.EqualFold(name, "INBOX") && strings.EqualFold(l.Mailbox, "INBOX")) {
			return true, nil
		}
	}
	return false, nil
}

// selectMailbox selects the configured mailbox (RFC 9051 6.3.2).
func (s *imapSession) selectMailbox(ctx context.Context) (*imap.SelectData, error) {
	s.waiting()
	data, err := s.client.Select(s.cfg.Mailbox, nil).Wait()
	if err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			if ok, lerr := s.mailboxExists(s.cfg.Mailbox); lerr == nil && !ok {
				return nil, s.wrap(ctx, fmt.Sprintf("SELECT %q", s.cfg.Mailbox), fmt.Errorf("%w: %w", ErrMissingMailbox, err))
			}
		}
		return nil, s.wrap(ctx, fmt.Sprintf("SELECT %q", s.cfg.Mailbox), err)
	}
	return data, nil
}
