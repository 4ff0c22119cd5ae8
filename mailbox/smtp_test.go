package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// temporary is what the outbox looks for.
type temporary interface{ Temporary() bool }

func startSMTP(t *testing.T, opts mailtest.SMTPOptions) *mailtest.SMTPServer {
	t.Helper()
	opts.Logger = testLogger(t)
	srv, err := mailtest.StartSMTP(opts)
	if err != nil {
		t.Fatalf("StartSMTP: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// newSender starts a sender with cfg; what a test leaves zero is the
// fixture's (a test HELO, 10 s, three connections), as the daemon's
// configuration would give it.
func newSender(t *testing.T, cfg mailbox.SMTPConfig) *mailbox.SMTPSender {
	t.Helper()
	if cfg.HELO == "" {
		cfg.HELO = "complaintd.test"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Connections == 0 {
		cfg.Connections = 3
	}
	s, err := mailbox.NewSMTPSender(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// outgoing is a rendered message with the lines SMTP transparency must
// protect (RFC 5321 4.5.2): a lone dot, leading dots, and 8-bit text.
func outgoing(n int) []byte {
	return []byte("From: Klachten <klachten@kinderopvang.example>\r\n" +
		"To: ouder@example.nl\r\n" +
		"Subject: [KL-2026-004" + string(rune('0'+n)) + "] Ontvangstbevestiging\r\n" +
		"Auto-Submitted: auto-replied\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"Uw klacht is ontvangen.\r\n" +
		".\r\n" +
		"..twee punten\r\n" +
		".één punt en UTF-8\r\n" +
		"Met vriendelijke groet\r\n")
}

func wait(t *testing.T, srv *mailtest.SMTPServer, n int) []mailtest.Captured {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), failAfter)
	defer cancel()
	msgs, err := srv.Wait(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestSMTPSendsExactBytesAndReusesConnection(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	to := []string{"ouder@example.nl", "klachtenfunctionaris@kinderopvang.example"}
	for i := range 2 {
		if err := s.Send(t.Context(), "bounces@kinderopvang.example", to, outgoing(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	msgs := wait(t, srv, 2)
	for i, m := range msgs {
		if !bytes.Equal(m.Raw, outgoing(i)) {
			t.Errorf("message %d arrived altered:\n got %q\nwant %q", i, m.Raw, outgoing(i))
		}
		if m.From != "bounces@kinderopvang.example" || !slices.Equal(m.To, to) {
			t.Errorf("message %d envelope: from %q to %v", i, m.From, m.To)
		}
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("two sends used %d connections, want 1 (connection reuse)", n)
	}
}

func TestSMTPRefusals(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	to := []string{"ouder@example.nl"}

	srv.Refuse(1, 451, "Greylisted, please try again later")
	err := s.Send(t.Context(), "a@kinderopvang.example", to, outgoing(1))
	var tmp temporary
	if !errors.As(err, &tmp) || !tmp.Temporary() {
		t.Fatalf("451: err = %v, want Temporary() == true", err)
	}
	var se *mailbox.SMTPError
	if !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("451: err = %#v, want *SMTPError with Code 451", err)
	}

	srv.Refuse(1, 550, "Message rejected as spam")
	err = s.Send(t.Context(), "a@kinderopvang.example", to, outgoing(2))
	if !errors.As(err, &tmp) || tmp.Temporary() {
		t.Fatalf("550: err = %v, want Temporary() == false", err)
	}
	if !strings.Contains(err.Error(), "Message rejected as spam") {
		t.Errorf("550: error %q lacks the server's text", err)
	}
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("550: want Code 550, got %v", err)
	}

	// The server recovers and so does the kept connection.
	if err := s.Send(t.Context(), "a@kinderopvang.example", to, outgoing(3)); err != nil {
		t.Fatalf("Send after refusals: %v", err)
	}
	if msgs := wait(t, srv, 1); len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, outgoing(3)) {
		t.Fatalf("captured %d messages, want only the accepted one", len(msgs))
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("refusals cost a connection: %d sessions, want 1", n)
	}
}

func TestSMTPPartlyRefusedRecipientsFailTheMessage(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	srv.RefuseRecipient("weg@example.nl", 550, "5.1.1 No such user")

	err := s.Send(t.Context(), "a@kinderopvang.example", []string{"ouder@example.nl", "weg@example.nl"}, outgoing(1))
	var se *mailbox.SMTPError
	if !errors.As(err, &se) || se.Temporary() || se.Code != 550 {
		t.Fatalf("err = %v, want permanent *SMTPError 550", err)
	}
	if !strings.Contains(err.Error(), "weg@example.nl") || !strings.Contains(err.Error(), "No such user") {
		t.Errorf("error %q does not say which recipient and why", err)
	}

	srv.RefuseRecipient("later@example.nl", 452, "4.2.2 Mailbox full")
	err = s.Send(t.Context(), "a@kinderopvang.example", []string{"weg@example.nl", "later@example.nl"}, outgoing(2))
	if !errors.As(err, &se) || !se.Temporary() || se.Code != 452 {
		t.Fatalf("mixed 5xx/4xx: err = %v, want temporary 452", err)
	}

	if err := s.Send(t.Context(), "a@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(3)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := wait(t, srv, 1)
	if len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, outgoing(3)) {
		t.Fatalf("captured %d messages; a partly refused message must not be sent at all", len(msgs))
	}
}

func TestSMTPTLSVerifiesCertificates(t *testing.T) {
	for _, mode := range []string{"implicit", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			srv := startSMTP(t, mailtest.SMTPOptions{TLS: mode})
			cfg := mailbox.SMTPConfig{Addr: srv.Addr(), TLS: mode}

			err := newSender(t, cfg).Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1))
			var tmp temporary
			if !errors.As(err, &tmp) || tmp.Temporary() {
				t.Fatalf("unknown CA: err = %v, want a permanent failure", err)
			}

			cfg.RootCAs = srv.RootCAs()
			s := newSender(t, cfg)
			if err := s.Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if msgs := wait(t, srv, 1); !bytes.Equal(msgs[0].Raw, outgoing(1)) {
				t.Fatal("message altered over TLS")
			}
			summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if !strings.Contains(summary, "certificate verified for 127.0.0.1") {
				t.Errorf("Check summary: %s", summary)
			}
		})
	}
}

func TestSMTPAuth(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{TLS: "starttls", Username: "daemon", Password: "s3cret"})
	cfg := mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "starttls", RootCAs: srv.RootCAs()}

	var se *mailbox.SMTPError
	err := newSender(t, cfg).Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1))
	if !errors.As(err, &se) || se.Temporary() || se.Code/100 != 5 {
		t.Fatalf("without credentials: err = %v, want a permanent 5xx", err)
	}

	cfg.Username, cfg.Password = "daemon", "wrong"
	err = newSender(t, cfg).Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1))
	if !errors.As(err, &se) || se.Temporary() || se.Code != 535 {
		t.Fatalf("wrong password: err = %v, want permanent 535", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the password: %v", err)
	}

	cfg.Password = "s3cret"
	s := newSender(t, cfg)
	if err := s.Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(2)); err != nil {
		t.Fatalf("Send with credentials: %v", err)
	}
	if msgs := wait(t, srv, 1); !bytes.Equal(msgs[0].Raw, outgoing(2)) {
		t.Fatal("message altered")
	}
	summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
	if err != nil || !strings.Contains(summary, "authenticated as daemon") {
		t.Fatalf("Check = %q, %v", summary, err)
	}
}

func TestSMTPReconnectsAfterConnectionLoss(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	if err := s.Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1)); err != nil {
		t.Fatal(err)
	}
	if n := srv.DropConnections(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	if err := s.Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(2)); err != nil {
		t.Fatalf("Send after the server dropped the connection: %v", err)
	}
	if msgs := wait(t, srv, 2); !bytes.Equal(msgs[1].Raw, outgoing(2)) {
		t.Fatal("second message altered")
	}
	if n := srv.Sessions(); n != 2 {
		t.Errorf("sessions = %d, want 2", n)
	}
}

func TestSMTPSilentServerTimesOut(t *testing.T) {
	addr, closeSilent, err := mailtest.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSilent)
	s := newSender(t, mailbox.SMTPConfig{Addr: addr, TLS: "none", Timeout: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- s.Send(t.Context(), "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1)) }()
	select {
	case err := <-done:
		var se *mailbox.SMTPError
		if !errors.As(err, &se) || !se.Temporary() || se.Code != 0 {
			t.Fatalf("err = %v, want a temporary *SMTPError without reply code", err)
		}
	case <-time.After(failAfter):
		t.Fatal("Send hangs on a silent server")
	}
}

func TestSMTPCancelledContext(t *testing.T) {
	addr, closeSilent, err := mailtest.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSilent)
	s := newSender(t, mailbox.SMTPConfig{Addr: addr, TLS: "none", Timeout: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, "a@kinderopvang.example", []string{"b@example.nl"}, outgoing(1)) }()
	cancel()
	select {
	case err := <-done:
		var tmp temporary
		if !errors.As(err, &tmp) || !tmp.Temporary() {
			t.Fatalf("err = %v, want a temporary failure", err)
		}
	case <-time.After(failAfter):
		t.Fatal("Send ignores context cancellation")
	}
}

func TestSMTPConfigValidation(t *testing.T) {
	base := mailbox.SMTPConfig{Addr: "127.0.0.1:25", TLS: "none", HELO: "complaintd.test", Timeout: time.Minute, Connections: 3}
	cases := []struct {
		name   string
		mutate func(*mailbox.SMTPConfig)
		field  string // empty: valid
	}{
		{"loopback plaintext", func(*mailbox.SMTPConfig) {}, ""},
		{"remote plaintext", func(c *mailbox.SMTPConfig) { c.Addr = "smtp.example.org:25" }, "SMTPConfig.TLS"},
		{"remote plaintext allowed", func(c *mailbox.SMTPConfig) { c.Addr = "smtp.example.org:25"; c.AllowInsecure = true }, ""},
		{"remote with auth over starttls", func(c *mailbox.SMTPConfig) {
			c.Addr, c.TLS, c.Username, c.Password = "smtp.example.org:587", "starttls", "u", "p"
		}, ""},
		{"username without password", func(c *mailbox.SMTPConfig) { c.Username = "u" }, "SMTPConfig.Password"},
		{"bad mode", func(c *mailbox.SMTPConfig) { c.TLS = "tls" }, "SMTPConfig.TLS"},
		{"no mode", func(c *mailbox.SMTPConfig) { c.TLS = "" }, "SMTPConfig.TLS"},
		{"bad address", func(c *mailbox.SMTPConfig) { c.Addr = "smtp.example.org" }, "SMTPConfig.Addr"},
		{"bad HELO", func(c *mailbox.SMTPConfig) { c.HELO = "two words" }, "SMTPConfig.HELO"},
		{"no HELO", func(c *mailbox.SMTPConfig) { c.HELO = "" }, "SMTPConfig.HELO"},
		{"negative timeout", func(c *mailbox.SMTPConfig) { c.Timeout = -1 }, "SMTPConfig.Timeout"},
		{"zero timeout", func(c *mailbox.SMTPConfig) { c.Timeout = 0 }, "SMTPConfig.Timeout"},
		{"zero connections", func(c *mailbox.SMTPConfig) { c.Connections = 0 }, "SMTPConfig.Connections"},
		{"too many connections", func(c *mailbox.SMTPConfig) { c.Connections = 21 }, "SMTPConfig.Connections"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mutate(&cfg)
			_, err := mailbox.NewSMTPSender(cfg, nil)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("NewSMTPSender: %v", err)
			case tc.field != "" && (!errors.Is(err, mailbox.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field)):
				t.Fatalf("err = %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}

	s, err := mailbox.NewSMTPSender(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), "a@b", nil, outgoing(1))
	var se *mailbox.SMTPError
	if !errors.As(err, &se) || se.Temporary() {
		t.Fatalf("Send without recipients: err = %v, want permanent", err)
	}
}

// RFC 5321 4.1.2: "MAIL FROM:" Reverse-path and "RCPT TO:" Forward-path are
// in angle brackets. Strict servers (Postfix strict_rfc821_envelopes,
// Mailpit) refuse a bare address with 501; go-smtp accepts it, so the lines
// themselves are checked here (issue 8).
func TestSMTPEnvelopeUsesAngleBrackets(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	to := []string{"ouder@example.nl", "klachtenfunctionaris@kinderopvang.example"}
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", to, outgoing(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	wait(t, srv, 1)
	got := srv.EnvelopeCommands()
	want := []string{
		"MAIL FROM:<klachten@kinderopvang.example>",
		"RCPT TO:<ouder@example.nl>",
		"RCPT TO:<klachtenfunctionaris@kinderopvang.example>",
	}
	if len(got) != len(want) {
		t.Fatalf("envelope commands %q, want %q", got, want)
	}
	for i := range want {
		// MAIL may carry parameters (BODY=8BITMIME, SMTPUTF8) after the path.
		if got[i] != want[i] && !strings.HasPrefix(got[i], want[i]+" ") {
			t.Errorf("command %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestSMTPRefusesEmptySender(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	for _, from := range []string{"", "<>", "a b@example.nl"} {
		err := s.Send(t.Context(), from, []string{"ouder@example.nl"}, outgoing(1))
		var tmp temporary
		if !errors.As(err, &tmp) || tmp.Temporary() {
			t.Errorf("Send from %q: err = %v, want a permanent error", from, err)
		}
	}
	if cmds := srv.EnvelopeCommands(); len(cmds) != 0 {
		t.Errorf("server saw %q, want no transaction for an invalid sender", cmds)
	}
}

// Whose fault a refusal is (issue 8): only a refusal of the recipient itself
// may be blamed on the recipient; everything else is ours to fix.
func TestSMTPRefusalFault(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	srv.RefuseRecipient("weg@example.nl", 550, "5.1.1 User unknown")
	srv.RefuseRecipient("vol@example.nl", 452, "4.2.2 Mailbox full")
	srv.RefuseRecipient("ver@example.nl", 554, "5.7.1 Relay access denied")
	srv.RefuseRecipient("oud@example.nl", 550, "Relaying denied")
	srv.RefuseRecipient("geen@example.nl", 550, "Mailbox unavailable")
	srv.RefuseRecipient("afz@example.nl", 553, "5.1.8 Sender address rejected: Domain not found")

	cases := []struct {
		name      string
		to        []string
		data      func() // makes the server refuse at DATA
		recipient bool
	}{
		{"unknown user at RCPT", []string{"weg@example.nl"}, nil, true},
		{"mailbox full at RCPT", []string{"vol@example.nl"}, nil, true},
		{"no enhanced code", []string{"geen@example.nl"}, nil, true},
		{"relay denied", []string{"ver@example.nl"}, nil, false},
		{"relay denied without enhanced code", []string{"oud@example.nl"}, nil, false},
		{"our sender's domain, given at RCPT", []string{"afz@example.nl"}, nil, false},
		{"one of two recipients for our sake", []string{"weg@example.nl", "ver@example.nl"}, nil, false},
		{"content refused at DATA", []string{"ouder@example.nl"}, func() { srv.Refuse(1, 554, "5.7.1 Message rejected as spam") }, false},
		{"mailbox full at DATA, one recipient", []string{"ouder@example.nl"}, func() { srv.Refuse(1, 552, "5.2.2 Mailbox full") }, true},
		{"mailbox full at DATA, two recipients", []string{"ouder@example.nl", "b@example.nl"}, func() { srv.Refuse(1, 552, "5.2.2 Mailbox full") }, false},
		{"syntax error at DATA", []string{"ouder@example.nl"}, func() { srv.Refuse(1, 501, "5.5.4 Syntax error") }, false},
		{"unusable address", []string{"ouder@example.nl\r\nRSET"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data != nil {
				tc.data()
			}
			err := s.Send(t.Context(), "klachten@kinderopvang.example", tc.to, outgoing(1))
			var se *mailbox.SMTPError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SMTPError", err)
			}
			if se.RecipientFault() != tc.recipient {
				t.Errorf("RecipientFault() = %v, want %v for %v", se.RecipientFault(), tc.recipient, err)
			}
			if se.Replied() && !strings.Contains(se.Answer(), strings.TrimSpace(se.Text)) {
				t.Errorf("Answer() %q lacks the server's words %q", se.Answer(), se.Text)
			}
		})
	}

	t.Run("authentication refused", func(t *testing.T) {
		authSrv := startSMTP(t, mailtest.SMTPOptions{Username: "daemon", Password: "s3cret"})
		for _, cfg := range []mailbox.SMTPConfig{
			{Addr: authSrv.Addr(), TLS: "none"},                                        // 530 at MAIL FROM
			{Addr: authSrv.Addr(), TLS: "none", Username: "daemon", Password: "wrong"}, // 535 at AUTH
		} {
			err := newSender(t, cfg).Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(1))
			var se *mailbox.SMTPError
			if !errors.As(err, &se) || se.RecipientFault() || !se.Replied() {
				t.Errorf("err = %v, want a reply that is not the recipient's fault", err)
			}
		}
	})
	t.Run("server not reached", func(t *testing.T) {
		err := newSender(t, mailbox.SMTPConfig{Addr: "127.0.0.1:1", TLS: "none"}).
			Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(1))
		var se *mailbox.SMTPError
		if !errors.As(err, &se) || se.RecipientFault() || se.Replied() || !se.Temporary() {
			t.Errorf("err = %v, want temporary, no reply, not the recipient's fault", err)
		}
	})
}

// check proves the server takes our envelope, and sends nothing.
func TestSMTPCheckTriesOurEnvelope(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !strings.Contains(summary, "MAIL FROM:<klachten@kinderopvang.example> and RCPT TO:<klachten@kinderopvang.example> accepted") {
		t.Errorf("summary %q does not report the envelope test", summary)
	}
	want := []string{"MAIL FROM:<klachten@kinderopvang.example>", "RCPT TO:<klachten@kinderopvang.example>"}
	if got := srv.EnvelopeCommands(); len(got) != 2 || !strings.HasPrefix(got[0], want[0]) || got[1] != want[1] {
		t.Errorf("server saw %q, want %q", got, want)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("check sent %d message(s)", n)
	}

	srv.RefuseRecipient("klachten@kinderopvang.example", 554, "5.7.1 Relay access denied")
	_, err = s.Check(t.Context(), "klachten@kinderopvang.example")
	if err == nil || !strings.Contains(err.Error(), "554 5.7.1 Relay access denied") {
		t.Errorf("Check = %v, want the server's refusal in its words", err)
	}
	if _, err := s.Check(t.Context(), ""); err == nil {
		t.Error("Check with an empty address passed")
	}
}

// A quoted local part may hold a blank (RFC 5321 4.1.2) and goes through in
// brackets; an unquoted blank cannot be written in a path.
func TestSMTPQuotedLocalPart(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none"})
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{`"jan de vries"@example.nl`}, outgoing(1)); err != nil {
		t.Fatalf("Send to a quoted local part: %v", err)
	}
	wait(t, srv, 1)
	if got := srv.EnvelopeCommands(); len(got) != 2 || got[1] != `RCPT TO:<"jan de vries"@example.nl>` {
		t.Errorf("envelope %q", got)
	}
	err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{"jan de vries@example.nl"}, outgoing(2))
	var se *mailbox.SMTPError
	if !errors.As(err, &se) || se.Temporary() || !se.RecipientFault() {
		t.Errorf("unquoted blank: err = %v, want a permanent recipient fault", err)
	}
}
