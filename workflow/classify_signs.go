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
	ok := strings.HasPrefix(t, "{") && strings.Contains(t, "notificationtype") && strings.Contains(t, `complaint`)
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
	if !ok || !reportedIP(strings.TrimSpace(rest)) {
		return "", false
	}
	return "subject " + quoteShort(v.m.Subject()), true
}

// reportedIP: an IP address, or one anonymised as "74.200.17.xxx"
// (PHP-Bounce-Handler hotmailbounce.txt).
func reportedIP(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	return strings.Count(s, ".") == 3 && strings.Trim(s, "0123456789.x") == ""
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
