package workflow

import (
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Message classes.
const (
	ClassHuman     = "human"
	ClassAutoReply = "auto_reply" // out-of-office, vacation, autoresponders, list/bulk mail
	ClassBounce    = "bounce"     // a delivery status notification or non-delivery report, of any outcome
	ClassOwn       = "own"        // our own mail coming back into the inbox
)

// Bounce outcomes.
const (
	OutcomeFailed    = "failed"    // final: the address is unreachable
	OutcomeDelayed   = "delayed"   // the reporting server is still trying
	OutcomeDelivered = "delivered" // a success DSN (delivered, relayed or expanded)
)

// Classification is what kind of sender a message comes from, and why.
type Classification struct {
	Class  string
	Reason string // human-readable, e.g. `Auto-Submitted: auto-replied`, `multipart/report; report-type=delivery-status`
	// Kind says what sort of machine sent it (KindOutOfOffice, KindList,
	// KindFeedbackReport, ...); "" for a person, our own mail and bounces.
	Kind string
	// Weak: the message carries only weak signs of automatic mail (a subject
	// such as "Afwezig", a no-reply-looking sender). They count only for a
	// message that answers ours (issue 8): the caller treats a weak
	// auto-reply that matches no case as a person's mail.
	Weak bool
	// For bounces:
	Outcome     string   // OutcomeFailed, OutcomeDelayed or OutcomeDelivered; never "" for a bounce
	Recipients  []string // the recipient addresses it reports on (with that outcome), lower-case
	OriginalIDs []string // Message-IDs (without brackets) of the message it returns
}

// Identity is how we recognise our own mail.
type Identity struct {
	Address    string // the complaints address, e.g. klachten@vlinder.example (plus-addresses count as ours)
	Host       string // the domain of our Message-IDs, e.g. klachten.vlinder.example
	LoopHeader string // our loop header name (LoopHeader); its value is "Host; proof=…"
	proof      *tokens
	now        time.Time
}

// classify tells what kind of sender m comes from. Our own mail is checked
// first (it carries Auto-Submitted too); then every rule of the table in
// classify_rules.go looks at the message and weigh decides (bounce, other
// machine mail, or a person).
func classify(m Mail, id Identity) Classification {
	h := m.Header()
	if reason, ok := ownMail(m, h, id); ok {
		return Classification{Class: ClassOwn, Reason: reason}
	}
	return weigh(m, collectSigns(newView(m, h)))
}

// ownMail recognises a copy of a message we sent, by proof only: its
// Message-ID is a reply token signed with our secret ("<TOKEN@host>"), or
// its loop header carries an HMAC of its Message-ID under our secret. A
// host name or a From address is no proof: Thunderbird and Apple Mail
// write Message-IDs on the sender's own domain, which is often ours, and
// anyone can write our address in From or copy our loop header.
//
// Only the message's own header counts: a parent's reply names our
// Message-ID in In-Reply-To and References, and a bounce carries our header
// in the message it returns; neither is our mail.
func ownMail(m Mail, h textproto.MIMEHeader, id Identity) (string, bool) {
	if id.proof == nil {
		return "", false
	}
	msgID := m.MessageID()
	if i := strings.LastIndexByte(msgID, '@'); i > 0 && id.proof.isOurToken(msgID[:i], id.now) {
		return "Message-ID carries our signed reply token", true
	}
	if id.LoopHeader == "" {
		return "", false
	}
	for _, v := range h.Values(id.LoopHeader) {
		host, params, _ := strings.Cut(v, ";")
		if !strings.EqualFold(strings.TrimSpace(host), strings.TrimSpace(id.Host)) {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "proof") && id.proof.verifyOwnProof(msgID, val) {
				return textproto.CanonicalMIMEHeaderKey(id.LoopHeader) + " with a proof that verifies", true
			}
		}
	}
	return "", false
}

// fromOurAddress returns our address when m is From it (or a plus-address
// of it). Without ownMail's proof such a message was written by a person
// sending "as" the shared mailbox, or by someone pretending to.
func fromOurAddress(m Mail, id Identity) (string, bool) {
	for _, a := range m.From() {
		if isOwnAddress(a.Address, id.Address) {
			return strings.ToLower(a.Address), true
		}
	}
	return "", false
}

// isOwnAddress reports whether addr is ours or a plus-address of it
// (klachten+TOKEN@…, the reply tokens of DESIGN.md).
func isOwnAddress(addr, ours string) bool {
	local, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(ours)), "@")
	if !ok || local == "" {
		return false
	}
	l, d, ok := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !ok || d != domain {
		return false
	}
	return l == local || strings.HasPrefix(l, local+"+")
}

// addressesIn parses an address list header value leniently: all the
// addresses it can read.
func addressesIn(v string) []string {
	list, err := mail.ParseAddressList(v)
	if err != nil {
		if a, err := mail.ParseAddress(v); err == nil {
			list = []*mail.Address{a}
		}
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Address)
	}
	return out
}
