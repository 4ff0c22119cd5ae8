package peers_test

import (
	"bytes"
	"encoding/base64"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
)

// server is what the tests need of either peer.
type server interface {
	Addr() string
	Username() string
	Password() string
	Wait(n int) []peers.Msg
	Messages() []peers.Msg
}

const message = "From: Klachten <klachten@kinderopvang.example>\r\n" +
	"To: ouder@example.nl\r\n" +
	"Message-ID: <peers-test@kinderopvang.example>\r\n" +
	"Subject: Ontvangstbevestiging\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Uw klacht is ontvangen.\r\n" +
	".\r\n" +
	"..twee punten\r\n" +
	"één regel in UTF-8\r\n"

// dial opens a session that said EHLO.
func dial(t *testing.T, s server) *textproto.Conn {
	t.Helper()
	c, err := textproto.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	cmd(t, c, 250, "EHLO complaintd.test")
	return c
}

// cmd sends a command and returns the reply, failing unless it has code want.
func cmd(t *testing.T, c *textproto.Conn, want int, format string, args ...any) string {
	t.Helper()
	id, err := c.Cmd(format, args...)
	if err != nil {
		t.Fatal(err)
	}
	c.StartResponse(id)
	defer c.EndResponse(id)
	code, msg, _ := c.ReadResponse(0)
	if code != want {
		t.Fatalf("%q: got %d %s, want %d", strings.TrimSpace(format), code, msg, want)
	}
	return msg
}

func send(t *testing.T, s server, from string, to []string, raw string) error {
	t.Helper()
	auth := smtp.PlainAuth("", s.Username(), s.Password(), "127.0.0.1")
	return smtp.SendMail(s.Addr(), auth, from, to, []byte(raw))
}

func testPeer(t *testing.T, s server) {
	// Delivered, with the envelope and the exact bytes (dot-stuffing undone).
	to := []string{"ouder@example.nl", "klachtenfunctionaris@kinderopvang.example"}
	if err := send(t, s, "klachten@kinderopvang.example", to, message); err != nil {
		t.Fatalf("send: %v", err)
	}
	// Mailpit stores one message for all recipients, Postfix's maildir one
	// copy per recipient.
	msgs := s.Wait(1)
	if n := len(msgs[0].To); n < len(to) {
		msgs = s.Wait(len(to))
	}
	var got []string
	for _, m := range msgs {
		if m.From != "klachten@kinderopvang.example" {
			t.Errorf("envelope sender %q", m.From)
		}
		if !bytes.Equal(m.Data, []byte(message)) {
			t.Errorf("data arrived altered:\n got %q\nwant %q", m.Data, message)
		}
		got = append(got, m.To...)
	}
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(to)); !slices.Equal(got, want) {
		t.Errorf("recipients %q, want %q", got, want)
	}

	// Strict envelope syntax: a bare address is refused (RFC 5321 4.1.2).
	c := dial(t, s)
	cmd(t, c, 235, "AUTH PLAIN %s", plain(s.Username(), s.Password()))
	if msg := cmd(t, c, 501, "MAIL FROM:klachten@kinderopvang.example"); msg == "" {
		t.Error("501 without text")
	}
}

func plain(user, pass string) string {
	return b64("\x00" + user + "\x00" + pass)
}

func TestPostfix(t *testing.T) {
	t.Parallel()
	pf := peers.StartPostfix(t, peers.PostfixOptions{
		RefuseRecipients: map[string]string{"weg@example.nl": "550 5.1.1 User unknown"},
		RefuseSenders:    map[string]string{"vreemd@kinderopvang.example": "553 5.7.1 Sender address rejected: not owned by user"},
	})
	testPeer(t, pf)

	// Without AUTH: relay denied for every recipient.
	c := dial(t, pf)
	cmd(t, c, 250, "MAIL FROM:<klachten@kinderopvang.example>")
	if msg := cmd(t, c, 554, "RCPT TO:<ouder@example.nl>"); !strings.Contains(msg, "5.7.1") || !strings.Contains(msg, "Relay access denied") {
		t.Errorf("unauthenticated RCPT: %q", msg)
	}
	// Authenticated: the refusals configured.
	cmd(t, c, 250, "RSET")
	cmd(t, c, 235, "AUTH PLAIN %s", plain(pf.Username(), pf.Password()))
	cmd(t, c, 250, "MAIL FROM:<klachten@kinderopvang.example>")
	if msg := cmd(t, c, 550, "RCPT TO:<weg@example.nl>"); !strings.HasPrefix(msg, "5.1.1 <weg@example.nl>") {
		t.Errorf("refused recipient: %q", msg)
	}
	cmd(t, c, 250, "RSET")
	cmd(t, c, 250, "MAIL FROM:<vreemd@kinderopvang.example>")
	if msg := cmd(t, c, 553, "RCPT TO:<ouder@example.nl>"); !strings.HasPrefix(msg, "5.7.1") {
		t.Errorf("refused sender: %q", msg)
	}
	// Wrong password.
	c2 := dial(t, pf)
	cmd(t, c2, 535, "AUTH PLAIN %s", plain(pf.Username(), "wrong"))
	if n := len(pf.Messages()); n != 2 {
		t.Errorf("%d copies delivered, want 2", n)
	}
}

func TestMailpit(t *testing.T) {
	t.Parallel()
	mp := peers.StartMailpit(t)
	testPeer(t, mp)
	c := dial(t, mp)
	if msg := cmd(t, c, 530, "MAIL FROM:<klachten@kinderopvang.example>"); !strings.Contains(msg, "5.7.0") {
		t.Errorf("unauthenticated MAIL: %q", msg)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
