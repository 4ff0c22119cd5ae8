package mailbox_test

// Pipelining (RFC 2920) and the one-write DATA (issue 14): the envelope of a
// mail is one write when the server offers PIPELINING, the message another,
// and nothing else changes: the envelope, the bytes that arrive, and the
// errors are what the one-command-at-a-time path gave.

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	gomail "github.com/wneessen/go-mail/smtp"
)

// wireConn counts the client's writes and can hide PIPELINING from its
// EHLO reply (go-smtp always offers it), making a server without it.
type wireConn struct {
	net.Conn
	writes *atomic.Int64
	hide   bool

	in, out []byte // hide: bytes read, and complete lines to hand out
	err     error
}

func (c *wireConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func (c *wireConn) Read(p []byte) (int, error) {
	if !c.hide {
		return c.Conn.Read(p)
	}
	// Replies are handed out a whole line at a time, which is all a client
	// waits for, so that the line can be dropped wherever reads cut it.
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		var buf [4096]byte
		n, err := c.Conn.Read(buf[:])
		c.in, c.err = append(c.in, buf[:n]...), err
		for {
			line, rest, ok := bytes.Cut(c.in, []byte("\n"))
			if !ok {
				break
			}
			if !strings.EqualFold(strings.TrimSpace(string(line)), "250-PIPELINING") {
				c.out = append(c.out, line...)
				c.out = append(c.out, '\n')
			}
			c.in = rest
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// wiredSender is a one-connection sender to srv whose writes are counted;
// hide makes the server appear without PIPELINING.
func wiredSender(t *testing.T, srv *mailtest.SMTPServer, hide bool) (*mailbox.SMTPSender, *atomic.Int64) {
	t.Helper()
	s := newSender(t, mailbox.SMTPConfig{Addr: srv.Addr(), TLS: "none", Connections: 1})
	writes := new(atomic.Int64)
	mailbox.WrapSMTPConns(s, func(c net.Conn) net.Conn { return &wireConn{Conn: c, writes: writes, hide: hide} })
	return s, writes
}

// writesFor is how many writes one Send took.
func writesFor(t *testing.T, s *mailbox.SMTPSender, writes *atomic.Int64, to []string, raw []byte) int64 {
	t.Helper()
	before := writes.Load()
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", to, raw); err != nil {
		t.Fatalf("Send to %v: %v", to, err)
	}
	return writes.Load() - before
}

// bigOutgoing is a message of more than DotWriter's 4 kB buffer.
func bigOutgoing() []byte {
	return append(outgoing(5), bytes.Repeat([]byte(".regel van een lange brief\r\n"), 400)...)
}

func TestSMTPPipeliningSendsTheEnvelopeInOneWrite(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s, writes := wiredSender(t, srv, false)
	// Check sends MAIL FROM through go-mail's own Client.Mail: the
	// pipelined envelope must carry the same parameters.
	if _, err := s.Check(t.Context(), "klachten@kinderopvang.example"); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(0)); err != nil {
		t.Fatal(err) // connects: EHLO and the like are not counted
	}
	one := writesFor(t, s, writes, []string{"ouder@example.nl"}, outgoing(1))
	three := writesFor(t, s, writes, []string{"ouder@example.nl", "b@example.nl", "c@example.nl"}, bigOutgoing())
	if one != 2 || three != 2 {
		t.Errorf("writes per mail: %d (one recipient), %d (three, %d bytes); want 2 each: the envelope, then the message",
			one, three, len(bigOutgoing()))
	}
	msgs := wait(t, srv, 3)
	for i, want := range [][]byte{outgoing(0), outgoing(1), bigOutgoing()} {
		if !bytes.Equal(msgs[i].Raw, want) {
			t.Errorf("message %d arrived altered", i)
		}
	}
	env := srv.EnvelopeCommands()
	if len(env) != 2+2+2+4 {
		t.Fatalf("envelope commands %q", env)
	}
	if !strings.HasSuffix(env[0], " BODY=8BITMIME") || env[2] != env[0] || env[6] != env[0] {
		t.Errorf("MAIL FROM: go-mail sent %q, pipelined %q and %q", env[0], env[2], env[6])
	}
	if n := srv.Sessions(); n != 2 { // Check's own, and the kept one
		t.Errorf("sessions = %d, want 2", n)
	}
}

func TestSMTPWithoutPipeliningOneCommandAtATime(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	s, writes := wiredSender(t, srv, true)
	summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
	if err != nil || strings.Contains(summary, "PIPELINING") {
		t.Fatalf("Check = %q, %v; want a server without PIPELINING", summary, err)
	}
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(0)); err != nil {
		t.Fatal(err)
	}
	one := writesFor(t, s, writes, []string{"ouder@example.nl"}, outgoing(1))
	// DotWriter wrote the big message in 4 kB pieces; now it is one write.
	three := writesFor(t, s, writes, []string{"ouder@example.nl", "b@example.nl", "c@example.nl"}, bigOutgoing())
	if one != 4 || three != 6 {
		t.Errorf("writes per mail: %d (one recipient), %d (three); want MAIL, RCPT each, DATA, and the message in one: 4 and 6", one, three)
	}
	msgs := wait(t, srv, 3)
	if !bytes.Equal(msgs[1].Raw, outgoing(1)) || !bytes.Equal(msgs[2].Raw, bigOutgoing()) {
		t.Error("message arrived altered")
	}
}

// A refused recipient among several: nothing is delivered to the others,
// the error is the one the step-by-step path gives, and the sender goes on.
func TestSMTPPipelinedRefusedRecipientSendsNothing(t *testing.T) {
	srv := startSMTP(t, mailtest.SMTPOptions{})
	srv.RefuseRecipient("weg@example.nl", 550, "5.1.1 No such user")
	srv.RefuseRecipient("vol@example.nl", 452, "4.2.2 Mailbox full")
	piped, _ := wiredSender(t, srv, false)
	stepped, _ := wiredSender(t, srv, true)

	for _, to := range [][]string{
		{"ouder@example.nl", "weg@example.nl", "b@example.nl"}, // DATA gets 354: the connection is dropped
		{"weg@example.nl", "vol@example.nl"},                   // DATA refused: RSET
		{"weg@example.nl"},
	} {
		want := stepped.Send(t.Context(), "klachten@kinderopvang.example", to, outgoing(1))
		got := piped.Send(t.Context(), "klachten@kinderopvang.example", to, outgoing(1))
		var gse, wse *mailbox.SMTPError
		if !errors.As(got, &gse) || !errors.As(want, &wse) {
			t.Fatalf("to %v: errors %v and %v, want *SMTPError", to, got, want)
		}
		if got.Error() != want.Error() || gse.Op != wse.Op || gse.Code != wse.Code || gse.Text != wse.Text ||
			gse.Temporary() != wse.Temporary() || gse.RecipientFault() != wse.RecipientFault() {
			t.Errorf("to %v: pipelined error\n %v (%s %d %q)\nwant\n %v (%s %d %q)",
				to, got, gse.Op, gse.Code, gse.Text, want, wse.Op, wse.Code, wse.Text)
		}
		if !strings.Contains(got.Error(), "<weg@example.nl>: 550 5.1.1 No such user") {
			t.Errorf("error %q does not name the refused recipient", got)
		}
	}
	if err := piped.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl", "b@example.nl"}, outgoing(2)); err != nil {
		t.Fatalf("Send after the refusals: %v", err)
	}
	msgs := wait(t, srv, 1)
	if len(msgs) != 1 || !bytes.Equal(msgs[0].Raw, outgoing(2)) {
		t.Fatalf("%d message(s) arrived, want only the last: a partly refused message must not be sent at all", len(msgs))
	}
}

// Leading dots, bare LFs and a missing final line end arrive exactly as
// they did through go-mail's Data (DotWriter).
func TestSMTPMessageArrivesAsThroughGoMail(t *testing.T) {
	raws := [][]byte{
		[]byte("Subject: punten\r\n\r\n.\r\n..\r\n...drie\r\n.één\r\nslot"),
		[]byte("Subject: kale LF\n\nregel\n.punt na LF\n\n.\nslot\n"),
		[]byte("Subject: gemengd\r\n\nregel\r\n.a\n.b\r\n"),
	}
	srv := startSMTP(t, mailtest.SMTPOptions{})
	c, err := gomail.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, raw := range raws {
		if err := c.Mail("<klachten@kinderopvang.example>"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("<ouder@example.nl>"); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	old := wait(t, srv, len(raws))

	for _, hide := range []bool{false, true} {
		srv := startSMTP(t, mailtest.SMTPOptions{})
		s, _ := wiredSender(t, srv, hide)
		for _, raw := range raws {
			if err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, raw); err != nil {
				t.Fatal(err)
			}
		}
		for i, m := range wait(t, srv, len(raws)) {
			if !bytes.Equal(m.Raw, old[i].Raw) {
				t.Errorf("without PIPELINING %v: message %d arrived as\n %q\nthrough go-mail as\n %q", hide, i, m.Raw, old[i].Raw)
			}
		}
	}
}
