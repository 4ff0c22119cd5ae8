package workflow

import (
	"context"
	"net/mail"
	"strings"
)

// The evidence table: every sign of machine mail the classifier knows, with
// what it points to, how much it weighs and where the rule comes from. To
// teach the classifier a new sign, add a row (and a corpus file showing it,
// testdata/corpus/README.md). weigh turns the signs a message carries into
// its class.

// What a sign points to.
const (
	KindDeliveryReport   = "delivery-report"    // structure of a DSN/NDR: the message is a bounce
	KindBounceWords      = "bounce-words"       // subject or text says a message was not delivered
	KindMailSystem       = "mail-system"        // the sender is a mail system (MAILER-DAEMON, postmaster)
	KindAutomatic        = "automatic"          // generic automatic mail (RFC 3834 marks, null reverse path)
	KindOutOfOffice      = "out-of-office"      // vacation and out-of-office replies, autoresponders
	KindList             = "list"               // mail from a mailing list or bulk sender
	KindFeedbackReport   = "feedback-report"    // abuse/feedback reports (ARF and older formats)
	KindReadReceipt      = "read-receipt"       // message disposition notifications
	KindListManager      = "list-manager"       // a list manager's answer ("you are not a member", "Loop Alert")
	KindChallenge        = "challenge-response" // "confirm you are human before I read your mail" robots
	KindVirusNotice      = "antivirus-notice"   // a gateway telling it held or cleaned a message
	KindNoReply          = "no-reply"           // a sender address nobody reads
	KindAutoReplySubject = "auto-reply-subject" // a subject such as "Afwezig", "Automatic reply"
)

// strength says how far a sign can be trusted on its own.
type strength int

const (
	// weak signs (subject words, no-reply-looking senders) count only for a
	// message that answers ours: a parent may well write "Niet aanwezig bij
	// de overdracht" from a noreply-ish address (issue 8).
	weak strength = iota + 1
	// strong signs are decisive: headers and structures only software
	// writes, and documented formats of mail systems.
	strong
)

// sign is one piece of evidence a rule found in a message.
type sign struct {
	kind     string
	strength strength
	what     string // what was seen, for the reason: `Auto-Submitted: auto-replied`
}

// rule is one row of the evidence table.
type rule struct {
	kind     string
	strength strength
	source   string // the RFC, the MTA's documented format or the sample it comes from
	match    func(v *view) (string, bool)
}

// rules is the evidence table. Order does not matter: weigh looks at all
// signs together.
var rules = []rule{
	// Delivery reports by structure.
	{KindDeliveryReport, strong, "RFC 6522, RFC 3464: multipart/report; report-type=delivery-status", dsnReportSign},
	{KindDeliveryReport, strong, "RFC 3464 section 2: a message/delivery-status part, wherever it is", dsnPartSign},
	{KindDeliveryReport, strong, "Exim spec. ch. 48 (bounce messages): X-Failed-Recipients", headerSign("X-Failed-Recipients")},
	{KindDeliveryReport, strong, "docs.aws.amazon.com/ses notification contents (SNS JSON)", sesSign},
	// What a bounce says, and who sends it.
	{KindBounceWords, strong, "subjects of Postfix, Exim, qmail, sendmail, Exchange (nl/en/de/fr/es), Domino, Gmail, Yahoo, Courier; sisimai set-of-emails", ndrSubjectSign},
	{KindBounceWords, strong, "texts of Postfix, Exim, qmail, Exchange, KDDI, James, X6, E500 gateways; sisimai set-of-emails, BounceParser corpus", ndrWordingSign},
	{KindMailSystem, strong, "RFC 5321 section 4.5.1 (postmaster), sendmail/Domino MAILER-DAEMON, Exchange \"System Administrator\"", mailSystemSign},
	// Generic marks of automatic mail.
	{KindAutomatic, strong, "RFC 3834 section 5: Auto-Submitted other than \"no\"", autoSubmittedSign},
	{KindAutomatic, strong, "RFC 3834 section 2, RFC 5321 section 4.5.5: a null reverse path (Return-Path: <>)", nullReturnPathSign},
	{KindOutOfOffice, strong, "procmail/vacation, cPanel, Zimbra: X-Autoreply, X-Autorespond, X-Autoresponse, X-Mail-Autoreply; iCloud: X-Apple-Action: VACATION", xAutoreplySign},
	{KindOutOfOffice, strong, "Exchange: X-MS-Exchange-Generated-Message-Source (Mailbox Rules Agent), X-MS-Exchange-Inbox-Rules-Loop", exchangeRulesSign},
	{KindOutOfOffice, strong, "Lotus Notes/Domino: subject \"AUTO: … is out of the office\" with X-MIMETrack or a Notes X-Mailer (BounceParser warning-6.msg)", lotusAutoSign},
	{KindList, strong, "RFC 2076 / RFC 3834 section 2: Precedence bulk, junk, list, auto_reply", precedenceSign},
	{KindList, strong, "RFC 2919 List-Id, RFC 2369 List-Unsubscribe", listHeaderSign},
	{KindList, strong, "news alerts and newsletters without list headers (Google News Alerts, newsalerts-noreply@): a no-reply sender with a subscription footer", subscriptionSign},
	// Other reports and robots.
	{KindFeedbackReport, strong, "RFC 5965: multipart/report; report-type=feedback-report", reportTypeSign("feedback-report")},
	{KindFeedbackReport, strong, "docs.aws.amazon.com/ses: SNS complaint notification (notificationType Complaint)", sesComplaintSign},
	{KindFeedbackReport, strong, "Hotmail JMRP before ARF: subject \"complaint about message from <IP>\" (sisimai arf-22..24)", hotmailComplaintSign},
	{KindReadReceipt, strong, "RFC 8098: multipart/report; report-type=disposition-notification", reportTypeSign("disposition-notification")},
	{KindAutomatic, strong, "RFC 6522: any other multipart/report", otherReportSign},
	{KindListManager, strong, "fml: X-MLServer/X-ML-Info with \"are not member\" or \"Loop Alert\" (sisimai lhost-fml-*)", listManagerSign},
	{KindChallenge, strong, "Boxbe (X-Boxbe-Notice, \"Guest List\"), Bluebottle (X-Bluebottle-Request) challenge-response (BounceParser boxbe-cr*.msg, bluebottle.msg)", challengeSign},
	{KindVirusNotice, strong, "antivirus gateways (McAfee, Trend Micro, SurfControl, amavis) notices sent from a mail system", virusNoticeSign},
	// Weak signs.
	{KindAutoReplySubject, weak, "out-of-office subjects of Exchange/Outlook, Gmail, iCloud in nl/en/de/fr/es/it/pl/sv/fi", autoReplySubjectSign},
	{KindNoReply, weak, "no-reply senders: noreply@, no-reply@, donotreply@, newsalerts-noreply@ …", noReplySign},
}

// collectSigns runs every rule over the message.
func collectSigns(v *view) []sign {
	var out []sign
	for _, r := range rules {
		if what, ok := r.match(v); ok {
			out = append(out, sign{kind: r.kind, strength: r.strength, what: what})
		}
	}
	return out
}

// signSet answers questions about the signs of one message.
type signSet []sign

func (s signSet) first(kinds ...string) (sign, bool) {
	for _, x := range s {
		for _, k := range kinds {
			if x.kind == k {
				return x, true
			}
		}
	}
	return sign{}, false
}

// weigh decides a class from the signs:
//  1. a challenge-response robot, though it may dress as a DSN (Boxbe), is
//     not a bounce: the address works, a robot asks for a click;
//  2. a delivery report by structure is a bounce; so are bounce words from
//     a machine origin (a mail system, a null reverse path, Auto-Submitted,
//     a no-reply sender). Bounce words alone are not: a parent may write
//     "mijn mail is niet bezorgd";
//  3. any other strong sign is automatic mail of its kind;
//  4. weak signs only: automatic mail marked Weak (the caller checks the
//     message answers ours);
//  5. else a person.
func weigh(m Mail, signs []sign) Classification {
	s := signSet(signs)
	if c, ok := s.first(KindChallenge); ok {
		return Classification{Class: ClassAutoReply, Kind: KindChallenge, Reason: c.what}
	}
	if c, ok := bounceReport(m, s); ok {
		return c
	}
	for _, k := range []string{KindFeedbackReport, KindReadReceipt, KindListManager, KindVirusNotice, KindOutOfOffice,
		KindList, KindAutomatic, KindMailSystem} {
		if x, ok := s.first(k); ok {
			return Classification{Class: ClassAutoReply, Kind: k, Reason: x.what}
		}
	}
	var reasons []string
	kind := ""
	for _, x := range s {
		if x.strength == weak {
			reasons = append(reasons, x.what)
			if kind == "" {
				kind = x.kind
			}
		}
	}
	if len(reasons) > 0 {
		return Classification{Class: ClassAutoReply, Kind: kind, Weak: true, Reason: "weak signs only: " + strings.Join(reasons, ", ")}
	}
	return Classification{Class: ClassHuman, Reason: "no sign of automatic mail"}
}

// answersOurs reports whether m answers something of ours: it matches a
// case (a reply token, a Message-ID we stored, or the reference in the
// subject from a participant). It decides whether weak signs count.
func (w *Workflow) answersOurs(ctx context.Context, m Mail, sender *mail.Address) (bool, error) {
	from := ""
	if sender != nil {
		from = strings.ToLower(sender.Address)
	}
	cm, err := w.findCase(ctx, m, from)
	if err != nil {
		return false, err
	}
	return cm.c != nil, nil
}
