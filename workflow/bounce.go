package workflow

import (
	"net/textproto"
	"strings"
)

// Recognising delivery reports (bounces): multipart/report per RFC 3464 and
// RFC 6522, and the plain-text reports of the common mail servers.

// bounceReport decides from the signs whether a message is a delivery
// status notification (RFC 3464, sent as multipart/report, RFC 6522) or one
// of the plain-text non-delivery reports MTAs wrote before (and still write
// beside) it, and reads what it reports.
func bounceReport(m Mail, s signSet) (Classification, bool) {
	c := Classification{Class: ClassBounce}
	if x, ok := s.first(KindDeliveryReport); ok {
		if strings.HasPrefix(x.what, "Amazon SES") {
			n, _ := sesNotification(m.Text())
			return n, true
		}
		c.Reason = x.what
	} else {
		reason, ok := textBounce(s, m.Subject(), len(m.EmbeddedHeaders()) > 0 || returnedCopyInText(m.Text()))
		if !ok {
			return Classification{}, false
		}
		c.Reason = reason
	}
	ds := m.DeliveryStatus()
	c.Outcome, c.Recipients = dsnOutcome(ds)
	if c.Outcome == "" {
		c.Outcome, c.Recipients = dsnOutcome([]textproto.MIMEHeader{dsnFieldsInText(m.Text())})
	}
	if c.Outcome == "" {
		c.Outcome = textOutcome(m.Subject(), m.Text())
	}
	if len(c.Recipients) == 0 {
		c.Recipients = bouncedRecipients(m, m.Header())
	}
	c.OriginalIDs = returnedIDs(m)
	return c, true
}

// textBounce recognises a non-delivery report without delivery-status
// part: bounce words from a machine origin.
//   - subject words from a mail system, or with a null Return-Path,
//     Auto-Submitted or list/bulk marks (bounces relayed by a list manager:
//     flufl.bounce's python.org samples);
//   - text words from a mail system;
//   - text words from an automatic, list or no-reply sender when the
//     message returns a message (a message/rfc822 or header part: KDDI);
//   - a mail system returning a message, whatever its language (Sina);
//   - subject and text words together (French Exchange "… : non remis"
//     from a gateway address), unless a person forwards it (Fwd:, TR:).
//
// A no-reply sender alone is a weak sign (issue 8): a web form relaying a
// parent's "mijn mail is niet bezorgd" is no bounce.
func textBounce(s signSet, subjectLine string, returnsMessage bool) (string, bool) {
	var subject, text, system sign
	for _, x := range s {
		switch {
		case x.kind == KindBounceWords && strings.HasPrefix(x.what, "subject"):
			subject = x
		case x.kind == KindBounceWords:
			text = x
		case x.kind == KindMailSystem && system.kind == "":
			system = x
		}
	}
	switch {
	case system.kind != "" && subject.kind != "":
		return system.what + ", " + subject.what, true
	case system.kind != "" && text.kind != "":
		return system.what + ", " + text.what, true
	case system.kind != "" && returnsMessage:
		return system.what + ", a returned message", true
	}
	for _, x := range s {
		automatic := (x.kind == KindAutomatic && !strings.HasPrefix(x.what, "multipart/report")) || x.kind == KindList
		switch {
		case automatic && subject.kind != "":
			return x.what + ", " + subject.what, true
		case (automatic || x.kind == KindNoReply) && text.kind != "" && returnsMessage:
			return x.what + ", " + text.what + ", a returned message", true
		}
	}
	if subject.kind != "" && text.kind != "" && !forwardedSubject(subjectLine) {
		return subject.what + ", " + text.what, true
	}
	return "", false
}

// forwardedSubject: a person passing a report on writes "Fwd:", "Fw:",
// "TR:" (French), "WG:" (German) or "Doorst:" (Dutch) before its subject.
func forwardedSubject(subject string) bool {
	l := strings.ToLower(strings.TrimSpace(subject))
	for _, p := range []string{"fwd:", "fw:", "tr:", "wg:", "doorst:", "fwd ", "[fwd"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// ndrSubjectSign and ndrWordingSign are the bounce-words rules.
func ndrSubjectSign(v *view) (string, bool) {
	if ndrSubject(v.m.Subject()) {
		return "subject " + quoteShort(v.m.Subject()), true
	}
	return "", false
}

func ndrWordingSign(v *view) (string, bool) {
	if p, ok := ndrWording(v.text); ok {
		return `text "` + p + `"`, true
	}
	return "", false
}

// ndrSubject recognises the subject of a non-delivery report. Most MTAs put
// their words first (the returned subject, if any, follows), so most
// markers must open the subject; some gateways put them last (French
// Exchange "Objet : non remis", E500 "... - Returned Mail"). An
// out-of-office reply repeating a complaint's subject "pakket niet bezorgd"
// is no bounce: out-of-office subjects are left alone.
func ndrSubject(subject string) bool {
	lower := strings.ToLower(strings.TrimSpace(subject))
	if autoReplySubject(lower) {
		return false
	}
	for _, p := range ndrSubjectPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	end := strings.TrimRight(lower, " .!)")
	// "… : non remis (delivery failed)": the words may precede a
	// parenthesised English gloss.
	bare := end
	if i := strings.LastIndex(end, "("); i > 0 {
		bare = strings.TrimRight(end[:i], " .!")
	}
	for _, p := range ndrSubjectSuffixes {
		if strings.HasSuffix(end, p) || strings.HasSuffix(bare, p) {
			return true
		}
	}
	return false
}

// ndrSubjectPrefixes open the subjects of non-delivery reports.
var ndrSubjectPrefixes = []string{
	"undelivered mail returned to sender", // Postfix
	"undeliverable",                       // Exchange, Office 365
	"undelivered mail", "undelivered message", "undeliverable mail",
	"onbestelbaar", "niet te bezorgen", "niet bezorgd", // Exchange, Dutch
	"non remis", "non distribuable", "unzustellbar", "nicht zustellbar", "no se puede entregar", // Exchange fr, de, es
	"delivery status notification", // Gmail, Outlook.com, Amazon SES, OpenSMTPD
	"mail delivery status notification",
	"mail delivery failed", // Exim
	"mail delivery failure",
	"mail failure", // Exim "Mail failure - malformed recipient address"
	"mail failed",  // "mail failed, returning to sender"
	"failed delivery",
	"failure notice",                    // qmail, Yahoo
	"deferral notice", "success notice", // qmail and ezmlm warning and success
	"returned mail",                                       // sendmail, E500 "Returned Mail - Error During Delivery"
	"warning: could not send message", "warning: message", // sendmail, Exim delay warnings
	"warning--could not send mail", "warning - could not send", // sendmail-like gateways
	"postmaster notify",
	"delivery failure", // Lotus Domino
	"delivery notification",
	"notice: mail delivery status", // Courier
	"mail delivery warning",        // "advisory-only" delay notices (flufl.bounce simple_35)
	"failed mail",                  // LLNL "FAILED MAIL to …"
	"permanent delivery failure",   // MDaemon
	"mail could not be delivered", "mail error", "processing error", "non-delivery",
	"mail delivery status",
	"mail system error", // KDDI ezweb "Mail System Error - Returned Mail"
	"message not delivered", "delivery has failed", "delivery failed", "delivery delayed",
	"email bounce notification",
	"there was an error sending your mail",
	"nondeliverable mail", "non-delivery",
	"successful mail delivery report",    // Postfix success DSN
	"delivered:", "relayed:", "bezorgd:", // Exchange delivery receipts
}

// ndrSubjectSuffixes close them.
var ndrSubjectSuffixes = []string{
	": non remis", ": onbestelbaar", ": unzustellbar", ": undeliverable", "- undeliverable",
	"returned mail", "returned to sender", "returning to sender", "error during delivery",
	"mail failure", // Mail.ru writes Russian first, English last
	"could not be delivered", "has not been delivered", "user unknown", "no such user", "delivery failed",
}

// ndrWording finds what a non-delivery report says in its text: the first
// of ndrPhrases it contains.
func ndrWording(text string) (string, bool) {
	return ndrPhrases.first(strings.ToLower(text))
}

// ndrPhrases are the words of non-delivery reports, in the order they are
// reported.
var ndrPhrases = newPhraseSet(
	"could not be delivered", "couldn't be delivered", "was not delivered", "wasn't able to deliver",
	"unable to deliver", "trouble delivering", "delivery has failed", "failed permanently",
	"permanent error", "permanent fatal error", "not yet been delivered", "has been delayed",
	"message not delivered", "undeliverable", "did not reach the following", "invalid user",
	"no such user", "user unknown", "bounce notification", "returned to sender",
	"kon niet worden bezorgd", "kan niet worden bezorgd", "niet worden afgeleverd", "nicht zugestellt",
	"n'a pas pu être remis", "non remis", "konnte nicht zugestellt", "error delivering your mail", "error during delivery",
	"had delivery errors", "rejected by a remote mail server", "failed addresses follow", "no valid recipients",
	"delivery to the following recipient", "could not be sent to", "not a valid user",
	"cannot be delivered", "has not been delivered", "returned mail follows", "has been returned",
	"n'a pas pu etre delivre", "delivery of email to this address", "has been postponed",
	"无法发送", "发送失败", "退信", // Chinese gateways (Sina: flufl.bounce sina_01)
)
