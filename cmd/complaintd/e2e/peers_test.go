package e2e

import (
	"testing"

	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
)

// submission is how the daemon reaches an SMTP server: the [smtp] keys.
type submission struct {
	addr, tls, caFile, username, password string
}

// delivery is one message as an SMTP server delivered it to one envelope
// recipient (a message to two recipients is two deliveries).
type delivery struct {
	rcpt string
	raw  []byte
}

// smtpPeer is an SMTP server the daemon sends through, and the place its
// recipients' mail ends up.
type smtpPeer interface {
	submission() submission
	// delivered lists what has been delivered so far, oldest first.
	delivered(t *testing.T) []delivery
}

// mailServer is what Postfix and Mailpit (mailbox/mailtest/peers) have in
// common: a submission address with one SASL account, and the messages
// they received.
type mailServer interface {
	Addr() string
	Username() string
	Password() string
	Messages() []peers.Msg
}

// realSMTP adapts a peers server, reached with the given [smtp] tls and
// ca_file.
type realSMTP struct {
	srv         mailServer
	tls, caFile string
}

func (r realSMTP) submission() submission {
	return submission{addr: r.srv.Addr(), tls: r.tls, caFile: r.caFile, username: r.srv.Username(), password: r.srv.Password()}
}

func (r realSMTP) delivered(t *testing.T) []delivery {
	t.Helper()
	var out []delivery
	for _, m := range r.srv.Messages() {
		for _, rcpt := range m.To {
			out = append(out, delivery{rcpt: rcpt, raw: m.Raw})
		}
	}
	return out
}

// smtpPeers are the SMTP servers the suite runs against, by name.
var smtpPeers = []struct {
	name  string
	start func(t *testing.T) smtpPeer
}{
	// Debian's Postfix as a submission server: STARTTLS mandatory under
	// a throwaway CA (smtp.ca_file), AUTH only after it, SASL,
	// strict_rfc821_envelopes, smtpd_helo_required; it delivers every
	// recipient's copy to a maildir.
	{"postfix", func(t *testing.T) smtpPeer {
		p := peers.StartPostfix(t, peers.PostfixOptions{STARTTLS: true})
		return realSMTP{srv: p, tls: "starttls", caFile: p.CA().CAFile}
	}},
	// Mailpit: plain SMTP with AUTH on 127.0.0.1 (tls = "none", which the
	// daemon allows for a loopback address); its API shows what it received.
	{"mailpit", func(t *testing.T) smtpPeer { return realSMTP{srv: peers.StartMailpit(t), tls: "none"} }},
}
