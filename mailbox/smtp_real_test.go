package mailbox_test

// The sender against the SMTP servers people run (issue 8): Debian's Postfix
// with strict_rfc821_envelopes and SASL, and Mailpit, both strict about the
// envelope syntax that go-smtp lets pass.

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
)

// realPeer is what these tests need of either server.
type realPeer interface {
	Addr() string
	Username() string
	Password() string
	Wait(n int) []peers.Msg
}

func eachRealPeer(t *testing.T, fn func(t *testing.T, p realPeer)) {
	t.Run("postfix", func(t *testing.T) {
		t.Parallel()
		fn(t, peers.StartPostfix(t, peers.PostfixOptions{}))
	})
	t.Run("mailpit", func(t *testing.T) {
		t.Parallel()
		fn(t, peers.StartMailpit(t))
	})
}

func realSender(t *testing.T, p realPeer) *mailbox.SMTPSender {
	return newSender(t, mailbox.SMTPConfig{Addr: p.Addr(), TLS: "none", Username: p.Username(), Password: p.Password()})
}

func TestSMTPRealServersTakeOurMail(t *testing.T) {
	eachRealPeer(t, func(t *testing.T, p realPeer) {
		s := realSender(t, p)
		summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !strings.Contains(summary, "RCPT TO:<klachten@kinderopvang.example> accepted") {
			t.Errorf("Check summary: %s", summary)
		}
		for i := range 2 { // the second on the kept connection
			if err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(i)); err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
		}
		msgs := p.Wait(2)
		if len(msgs) != 2 {
			t.Fatalf("%d messages arrived, want 2 (check must send nothing)", len(msgs))
		}
		// Postfix delivers in parallel: the order of arrival is not the
		// order of sending.
		for i := range 2 {
			j := slices.IndexFunc(msgs, func(m peers.Msg) bool { return bytes.Equal(m.Data, outgoing(i)) })
			if j < 0 {
				t.Errorf("message %d did not arrive unaltered; arrived:\n%q\n%q", i, msgs[0].Data, msgs[1].Data)
				continue
			}
			if m := msgs[j]; m.From != "klachten@kinderopvang.example" || !slices.Equal(m.To, []string{"ouder@example.nl"}) {
				t.Errorf("message %d envelope: from %q to %q", i, m.From, m.To)
			}
		}
	})
}

func TestSMTPRealCheckReportsRefusedEnvelope(t *testing.T) {
	eachRealPeer(t, func(t *testing.T, p realPeer) {
		// Without our account: Postfix denies relaying at RCPT TO, Mailpit
		// wants authentication at MAIL FROM.
		s := newSender(t, mailbox.SMTPConfig{Addr: p.Addr(), TLS: "none"})
		_, err := s.Check(t.Context(), "klachten@kinderopvang.example")
		var se *mailbox.SMTPError
		if !errors.As(err, &se) || !se.Replied() || se.RecipientFault() {
			t.Fatalf("Check = %v, want the server's refusal, not a recipient's fault", err)
		}
		if want := map[string]string{"RCPT TO": "Relay access denied", "MAIL FROM": "Authentication required"}[se.Op]; want == "" ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want the server's words", err)
		}
	})
}

func TestSMTPRealPostfixRefusalFault(t *testing.T) {
	t.Parallel()
	pf := peers.StartPostfix(t, peers.PostfixOptions{
		RefuseRecipients: map[string]string{"weg@example.nl": "550 5.1.1 User unknown"},
		RefuseSenders:    map[string]string{"vreemd@kinderopvang.example": "553 5.7.1 Sender address rejected: not owned by user"},
	})
	cases := []struct {
		name, from, to string
		cfg            mailbox.SMTPConfig
		recipient      bool
		words          string
	}{
		{"unknown recipient", "klachten@kinderopvang.example", "weg@example.nl",
			mailbox.SMTPConfig{Username: pf.Username(), Password: pf.Password()}, true, "550 5.1.1"},
		{"relay denied", "klachten@kinderopvang.example", "ouder@example.nl",
			mailbox.SMTPConfig{}, false, "554 5.7.1"},
		{"wrong password", "klachten@kinderopvang.example", "ouder@example.nl",
			mailbox.SMTPConfig{Username: pf.Username(), Password: "wrong"}, false, "535 5.7.8"},
		{"sender refused (given at RCPT)", "vreemd@kinderopvang.example", "ouder@example.nl",
			mailbox.SMTPConfig{Username: pf.Username(), Password: pf.Password()}, false, "553 5.7.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Addr, cfg.TLS = pf.Addr(), "none"
			err := newSender(t, cfg).Send(t.Context(), tc.from, []string{tc.to}, outgoing(1))
			var se *mailbox.SMTPError
			if !errors.As(err, &se) || se.Temporary() {
				t.Fatalf("err = %v, want a permanent *SMTPError", err)
			}
			if se.RecipientFault() != tc.recipient || !strings.Contains(se.Answer(), tc.words) {
				t.Errorf("RecipientFault() = %v, Answer() = %q; want %v and %q", se.RecipientFault(), se.Answer(), tc.recipient, tc.words)
			}
		})
	}
}

// Postfix offers PIPELINING, so the envelope goes in one write (issue 14).
// With one of three recipients unknown it answers DATA with 354 all the
// same: the message must not go to the other two, the error is the
// recipient's refusal, and the next mail goes out.
func TestSMTPRealPostfixPipelinedRefusedRecipient(t *testing.T) {
	t.Parallel()
	pf := peers.StartPostfix(t, peers.PostfixOptions{
		RefuseRecipients: map[string]string{"weg@example.nl": "550 5.1.1 User unknown"},
	})
	s := newSender(t, mailbox.SMTPConfig{Addr: pf.Addr(), TLS: "none", Username: pf.Username(), Password: pf.Password(), Connections: 1})
	summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	t.Logf("Postfix: %s", summary)
	if !strings.Contains(summary, "PIPELINING") {
		t.Fatalf("Postfix does not offer PIPELINING here; the pipelined path is not tested: %s", summary)
	}

	err = s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl", "weg@example.nl", "b@example.nl"}, outgoing(1))
	var se *mailbox.SMTPError
	if !errors.As(err, &se) || se.Op != "RCPT TO" || se.Code != 550 || se.Temporary() || !se.RecipientFault() ||
		!strings.Contains(err.Error(), "1 of 3 recipient(s) refused: <weg@example.nl>: 550 5.1.1") {
		t.Fatalf("err = %v, want the permanent refusal of weg@example.nl alone", err)
	}
	to := []string{"ouder@example.nl", "b@example.nl"}
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", to, outgoing(2)); err != nil {
		t.Fatalf("Send after the refusal: %v", err)
	}
	msgs := pf.Wait(2) // one copy per recipient; Wait also waits for the queue to empty
	if len(msgs) != 2 {
		t.Fatalf("%d copies arrived, want 2: the partly refused message must not go", len(msgs))
	}
	for _, m := range msgs {
		if !bytes.Equal(m.Data, outgoing(2)) {
			t.Errorf("to %v arrived:\n%q", m.To, m.Data)
		}
	}
}

// STARTTLS as a submission server on port 587 has it: TLS required, AUTH
// only after it, the certificate verified against the configured CA.
func TestSMTPRealPostfixSTARTTLS(t *testing.T) {
	t.Parallel()
	pf := peers.StartPostfix(t, peers.PostfixOptions{STARTTLS: true})
	s := newSender(t, mailbox.SMTPConfig{Addr: pf.Addr(), TLS: "starttls", RootCAs: pf.CA().Roots,
		Username: pf.Username(), Password: pf.Password()})
	summary, err := s.Check(t.Context(), "klachten@kinderopvang.example")
	if err != nil || !strings.Contains(summary, "certificate verified for 127.0.0.1") || !strings.Contains(summary, "authenticated as") {
		t.Fatalf("Check = %q, %v", summary, err)
	}
	if err := s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(1)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if msgs := pf.Wait(1); !bytes.Equal(msgs[0].Data, outgoing(1)) {
		t.Errorf("arrived altered:\n%q", msgs[0].Data)
	}

	// The CA not trusted: no mail leaves, and it is not the recipient's fault.
	err = newSender(t, mailbox.SMTPConfig{Addr: pf.Addr(), TLS: "starttls", Username: pf.Username(), Password: pf.Password()}).
		Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(2))
	var se *mailbox.SMTPError
	if !errors.As(err, &se) || se.Temporary() || se.RecipientFault() {
		t.Errorf("untrusted certificate: err = %v, want permanent and ours", err)
	}
	// Plaintext: Postfix wants STARTTLS first.
	err = newSender(t, mailbox.SMTPConfig{Addr: pf.Addr(), TLS: "none"}).
		Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(3))
	if !errors.As(err, &se) || se.RecipientFault() || !strings.Contains(se.Answer(), "530 5.7.0") {
		t.Errorf("plaintext: err = %v, want 530 5.7.0 and ours", err)
	}
	if n := len(pf.Wait(1)); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

// The outbox sends on several connections at once (issue 16): each real
// server takes every message once and unaltered from three parallel
// connections.
func TestSMTPRealServersTakeParallelMail(t *testing.T) {
	eachRealPeer(t, func(t *testing.T, p realPeer) {
		s := newSender(t, mailbox.SMTPConfig{Addr: p.Addr(), TLS: "none", Username: p.Username(), Password: p.Password(), Connections: 3})
		const n = 9
		errs := make(chan error, n)
		for i := range n {
			go func() {
				errs <- s.Send(t.Context(), "klachten@kinderopvang.example", []string{"ouder@example.nl"}, outgoing(i))
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		msgs := p.Wait(n)
		if len(msgs) != n {
			t.Fatalf("%d messages arrived, want %d", len(msgs), n)
		}
		for i := range n {
			if c := slices.IndexFunc(msgs, func(m peers.Msg) bool { return bytes.Equal(m.Data, outgoing(i)) }); c < 0 {
				t.Errorf("message %d did not arrive unaltered", i)
			}
		}
	})
}
