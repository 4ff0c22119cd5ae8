package mailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// IMAPOptions configures StartIMAP. The zero value is a plaintext server
// for user "klachten" with password "secret", advertising IDLE, MOVE and
// UIDPLUS.
type IMAPOptions struct {
	Username, Password string // defaults "klachten", "secret"; Password is also the OAuth2 bearer token
	TLS                string // "none" (default), "implicit", "starttls"
	NoIdle             bool   // do not advertise IDLE (not possible together with "starttls")
	NoMove             bool   // do not advertise MOVE (RFC 6851): clients fall back to COPY
	NoUIDPlus          bool   // do not advertise UIDPLUS (RFC 4315): no UID EXPUNGE
	// TokenValid, when set, decides whether an XOAUTH2/OAUTHBEARER bearer
	// token is accepted (e.g. oauthtest.Server.Valid) instead of comparing
	// it with Password.
	TokenValid func(token string) bool
	Logger     *slog.Logger
}

// StoredMessage is a message as the server holds it.
type StoredMessage struct {
	UID          uint32
	Raw          []byte
	Flags        []string
	InternalDate time.Time
}

// IMAPServer is an in-memory IMAP server on 127.0.0.1.
type IMAPServer struct {
	opts  IMAPOptions
	log   *slog.Logger
	pki   *PKI // nil for TLS "none"
	user  *imapmemserver.User
	srv   *imapserver.Server
	ln    net.Listener
	serve chan struct{} // closed when Serve returned

	// admin is a second, plaintext imapserver over the same user on its own
	// loopback port, used by Messages and RecreateMailbox to read the store
	// through the protocol without touching the connections under test.
	admin      *imapserver.Server
	adminLn    net.Listener
	adminServe chan struct{}

	mboxMu sync.Mutex // serialises Deliver and RecreateMailbox

	connMu sync.Mutex
	conns  map[net.Conn]struct{}
}

// StartIMAP starts a server with INBOX, Processed and Quarantine created.
// For the TLS modes a CA and a server certificate for 127.0.0.1/localhost are
// generated in memory; RootCAs returns the pool that trusts them.
func StartIMAP(opts IMAPOptions) (*IMAPServer, error) {
	mode, err := checkTLSMode(opts.TLS)
	if err != nil {
		return nil, err
	}
	opts.TLS = mode
	if opts.NoIdle && mode == tlsStartTLS {
		return nil, errors.New("mailtest: NoIdle cannot be combined with STARTTLS (the capability filter needs the plaintext, below which imapserver upgrades)")
	}
	if opts.Username == "" {
		opts.Username = "klachten"
	}
	if opts.Password == "" {
		opts.Password = "secret"
	}
	s := &IMAPServer{
		opts:  opts,
		log:   loggerOrDiscard(opts.Logger).With("component", "mailtest-imap"),
		user:  imapmemserver.NewUser(opts.Username, opts.Password),
		conns: make(map[net.Conn]struct{}),
	}
	for _, name := range []string{"INBOX", "Processed", "Quarantine"} {
		if err := s.user.Create(name, nil); err != nil {
			return nil, fmt.Errorf("mailtest: create %s: %w", name, err)
		}
	}
	if mode != tlsNone {
		if s.pki, err = NewPKI("imap", 365*24*time.Hour); err != nil {
			return nil, err
		}
	}

	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}}
	if opts.NoMove {
		delete(caps, imap.CapMove)
	}
	if opts.NoUIDPlus {
		delete(caps, imap.CapUIDPlus)
	}
	newSession := func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
		return &imapSession{srv: s}, nil, nil
	}
	srvOpts := &imapserver.Options{
		NewSession: newSession,
		Caps:       caps,
		Logger:     printfLogger{s.log},
		// STARTTLS servers refuse LOGIN before TLS, like real ones; the
		// other modes are either TLS already or plaintext on loopback.
		InsecureAuth: mode != tlsStartTLS,
	}
	if mode == tlsStartTLS {
		srvOpts.TLSConfig = s.pki.Server
	}
	s.srv = imapserver.New(srvOpts)
	s.admin = imapserver.New(&imapserver.Options{
		NewSession:   newSession,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapMove: {}},
		Logger:       printfLogger{s.log},
		InsecureAuth: true,
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailtest: listen: %w", err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("mailtest: listen: %w", err)
	}
	s.ln = &imapListener{Listener: ln, srv: s}
	s.adminLn = adminLn
	s.serve = make(chan struct{})
	s.adminServe = make(chan struct{})
	go func() {
		defer close(s.serve)
		if err := s.srv.Serve(s.ln); err != nil {
			s.log.Debug("imap serve ended", "err", err)
		}
	}()
	go func() {
		defer close(s.adminServe)
		if err := s.admin.Serve(adminLn); err != nil {
			s.log.Debug("imap admin serve ended", "err", err)
		}
	}()
	return s, nil
}

// Addr is the host:port clients connect to.
func (s *IMAPServer) Addr() string { return s.ln.Addr().String() }

// RootCAs trusts the server certificate; nil for TLS "none".
func (s *IMAPServer) RootCAs() *x509.CertPool {
	if s.pki == nil {
		return nil
	}
	return s.pki.Roots
}

// Username and Password are the credentials the server accepts.
func (s *IMAPServer) Username() string { return s.opts.Username }
func (s *IMAPServer) Password() string { return s.opts.Password }

// Deliver appends raw to mailbox as a new message, the way an MTA delivers,
// and returns its UID. A zero internalDate means now. flags are set on the
// new message (e.g. `\Deleted` to play a person who deleted it without
// expunging). Clients idling on the mailbox are told (EXISTS).
func (s *IMAPServer) Deliver(mailbox string, raw []byte, internalDate time.Time, flags ...string) (uint32, error) {
	s.mboxMu.Lock()
	defer s.mboxMu.Unlock()
	opts := &imap.AppendOptions{Time: internalDate}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	data, err := s.user.Append(mailbox, literal{bytes.NewReader(raw)}, opts)
	if err != nil {
		return 0, fmt.Errorf("mailtest: deliver to %s: %w", mailbox, err)
	}
	return uint32(data.UID), nil
}

// literal adapts a bytes.Reader to imap.LiteralReader.
type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// UIDValidity returns the mailbox's current UIDVALIDITY.
func (s *IMAPServer) UIDValidity(mailbox string) (uint32, error) {
	data, err := s.user.Status(mailbox, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		return 0, fmt.Errorf("mailtest: status %s: %w", mailbox, err)
	}
	return data.UIDValidity, nil
}

// Messages returns the messages in mailbox in UID order, read with BODY.PEEK
// so reading does not change their flags.
func (s *IMAPServer) Messages(mailbox string) ([]StoredMessage, error) {
	c, err := imapclient.DialInsecure(s.adminLn.Addr().String(), nil)
	if err != nil {
		return nil, fmt.Errorf("mailtest: messages: %w", err)
	}
	defer c.Close()
	if err := c.Login(s.opts.Username, s.opts.Password).Wait(); err != nil {
		return nil, fmt.Errorf("mailtest: messages: login: %w", err)
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("mailtest: messages: select %s: %w", mailbox, err)
	}
	var out []StoredMessage
	if sel.NumMessages > 0 {
		body := &imap.FetchItemBodySection{Peek: true}
		all := imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}} // 1:*
		msgs, err := c.Fetch(all, &imap.FetchOptions{
			UID: true, Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{body},
		}).Collect()
		if err != nil {
			return nil, fmt.Errorf("mailtest: messages: fetch %s: %w", mailbox, err)
		}
		for _, m := range msgs {
			sm := StoredMessage{UID: uint32(m.UID), Raw: m.FindBodySection(body), InternalDate: m.InternalDate}
			for _, f := range m.Flags {
				sm.Flags = append(sm.Flags, string(f))
			}
			out = append(out, sm)
		}
	}
	if err := c.Logout().Wait(); err != nil {
		return nil, fmt.Errorf("mailtest: messages: logout: %w", err)
	}
	return out, nil
}

// RecreateMailbox deletes mailbox and creates it again with the same
// messages, flags and internal dates, as a server migration does: the
// UIDVALIDITY changes and the UIDs start over. Connections to the server are
// then dropped, as a migrated server's would be. Clients moving messages out
// of the mailbox at the same moment may see them come back.
func (s *IMAPServer) RecreateMailbox(name string) error {
	s.mboxMu.Lock()
	defer s.mboxMu.Unlock()
	msgs, err := s.Messages(name)
	if err != nil {
		return err
	}
	if err := s.user.Delete(name); err != nil {
		return fmt.Errorf("mailtest: recreate %s: delete: %w", name, err)
	}
	if err := s.user.Create(name, nil); err != nil {
		return fmt.Errorf("mailtest: recreate %s: create: %w", name, err)
	}
	for _, m := range msgs {
		var flags []imap.Flag
		for _, f := range m.Flags {
			if f != `\Recent` {
				flags = append(flags, imap.Flag(f))
			}
		}
		if _, err := s.user.Append(name, literal{bytes.NewReader(m.Raw)}, &imap.AppendOptions{Time: m.InternalDate, Flags: flags}); err != nil {
			return fmt.Errorf("mailtest: recreate %s: append: %w", name, err)
		}
	}
	s.DropConnections()
	return nil
}

// DropConnections closes every client connection at once, as a server
// restart or a network failure would, and returns how many there were. The
// server keeps accepting new connections.
func (s *IMAPServer) DropConnections() int {
	s.connMu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.connMu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return len(conns)
}

// Connections is the number of client connections currently open.
func (s *IMAPServer) Connections() int {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return len(s.conns)
}

// Close stops the server and closes all connections.
func (s *IMAPServer) Close() error {
	err := s.srv.Close()
	aerr := s.admin.Close()
	// imapserver closes only listeners Serve has registered; if Serve has
	// not started yet it returns at once and leaves the listener open.
	_ = s.ln.Close()
	_ = s.adminLn.Close()
	<-s.serve
	<-s.adminServe
	s.DropConnections()
	return errors.Join(err, aerr)
}

// imapListener tracks client connections and adds implicit TLS and the
// capability filter per connection.
type imapListener struct {
	net.Listener
	srv *IMAPServer
}

func (l *imapListener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	s := l.srv
	tc := &trackedConn{Conn: raw, srv: s}
	s.connMu.Lock()
	s.conns[tc] = struct{}{}
	s.connMu.Unlock()

	var c net.Conn = tc
	if s.opts.TLS == tlsImplicit {
		c = tls.Server(c, s.pki.Server)
	}
	if s.opts.NoIdle {
		c = newCapFilterConn(c, string(imap.CapIdle))
	}
	return c, nil
}

// trackedConn removes itself from the server's set when closed.
type trackedConn struct {
	net.Conn
	srv  *IMAPServer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.srv.connMu.Lock()
		delete(c.srv.conns, c)
		c.srv.connMu.Unlock()
	})
	return c.Conn.Close()
}
