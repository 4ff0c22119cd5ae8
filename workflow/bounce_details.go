package workflow

import (
	"mime"
	"net/textproto"
	"strings"
)

// What a delivery report says: the outcome, the recipients it is about and
// the Message-IDs of the message it returns.

// dsnOutcome reads the per-recipient groups of a delivery-status part
// (RFC 3464 section 2.3): the Action, else the class of the Status. When
// recipients differ, the worst outcome is reported with its recipients.
func dsnOutcome(groups []textproto.MIMEHeader) (string, []string) {
	rank := map[string]int{OutcomeDelivered: 1, OutcomeDelayed: 2, OutcomeFailed: 3}
	outcome := ""
	var rcpts []string
	for _, g := range groups {
		o := actionOutcome(g.Get("Action"), g.Get("Status"))
		if o == "" || rank[o] < rank[outcome] {
			continue
		}
		if rank[o] > rank[outcome] {
			outcome, rcpts = o, nil
		}
		// Original-Recipient is the address as we gave it (with ORCPT),
		// Final-Recipient the one the reporting MTA tried: both may be
		// needed to find the participant.
		for _, k := range []string{"Original-Recipient", "Final-Recipient"} {
			if a := dsnAddress(g.Get(k)); a != "" {
				rcpts = appendNew(rcpts, a)
			}
		}
	}
	return outcome, rcpts
}

// actionOutcome maps an RFC 3464 Action (section 2.3.3) and Status
// (section 2.3.4, RFC 3463 classes) to an outcome. The Action decides:
// Yahoo answers "failed" with a 4.x.x status when it gives up.
func actionOutcome(action, status string) string {
	switch a := strings.ToLower(strings.TrimSpace(action)); {
	case strings.HasPrefix(a, "failed"):
		return OutcomeFailed
	case strings.HasPrefix(a, "delayed"):
		return OutcomeDelayed
	case strings.HasPrefix(a, "delivered"), strings.HasPrefix(a, "relayed"), strings.HasPrefix(a, "expanded"),
		strings.HasPrefix(a, "deliverable"): // sendmail's answer to a verify request
		return OutcomeDelivered
	}
	switch s := strings.TrimSpace(status); {
	case strings.HasPrefix(s, "5."):
		return OutcomeFailed
	case strings.HasPrefix(s, "4."):
		return OutcomeDelayed
	case strings.HasPrefix(s, "2."):
		return OutcomeDelivered
	}
	return ""
}

// dsnFieldsInText picks the delivery-status fields out of a report whose
// structure is broken or that pasted them into its text (Amazon WorkMail):
// the worst Action, and the first Status and recipient with it.
func dsnFieldsInText(text string) textproto.MIMEHeader {
	g := textproto.MIMEHeader{}
	for line := range strings.Lines(text) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch k := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(key)); k {
		case "Action":
			if g.Get(k) == "" || actionOutcome(value, "") == OutcomeFailed {
				g.Set(k, strings.TrimSpace(value))
			}
		case "Status", "Final-Recipient", "Original-Recipient":
			if g.Get(k) == "" {
				g.Set(k, strings.TrimSpace(value))
			}
		}
	}
	return g
}

// textOutcome reads the outcome of a report from its words. Delay
// warnings say so (Exim, sendmail, Gmail, Postfix, OpenSMTPD); anything
// else is a classic non-delivery report: a failure.
func textOutcome(subject, text string) string {
	s, t := strings.ToLower(subject), strings.ToLower(text)
	if strings.HasPrefix(s, "successful mail delivery report") || strings.HasPrefix(s, "success notice") ||
		strings.HasPrefix(s, "delivered:") ||
		strings.HasPrefix(s, "relayed:") || strings.HasPrefix(s, "bezorgd:") ||
		strings.Contains(t, "delivery report that you requested") {
		return OutcomeDelivered
	}
	// Words of a final failure win over a "Warning:" subject (MDaemon
	// "Warning: a@b - User unknown!").
	for _, p := range []string{"permanent", "no such user", "user unknown", "does not exist", "not a valid user"} {
		if strings.Contains(t, p) || strings.Contains(s, p) {
			return OutcomeFailed
		}
	}
	if strings.Contains(s, "delay") || strings.HasPrefix(s, "warning") || strings.Contains(s, "vertraagd") || strings.HasPrefix(s, "deferral notice") {
		return OutcomeDelayed
	}
	for _, p := range []string{
		"has not yet been delivered", "will continue to try", "will keep trying", "will be retried",
		"attempts will continue", "will continue to be made", "continue to try to deliver",
		"warning message only", "this is a warning only", "has been delayed", "temporary failure report",
		"still trying", "nog niet bezorgd", "vertraagd",
	} {
		if strings.Contains(t, p) {
			return OutcomeDelayed
		}
	}
	return OutcomeFailed
}

// dsnAddress reads an address field "address-type; address" (RFC 3464
// section 2.3.2), decoding the RFC 2047 words some MTAs leave in it.
func dsnAddress(v string) string {
	if _, addr, ok := strings.Cut(v, ";"); ok {
		v = addr
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if i := strings.IndexAny(v, " \t("); i >= 0 {
		v = v[:i]
	}
	// A junk "Final-Recipient: rfc822; @host" names nobody.
	if at := strings.IndexByte(v, '@'); at <= 0 || at == len(v)-1 {
		return ""
	}
	return normalAddress(v)
}

// normalAddress is addr lower-case, with the RFC 2047 words that sendmail
// leaves in reported addresses decoded ("=?utf-8?B?…?=@example.org").
func normalAddress(addr string) string {
	if strings.Contains(addr, "=?") {
		if d, err := new(mime.WordDecoder).DecodeHeader(addr); err == nil {
			addr = d
		}
	}
	return strings.ToLower(addr)
}

// bouncedRecipients finds the failed addresses of a report without
// delivery-status fields: X-Failed-Recipients (Exim), else the addresses
// the text presents as recipients, else the To of the returned message.
func bouncedRecipients(m Mail, h textproto.MIMEHeader) []string {
	var out []string
	for _, v := range h.Values("X-Failed-Recipients") {
		for _, a := range strings.Split(v, ",") {
			if a := dsnAddress(a); a != "" {
				out = appendNew(out, a)
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	report, returned := splitReturnedCopy(m.Text())
	for line := range strings.Lines(report) {
		for _, a := range recipientsInLine(line) {
			out = appendNew(out, a)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, e := range m.EmbeddedHeaders() {
		for _, a := range addressesIn(e.Get("To")) {
			out = appendNew(out, strings.ToLower(a))
		}
	}
	if len(out) > 0 {
		return out
	}
	// The returned header pasted into the text (sendmail V5, qmail).
	for line := range strings.Lines(returned) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "to") {
			for _, a := range addressesIn(strings.TrimSpace(v)) {
				out = appendNew(out, strings.ToLower(a))
			}
			break
		}
	}
	return out
}

// splitReturnedCopy splits the text of a plain-text report into the report
// and the copy of the returned message that MTAs append after a line such
// as "------ This is a copy of the message, including all the headers.
// ------" (Exim), "--- Below this line is a copy of the message." (qmail)
// or "----- Original message -----" (Gmail).
func splitReturnedCopy(text string) (report, returned string) {
	pos := 0
	for line := range strings.Lines(text) {
		l := strings.ToLower(strings.TrimSpace(line))
		if strings.Contains(l, "copy of the message") || strings.Contains(l, "copy of the original message") ||
			l == "original message:" || strings.HasPrefix(l, "original message follows") ||
			strings.Contains(l, "returned mail follows") || strings.Contains(l, "header of the source mail") ||
			strings.Contains(l, "original message as received") || strings.Contains(l, "summary of the undelivered message") ||
			strings.Trim(l, "- ") == "returned mail" || strings.Contains(l, "message header follows") ||
			strings.Contains(l, "below this line") ||
			(strings.HasPrefix(l, "---") && (strings.Contains(l, "original message") || strings.Contains(l, "message follows") ||
				strings.Contains(l, "returned message") || strings.Contains(l, "unsent message"))) {
			return text[:pos], text[pos:]
		}
		pos += len(line)
	}
	return text, ""
}

// returnedCopyInText reports whether a plain-text report pastes the
// returned message after a marker line (see splitReturnedCopy).
func returnedCopyInText(text string) bool {
	_, returned := splitReturnedCopy(text)
	return returned != ""
}

// recipientsInLine returns the addresses a report line presents as
// failed recipients: an address opening the line ("<a@b>:" in Postfix and
// qmail, an indented address in Exim and Gmail), or one after words such as
// "RCPT TO:", "recipients:" or "delivered to:". Addresses after other words
// (the support address, "MAIL FROM:", "To:" of the original) are not.
func recipientsInLine(line string) []string {
	var out []string
	for i := 0; i < len(line); i++ {
		if line[i] != '@' {
			continue
		}
		start, end := i, i+1
		for start > 0 && isLocalChar(line[start-1]) {
			start--
		}
		// 'james@host' (demon.net) and X.400 "dda:SMTP=USER@HOST" (Exchange
		// 5.5): the quote and the attribute are not part of the address.
		for start < i && line[start] == '\'' {
			start++
		}
		if j := strings.LastIndex(strings.ToLower(line[start:i]), "smtp="); j >= 0 {
			start += j + len("smtp=")
		}
		for end < len(line) && isDomainChar(line[end]) {
			end++
		}
		domain := strings.TrimRight(line[i+1:end], ".-")
		if start == i || !strings.Contains(domain, ".") {
			continue
		}
		// The words just before the address decide; reading only the last
		// 100 bytes keeps a line with many addresses linear.
		prefix := strings.ToLower(strings.TrimRight(strings.TrimSpace(line[max(0, start-100):start]), `<"'`))
		prefix = strings.TrimSpace(prefix)
		addr := normalAddress(line[start:i+1] + domain)
		switch normalLocal(addr) {
		case "mailerdaemon", "maildaemon", "postmaster":
			continue
		}
		if prefix == "" || prefix == "--" || prefix == "*" || prefix == "-" || prefix == "•" || failureLabel(prefix) || hasAnySuffix(prefix,
			// demon.net, LLNL, Exchange 5.5 X.400, sendmail
			"addressed to", "addressed,", "smtp=", "expanded from:",
			"rcpt to:", "rcpt:", "recipient:", "recipients:", "address:",
			"delivered to:", "errors:", "failed:", "rfc822;",
			// prose: "There was an error delivering your mail to <a@b>.",
			// "Delivery to the following recipient failed: a@b"
			"mail to", "message to", "delivering to", "delivery to", "deliver to", "failed:", "recipient", "recipients",
			"address", "addresses", "follow:", "following:", "user", "mailbox") {
			out = append(out, addr)
		}
		i = end
	}
	return out
}

// failureLabel reports whether the words before an address are a label
// that says delivery to it failed: "Delivery failed 20 attempts:" (Imail),
// "User's mailbox is full:" (RFC 3464 gateways).
func failureLabel(prefix string) bool {
	// "There was an error delivering your mail to <a@b>.", "undeliverable
	// to a@b" (Imail).
	if strings.HasSuffix(prefix, " to") && strings.Contains(prefix, "deliver") {
		return true
	}
	if !strings.HasSuffix(prefix, ":") {
		return false
	}
	for _, w := range []string{"fail", "full", "unknown", "not ", "error", "reject", "unable", "invalid"} {
		if strings.Contains(prefix, w) {
			return true
		}
	}
	return false
}

func isLocalChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isDomainChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// returnedIDs finds the Message-IDs of the message a report returns: from
// the returned message or header part, else from a Message-ID line in the
// report's text, else the In-Reply-To and References of the report itself
// (Exchange sets them).
func returnedIDs(m Mail) []string {
	var ids []string
	for _, e := range m.EmbeddedHeaders() {
		if id := msgID(e.Get("Message-Id")); id != "" {
			ids = appendNew(ids, id)
		}
	}
	if len(ids) > 0 {
		return ids
	}
	own := m.MessageID()
	for line := range strings.Lines(m.Text()) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && isMessageIDLabel(k) {
			if id := msgID(v); id != "" && id != own {
				ids = appendNew(ids, id)
			}
		}
	}
	if len(ids) > 0 {
		return ids
	}
	for _, id := range append(m.InReplyTo(), m.References()...) {
		ids = appendNew(ids, id)
	}
	return ids
}

// isMessageIDLabel recognises the labels under which reports quote the
// returned message's Message-ID: the header itself (pasted headers,
// sendmail V5, qmail), "Original-Message-ID" (RFC 8098 style, Mimecast,
// Exchange's text part), "X-Original-Message-ID", "Message ID" (Domino,
// gateways writing prose).
func isMessageIDLabel(k string) bool {
	k = strings.ToLower(strings.TrimSpace(strings.TrimLeft(k, "> \t")))
	switch strings.ReplaceAll(strings.ReplaceAll(k, " ", "-"), "_", "-") {
	case "message-id", "original-message-id", "x-original-message-id", "original-msgid", "msgid":
		return true
	}
	return false
}

// msgID reads one msg-id (RFC 5322 section 3.6.4) without its brackets.
func msgID(v string) string {
	v = strings.TrimSpace(v)
	if lt := strings.IndexByte(v, '<'); lt >= 0 {
		if gt := strings.IndexByte(v[lt:], '>'); gt > 0 {
			v = v[lt+1 : lt+gt]
		}
	}
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t<>") {
		return ""
	}
	return v
}

// maxReported bounds the recipients and Message-IDs read from one report:
// a hostile report listing a million distinct addresses must not cost a
// million squared comparisons. No real report names more than a few.
const maxReported = 100

func appendNew(list []string, s string) []string {
	if len(list) >= maxReported {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
