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
// first (it carries Auto-Submitted too), then bounces (most carry
// Auto-Submitted or a null Return-Path, and some come through lists), then
// the other automatic mail; everything else is from a human.
func classify(m Mail, id Identity) Classification {
	h := m.Header()
	if reason, ok := ownMail(m, h, id); ok {
		return Classification{Class: ClassOwn, Reason: reason}
	}
	if c, ok := bounceReport(m, h); ok {
		return c
	}
	if reason, ok := autoReplyReason(m, h); ok {
		return Classification{Class: ClassAutoReply, Reason: reason}
	}
	return Classification{Class: ClassHuman, Reason: "no sign of automatic mail"}
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

// autoReplyReason finds the marks of automatic mail (RFC 3834 and what
// real responders write), other than bounces.
func autoReplyReason(m Mail, h textproto.MIMEHeader) (string, bool) {
	// RFC 3834 section 5: any value but "no" means automatic; Exchange
	// writes auto-generated on out-of-office replies, sendmail adds
	// comments such as "auto-generated (failure)".
	if v, ok := autoSubmitted(h); ok {
		return "Auto-Submitted: " + v, true
	}
	// Precedence is not standard (RFC 2076 lists it), but lists and
	// vacation programs have set it for decades; RFC 3834 section 2 lets a
	// responder decline on any such sign.
	if v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v == "bulk" || v == "junk" || v == "list" || v == "auto_reply" {
		return "Precedence: " + v, true
	}
	// RFC 2919 and RFC 2369: mail from a list, answered by nobody.
	for _, k := range []string{"List-Id", "List-Unsubscribe"} {
		if v := h.Get(k); v != "" {
			return k + ": " + v, true
		}
	}
	// Headers of autoresponders that predate RFC 3834 (procmail/vacation
	// recipes, cPanel, Zimbra and friends).
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoreply-From", "X-Mail-Autoreply"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" && !strings.EqualFold(v, "no") && !strings.EqualFold(v, "false") {
			return k + ": " + v, true
		}
	}
	// Exchange marks what its inbox rules and out-of-office assistant send.
	if v := h.Get("X-Ms-Exchange-Generated-Message-Source"); strings.Contains(strings.ToLower(v), "mailbox rules agent") {
		return "X-MS-Exchange-Generated-Message-Source: " + v, true
	}
	if v := h.Get("X-Ms-Exchange-Inbox-Rules-Loop"); v != "" {
		return "X-MS-Exchange-Inbox-Rules-Loop: " + v, true
	}
	// Reports other than delivery status: read receipts (RFC 8098),
	// abuse reports (RFC 5965).
	if m.ContentType() == "multipart/report" {
		return "multipart/report; report-type=" + m.ReportType(), true
	}
	// RFC 3834 section 2: a message with a null reverse path must never be
	// answered; only automatic mail is sent with one (DESIGN.md lists it).
	// X-Auto-Response-Suppress is not evidence on its own: Exchange puts it
	// on out-of-office replies and on some mail people write.
	if rp, ok := m.ReturnPath(); ok && rp == "" {
		reason := "Return-Path: <>"
		if v := h.Get("X-Auto-Response-Suppress"); v != "" {
			reason += ", X-Auto-Response-Suppress: " + v
		}
		return reason, true
	}
	if autoReplySubject(m.Subject()) {
		return "subject " + quoteShort(m.Subject()), true
	}
	if a, ok := daemonSender(m, h); ok {
		return "sender " + a, true
	}
	if a, ok := noReplySender(m); ok {
		return "sender " + a + " reads no answers", true
	}
	return "", false
}

// autoSubmitted returns the Auto-Submitted value when it says the message
// is automatic.
func autoSubmitted(h textproto.MIMEHeader) (string, bool) {
	for _, v := range h.Values("Auto-Submitted") {
		token := strings.ToLower(strings.TrimSpace(v))
		if i := strings.IndexAny(token, ";( \t"); i >= 0 {
			token = token[:i]
		}
		if token != "" && token != "no" {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// autoReplySubject recognises the subjects out-of-office assistants write
// (Exchange/Outlook in Dutch, English, German, French, ...; Gmail and
// iCloud vacation replies). The marker must open the subject and be
// followed by a colon (or close a bracket, or end the subject): a parent
// writing "Re: automatisch antwoord klopt niet" is not silenced.
func autoReplySubject(subject string) bool {
	s := strings.TrimLeft(strings.TrimSpace(subject), "[")
	lower := strings.ToLower(s)
	for _, marker := range []string{
		"automatisch antwoord", "automatische reactie", "afwezigheidsbericht", "afwezig", "niet aanwezig",
		"out of office autoreply", "out of office reply", "out of office", "out of the office",
		"automatic reply", "automatic response", "auto reply", "auto-reply", "autoreply",
		"auto response", "auto-response", "autoresponse", "vacation reply", "vacation",
		"abwesenheitsnotiz", "automatische antwort", "réponse automatique", "respuesta automática",
		"risposta automatica", "automatyczna odpowiedź", "autosvar", "automaattinen vastaus",
	} {
		if !strings.HasPrefix(lower, marker) {
			continue
		}
		rest := strings.TrimSpace(lower[len(marker):])
		if rest == "" || rest[0] == ':' || rest[0] == ']' {
			return true
		}
	}
	return false
}

// quoteShort quotes a subject for a reason, cut to 60 characters.
func quoteShort(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return `"` + s + `"`
}

// daemonSender finds a mail system sender: MAILER-DAEMON, postmaster, "Mail
// Delivery Subsystem". Such mail is never written by a person.
func daemonSender(m Mail, h textproto.MIMEHeader) (string, bool) {
	for _, a := range append(m.From(), m.Sender()...) {
		switch normalLocal(a.Address) {
		case "mailerdaemon", "maildaemon", "postmaster":
			return a.Address, true
		}
		if name := strings.ToLower(a.Name); strings.Contains(name, "mail delivery") || strings.Contains(name, "mailer-daemon") {
			return a.String(), true
		}
	}
	// "From: mailer-daemon" without a domain parses as no address.
	if from := strings.ToLower(h.Get("From")); strings.Contains(from, "mailer-daemon") {
		return h.Get("From"), true
	}
	// sendmail and Domino send with Return-Path MAILER-DAEMON.
	if rp, _ := m.ReturnPath(); normalLocal(rp) == "mailerdaemon" {
		return rp, true
	}
	return "", false
}

// noReplySender finds a no-reply sender: nobody reads the answers.
func noReplySender(m Mail) (string, bool) {
	for _, a := range append(m.From(), m.Sender()...) {
		l := normalLocal(a.Address)
		if strings.HasPrefix(l, "noreply") || strings.HasPrefix(l, "donotreply") || strings.HasPrefix(l, "dontreply") {
			return a.Address, true
		}
	}
	return "", false
}

// normalLocal is the local part of addr, lower-case, without the dots,
// dashes and underscores that tell mailer-daemon from mailer_daemon.
func normalLocal(addr string) string {
	local := strings.ToLower(addr)
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	return strings.NewReplacer(".", "", "-", "", "_", "").Replace(local)
}

// firstAddresses parses an address list header value leniently: the
// addresses it can read.
func firstAddresses(v string) []string {
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
