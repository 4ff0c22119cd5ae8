package workflow

import (
	"net"
	"net/mail"
	"net/textproto"
	"strings"
)

// The match functions of the evidence table (classify_rules.go).

// view is a message as the rules read it, with what several rules need
// worked out once.
type view struct {
	m       Mail
	h       textproto.MIMEHeader
	subject string // lower-case, trimmed
	text    string // lower-case text, at most maxScannedText bytes
	senders []*mail.Address
}

// maxScannedText bounds the text the phrase rules read: reports put their
// words first, and a 25 MB message must not cost 25 MB per phrase.
const maxScannedText = 64 << 10

func newView(m Mail, h textproto.MIMEHeader) *view {
	t := m.Text()
	if len(t) > maxScannedText {
		t = t[:maxScannedText]
	}
	return &view{m: m, h: h, subject: strings.ToLower(strings.TrimSpace(m.Subject())), text: strings.ToLower(t),
		senders: append(m.From(), m.Sender()...)}
}

func headerSign(key string) func(v *view) (string, bool) {
	return func(v *view) (string, bool) {
		if x := strings.TrimSpace(v.h.Get(key)); x != "" {
			return textproto.CanonicalMIMEHeaderKey(key) + ": " + x, true
		}
		return "", false
	}
}

func dsnReportSign(v *view) (string, bool) {
	return "multipart/report; report-type=delivery-status",
		v.m.ContentType() == "multipart/report" && v.m.ReportType() == "delivery-status"
}

func dsnPartSign(v *view) (string, bool) {
	return "message/delivery-status part", v.m.DeliveryStatus() != nil
}

func sesSign(v *view) (string, bool) {
	c, ok := sesNotification(v.m.Text())
	return c.Reason, ok
}

// sesComplaintSign: Amazon SES tells of a complaint (an abuse report) in
// an SNS JSON text.
func sesComplaintSign(v *view) (string, bool) {
	t := strings.TrimSpace(v.text)
	ok := strings.HasPrefix(t, "{") && strings.Contains(t, `"notificationtype"`) && strings.Contains(t, `"complaint"`)
	return "Amazon SES complaint notification", ok
}

func reportTypeSign(t string) func(v *view) (string, bool) {
	return func(v *view) (string, bool) {
		return "multipart/report; report-type=" + t, v.m.ContentType() == "multipart/report" && strings.EqualFold(v.m.ReportType(), t)
	}
}

func otherReportSign(v *view) (string, bool) {
	return "multipart/report; report-type=" + v.m.ReportType(), v.m.ContentType() == "multipart/report"
}

// autoSubmittedSign: RFC 3834 section 5, any value but "no" means
// automatic; Exchange writes auto-generated on out-of-office replies,
// sendmail adds comments such as "auto-generated (failure)".
func autoSubmittedSign(v *view) (string, bool) {
	if x, ok := autoSubmitted(v.h); ok {
		return "Auto-Submitted: " + x, true
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

// nullReturnPathSign: only automatic mail is sent with a null reverse
// path. X-Auto-Response-Suppress is not evidence on its own: Exchange puts
// it on out-of-office replies and on some mail people write.
func nullReturnPathSign(v *view) (string, bool) {
	if rp, ok := v.m.ReturnPath(); ok && rp == "" {
		reason := "Return-Path: <>"
		if x := v.h.Get("X-Auto-Response-Suppress"); x != "" {
			reason += ", X-Auto-Response-Suppress: " + x
		}
		return reason, true
	}
	return "", false
}

func xAutoreplySign(v *view) (string, bool) {
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoreply-From", "X-Mail-Autoreply"} {
		if x := strings.TrimSpace(v.h.Get(k)); x != "" && !strings.EqualFold(x, "no") && !strings.EqualFold(x, "false") {
			return k + ": " + x, true
		}
	}
	// iCloud's vacation responder (sisimai rfc3834-03.eml).
	if x := strings.TrimSpace(v.h.Get("X-Apple-Action")); strings.EqualFold(x, "vacation") {
		return "X-Apple-Action: " + x, true
	}
	return "", false
}

func exchangeRulesSign(v *view) (string, bool) {
	if x := v.h.Get("X-Ms-Exchange-Generated-Message-Source"); strings.Contains(strings.ToLower(x), "mailbox rules agent") {
		return "X-MS-Exchange-Generated-Message-Source: " + x, true
	}
	if x := v.h.Get("X-Ms-Exchange-Inbox-Rules-Loop"); x != "" {
		return "X-MS-Exchange-Inbox-Rules-Loop: " + x, true
	}
	return "", false
}

// lotusAutoSign: Notes writes "AUTO: Name is out of the office (returning
// date)" and leaves its router's X-MIMETrack trace in the header.
func lotusAutoSign(v *view) (string, bool) {
	if !strings.HasPrefix(v.subject, "auto:") || !strings.Contains(v.subject, "out of the office") {
		return "", false
	}
	if v.h.Get("X-Mimetrack") != "" || strings.Contains(strings.ToLower(v.h.Get("X-Mailer")), "lotus notes") {
		return "Lotus Notes subject " + quoteShort(v.m.Subject()), true
	}
	return "", false
}

// precedenceSign: Precedence is not standard (RFC 2076 lists it), but
// lists and vacation programs have set it for decades.
func precedenceSign(v *view) (string, bool) {
	if x := strings.ToLower(strings.TrimSpace(v.h.Get("Precedence"))); x == "bulk" || x == "junk" || x == "list" || x == "auto_reply" {
		return "Precedence: " + x, true
	}
	return "", false
}

func listHeaderSign(v *view) (string, bool) {
	for _, k := range []string{"List-Id", "List-Unsubscribe"} {
		if x := v.h.Get(k); x != "" {
			return k + ": " + x, true
		}
	}
	return "", false
}

// subscriptionSign: a no-reply sender whose text tells how to stop the
// subscription. Either alone is weak; together they are a mailing.
func subscriptionSign(v *view) (string, bool) {
	if _, ok := noReplySign(v); !ok {
		return "", false
	}
	for _, p := range []string{"unsubscribe", "you are receiving this", "you received this message because", "google alert",
		"news alert", "afmelden voor", "uitschrijven", "abmelden", "se désabonner", "désinscri"} {
		if strings.Contains(v.text, p) {
			return `no-reply sender with a subscription text "` + p + `"`, true
		}
	}
	return "", false
}

// hotmailComplaintSign: Hotmail's junk-mail reports before ARF had the
// subject "complaint about message from" and the reported IP address.
func hotmailComplaintSign(v *view) (string, bool) {
	rest, ok := strings.CutPrefix(v.subject, "complaint about message from ")
	if !ok || net.ParseIP(strings.TrimSpace(rest)) == nil {
		return "", false
	}
	return "subject " + quoteShort(v.m.Subject()), true
}

// listManagerSign: the fml list manager answers posts from non-members and
// loops with its own headers.
func listManagerSign(v *view) (string, bool) {
	if v.h.Get("X-Mlserver") == "" && v.h.Get("X-Ml-Info") == "" {
		return "", false
	}
	for _, p := range []string{"are not member", "not a member", "loop alert", "you are not"} {
		if strings.Contains(v.subject, p) {
			return "list manager subject " + quoteShort(v.m.Subject()), true
		}
	}
	return "", false
}

// challengeSign: robots that hold mail until the sender proves to be a
// person.
func challengeSign(v *view) (string, bool) {
	if x := v.h.Get("X-Bluebottle-Request"); x != "" {
		return "X-Bluebottle-Request: " + x, true
	}
	for _, g := range v.m.DeliveryStatus() {
		if d := strings.ToLower(g.Get("Diagnostic-Code")); strings.Contains(d, "x-boxbe-notice") || strings.Contains(d, "requires confirmation") {
			return "Diagnostic-Code: " + g.Get("Diagnostic-Code"), true
		}
	}
	if v.machineOrigin() {
		for _, p := range []string{"add yourself to my boxbe guest list", "has been waitlisted", "to verify that you are a human",
			"challenge-response", "please confirm that you are a real person",
			"bevestig dat u een mens bent", "bevestig dat je een mens bent", // nl
			"bestätigen sie, dass sie ein mensch sind",                                  // de
			"confirmer que vous êtes une personne", "confirmez que vous êtes un humain", // fr
		} {
			if strings.Contains(v.text, p) {
				return `text "` + p + `"`, true
			}
		}
	}
	return "", false
}

// virusNoticeSign: an antivirus gateway's notice, from a mail system.
func virusNoticeSign(v *view) (string, bool) {
	if !v.machineOrigin() {
		return "", false
	}
	for _, p := range []string{"virus found", "virus detected", "virus alert", "a virus was found", "infected with", "contained a virus",
		"has been quarantined", "blocked attachment", "banned contents alert",
		"virus gevonden", "in quarantaine geplaatst", // nl
		"virusalarm", "virus gefunden", "unter quarantäne", // de
		"virus détecté", "mis en quarantaine", // fr
	} {
		if strings.Contains(v.subject, p) || strings.Contains(v.text, p) {
			return `antivirus notice "` + p + `"`, true
		}
	}
	return "", false
}

// machineOrigin: a sender or envelope that only machines use, strong sign
// or no-reply.
func (v *view) machineOrigin() bool {
	if _, ok := mailSystemSign(v); ok {
		return true
	}
	if _, ok := noReplySign(v); ok {
		return true
	}
	if _, ok := autoSubmitted(v.h); ok {
		return true
	}
	rp, ok := v.m.ReturnPath()
	return ok && rp == ""
}

// mailSystemSign finds a mail system sender: MAILER-DAEMON, postmaster,
// "Mail Delivery Subsystem", Exchange's "System Administrator". Such mail
// is never written by a person. The raw From header is read too: broken
// addresses (`<Postmaster\@host@host>`, `<"System Administrator"@host>`)
// parse as no address.
func mailSystemSign(v *view) (string, bool) {
	for _, a := range v.senders {
		if l := mailboxLocal(a.Address); isMailSystemLocal(l) && (l != "postmaster" || !personalName(a.Name)) {
			return "sender " + a.Address, true
		}
		if name := strings.ToLower(a.Name); strings.Contains(name, "mail delivery") || strings.Contains(name, "mailer-daemon") ||
			name == "system administrator" {
			return "sender " + a.String(), true
		}
	}
	raw := strings.ToLower(v.h.Get("From"))
	// "From: <>": the null path as author, written only by MTAs (Exim
	// filters, BounceParser warning-5.msg).
	if strings.TrimSpace(raw) == "<>" {
		return "sender <>", true
	}
	raw = strings.Map(dropQuoting, raw)
	for _, p := range []string{"mailer-daemon", "mailer_daemon", "<postmaster@", "system administrator@", "mail delivery subsystem"} {
		// A From that parsed is judged above; only a broken one by its text.
		if p == "<postmaster@" && len(v.m.From()) > 0 {
			continue
		}
		if strings.Contains(raw, p) || strings.HasPrefix(raw, strings.TrimPrefix(p, "<")) {
			return "sender " + v.h.Get("From"), true
		}
	}
	// sendmail and Domino send with Return-Path MAILER-DAEMON.
	if rp, _ := v.m.ReturnPath(); normalLocal(rp) == "mailerdaemon" {
		return "Return-Path " + rp, true
	}
	return "", false
}

// personalName reports whether a display name looks like a person's: the
// postmaster mailbox is read and written by people (RFC 5321 section
// 4.5.1), and "Bob <postmaster@…>" is one of them (flanker long-links.eml).
// Mail systems sign as "Mail Delivery System", "Postmaster", "Microsoft
// Outlook", "System Administrator".
func personalName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return false
	}
	for _, w := range []string{"postmaster", "mail", "system", "admin", "deliver", "daemon", "outlook", "exchange", "server", "gateway",
		"notif", "report", "scan", "mss", "mta", "filter", "guard", "virus", "spam", "secur", "relay", "smtp"} {
		if strings.Contains(n, w) {
			return false
		}
	}
	return true
}

// mailboxLocal is normalLocal for a sender, also for the broken addresses
// of some gateways: `Postmaster\@host@host` parses with the local part
// `Postmaster\@host`; its mailbox is what precedes the first @.
func mailboxLocal(addr string) string {
	l, _, _ := strings.Cut(strings.Map(dropQuoting, addr), "@")
	return normalLocal(l)
}

// dropQuoting removes the backslashes and quotes of broken addresses.
func dropQuoting(r rune) rune {
	if r == '\\' || r == '"' {
		return -1
	}
	return r
}

func isMailSystemLocal(l string) bool {
	return l == "mailerdaemon" || l == "maildaemon" || l == "postmaster"
}

// noReplySign finds a sender address nobody reads: its local part (without
// dots, dashes, underscores) starts or ends with noreply, donotreply or
// dontreply (noreply@, no-reply@, do_not_reply@, newsalerts-noreply@).
func noReplySign(v *view) (string, bool) {
	for _, a := range v.senders {
		l := normalLocal(a.Address)
		for _, w := range []string{"noreply", "donotreply", "dontreply"} {
			if strings.HasPrefix(l, w) || strings.HasSuffix(l, w) {
				return "sender " + a.Address + " reads no answers", true
			}
		}
	}
	return "", false
}

func autoReplySubjectSign(v *view) (string, bool) {
	if autoReplySubject(v.m.Subject()) {
		return "subject " + quoteShort(v.m.Subject()), true
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

// normalLocal is the local part of addr, lower-case, without the dots,
// dashes and underscores that tell mailer-daemon from mailer_daemon. It
// runs for every address of every message: no allocation beyond the
// result.
func normalLocal(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[:i]
	}
	var b strings.Builder
	b.Grow(len(addr))
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case c == '.' || c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
