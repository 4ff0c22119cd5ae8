package workflow

import "strings"

// Who sent a message: the sender rules of the evidence table
// (classify_rules.go).

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
	if strings.HasSuffix(strings.TrimSpace(raw), "<>") { // also `"Jetmail System" <>`
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

// isMailSystemLocal: the mailboxes mail systems send from. MDaemon's
// notices come from "MDaemon@", E500 gateways' from
// "E500_SMTP_Mail_Service@" (flufl.bounce simple_27, bounce_02).
func isMailSystemLocal(l string) bool {
	switch l {
	case "mailerdaemon", "maildaemon", "postmaster", "mdaemon":
		return true
	}
	return strings.HasSuffix(l, "smtpmailservice")
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
