package workflow

import (
	"net/textproto"
	"strings"
)

// Recognising delivery reports (bounces): multipart/report per RFC 3464 and
// RFC 6522, and the plain-text reports of the common mail servers.

// bounceReport recognises a delivery status notification (RFC 3464, sent
// as multipart/report, RFC 6522) or one of the plain-text non-delivery
// reports MTAs wrote before (and still write beside) it.
func bounceReport(m Mail, h textproto.MIMEHeader) (Classification, bool) {
	c := Classification{Class: ClassBounce}
	ds := m.DeliveryStatus()
	switch {
	case m.ContentType() == "multipart/report" && m.ReportType() == "delivery-status":
		c.Reason = "multipart/report; report-type=delivery-status"
	case ds != nil:
		c.Reason = "message/delivery-status part"
	case h.Get("X-Failed-Recipients") != "":
		// Exim sets it on its bounces only.
		c.Reason = "X-Failed-Recipients: " + h.Get("X-Failed-Recipients")
	default:
		if n, ok := sesNotification(m.Text()); ok {
			return n, true
		}
		reason, ok := textBounce(m, h)
		if !ok {
			return Classification{}, false
		}
		c.Reason = reason
	}
	c.Outcome, c.Recipients = dsnOutcome(ds)
	if c.Outcome == "" {
		c.Outcome, c.Recipients = dsnOutcome([]textproto.MIMEHeader{dsnFieldsInText(m.Text())})
	}
	if c.Outcome == "" {
		c.Outcome = textOutcome(m.Subject(), m.Text())
	}
	if len(c.Recipients) == 0 {
		c.Recipients = bouncedRecipients(m, h)
	}
	c.OriginalIDs = returnedIDs(m)
	return c, true
}

// textBounce recognises a non-delivery report without delivery-status
// part: automatic mail with the subject of one (Postfix, Exim, qmail,
// sendmail, Exchange 2003, Domino, Gmail, Yahoo...), or mail from a mail
// system (or a no-reply address) whose text says a message could not be
// delivered (KDDI, Apache James, X6). A null Return-Path alone is not
// enough: out-of-office replies have one too.
func textBounce(m Mail, h textproto.MIMEHeader) (string, bool) {
	daemon, isDaemon := daemonSender(m, h)
	noReply, isNoReply := noReplySender(m)
	rp, hasRP := m.ReturnPath()
	_, isAuto := autoSubmitted(h)
	if ndrSubject(m.Subject()) {
		subject := ", subject " + quoteShort(m.Subject())
		switch {
		case isDaemon:
			return "sender " + daemon + subject, true
		case isNoReply:
			return "sender " + noReply + subject, true
		case hasRP && rp == "":
			return "Return-Path: <>" + subject, true
		case isAuto:
			return "Auto-Submitted" + subject, true
		}
	}
	// The text alone only counts from a mail system: an out-of-office reply
	// may quote a complaint about mail that was "not delivered".
	if isDaemon || isNoReply {
		if phrase, ok := ndrWording(m.Text()); ok {
			sender := daemon
			if !isDaemon {
				sender = noReply
			}
			return "sender " + sender + `, text "` + phrase + `"`, true
		}
	}
	return "", false
}

// ndrSubject recognises the subject of a non-delivery report. Most MTAs put
// their words first (the returned subject, if any, follows), so most
// markers must open the subject; an out-of-office reply repeating a
// complaint's subject "pakket niet bezorgd" is not a bounce.
func ndrSubject(subject string) bool {
	lower := strings.ToLower(strings.TrimSpace(subject))
	for _, p := range []string{
		"undelivered mail returned to sender", // Postfix
		"undeliverable",                       // Exchange, Office 365
		"undelivered mail", "undelivered message",
		"onbestelbaar", "niet te bezorgen", "niet bezorgd", // Exchange, Dutch
		"non remis", "unzustellbar", "no se puede entregar", // Exchange, French, German, Spanish
		"delivery status notification", // Gmail, Outlook.com, Amazon SES, OpenSMTPD
		"mail delivery failed",         // Exim
		"mail delivery failure",
		"failure notice",                    // qmail, Yahoo
		"deferral notice", "success notice", // qmail and ezmlm warning and success
		"returned mail",                                       // sendmail
		"warning: could not send message", "warning: message", // sendmail, Exim delay warnings
		"postmaster notify",
		"delivery failure", // Lotus Domino
		"delivery notification",
		"notice: mail delivery status", // Courier
		"mail delivery status",
		"message not delivered", "delivery has failed", "delivery failed", "delivery delayed",
		"email bounce notification",
		"there was an error sending your mail",
		"successful mail delivery report",    // Postfix success DSN
		"delivered:", "relayed:", "bezorgd:", // Exchange delivery receipts
	} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	// Mail.ru writes Russian first, English last.
	return strings.HasSuffix(lower, "mail failure.")
}

// ndrWording finds what a non-delivery report says in its text.
func ndrWording(text string) (string, bool) {
	lower := strings.ToLower(text)
	for _, p := range []string{
		"could not be delivered", "couldn't be delivered", "was not delivered", "wasn't able to deliver",
		"unable to deliver", "trouble delivering", "delivery has failed", "failed permanently",
		"permanent error", "permanent fatal error", "not yet been delivered", "has been delayed",
		"message not delivered", "undeliverable", "did not reach the following", "invalid user",
		"no such user", "user unknown", "bounce notification", "returned to sender",
		"kon niet worden bezorgd", "kan niet worden bezorgd", "niet worden afgeleverd", "nicht zugestellt",
	} {
		if strings.Contains(lower, p) {
			return p, true
		}
	}
	return "", false
}
