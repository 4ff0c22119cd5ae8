package workflow

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
)

// Trust policies: what proves a message comes from a handler. A From header
// alone proves nothing; anyone can write any address there.
const (
	TrustToken        = "token"          // the handler's own signed reply token (the default)
	TrustDMARC        = "dmarc"          // the receiving server's Authentication-Results
	TrustTokenOrDMARC = "token_or_dmarc" // either
)

// verdict is what verifying a message in a handler's name came to.
type verdict struct {
	handler  Handler
	verified bool
	how      string // "token", "dmarc", "dkim"; or why it failed (English, for the log and the timeline)
	told     string // why it failed, in the organisation's language, for the handler's alert
}

// verifyHandler decides whether a message whose From is a handler's address
// really comes from that handler: it carries that handler's own reply token,
// or the trusted receiving server (organisation setting trust.authserv_id)
// recorded a DMARC pass, or an aligned DKIM pass, for the handler's domain
// (RFC 8601, RFC 7489).
func (w *Workflow) verifyHandler(ctx context.Context, m Mail, h Handler, cm caseMatch) (verdict, error) {
	v := verdict{handler: h}
	if why := singleFrom(m); why != "" {
		v.how = why
		if n := len(m.Header().Values("From")); n != 1 {
			v.told = w.phrase("spoof.from_count", n)
		} else {
			v.told = w.phrase("spoof.from_addrs", len(m.From()))
		}
		return v, nil
	}
	policy := w.set.Trust.Policy
	var why, told []string
	if policy == TrustToken || policy == TrustTokenOrDMARC {
		if cm.via == "token" {
			p, err := participantByID(ctx, w.db, cm.token.ParticipantID)
			if err != nil {
				return v, err
			}
			if p.Role == RoleHandler && strings.EqualFold(p.Email, h.Email) {
				v.verified, v.how = true, "token"
				return v, nil
			}
			why = append(why, "its reply token is not "+h.Email+"'s")
			told = append(told, w.phrase("spoof.token_other", h.Email))
		} else {
			why = append(why, "no reply token of "+h.Email)
			told = append(told, w.phrase("spoof.no_token", h.Email))
		}
	}
	if policy == TrustDMARC || policy == TrustTokenOrDMARC {
		if w.set.Trust.AuthservID == "" {
			why = append(why, "no trusted authserv-id is configured to read Authentication-Results from")
			told = append(told, w.phrase("spoof.no_authserv"))
		} else if how, ok, detail := authenticated(m.Header().Values("Authentication-Results"), w.set.Trust.AuthservID, domainOf(h.Email)); ok {
			v.verified, v.how = true, how
			return v, nil
		} else {
			why = append(why, detail)
			told = append(told, w.authFailure(detail, domainOf(h.Email)))
		}
	}
	v.how, v.told = strings.Join(why, "; "), strings.Join(told, "; ")
	return v, nil
}

// authFailure says in the organisation's language what authenticated's
// detail means; the server's own result stays as written, marked technical.
func (w *Workflow) authFailure(detail, domain string) string {
	id := w.set.Trust.AuthservID
	switch {
	case strings.HasPrefix(detail, "no Authentication-Results"):
		return w.phrase("spoof.no_authres", id)
	case strings.HasSuffix(detail, "cannot be read"):
		return w.phrase("spoof.authres_unreadable", id)
	}
	return w.phrase("spoof.dmarc", domain, strings.TrimPrefix(detail, "Authentication-Results of "+id+": "))
}

// authenticated reads the Authentication-Results header our own receiving
// server added (see ourAuthResults) and reports whether it shows, for
// domain, DMARC pass or, when the domain publishes no DMARC policy (no
// DMARC result, or dmarc=none), an aligned DKIM pass (RFC 7489 section 3.1).
// Only the first DMARC result counts: a later one may come from a
// misbehaving filter or from text a sender smuggled in. The DMARC result
// must name domain in header.from; any other verdict, an ambiguous result or
// a header that cannot be read verifies nothing.
func authenticated(headers []string, authservID, domain string) (how string, ok bool, detail string) {
	ar, found, err := ourAuthResults(headers, authservID)
	switch {
	case !found:
		return "", false, "no Authentication-Results from " + authservID
	case err != nil:
		return "", false, "the Authentication-Results of " + authservID + " cannot be read"
	}
	detail = "Authentication-Results of " + authservID + ": " + ar.summary()
	if d, ok := ar.first("dmarc"); ok && d.result != "none" {
		from := d.props["header.from"]
		switch {
		case d.result != "pass" || d.ambiguous:
			return "", false, detail
		case !sameDomain(from, domain):
			return "", false, detail + " (DMARC pass for " + strings.ToValidUTF8(from, "?") + ", not " + domain + ")"
		}
		return "dmarc", true, ""
	}
	for _, r := range ar.results {
		if r.method == "dkim" && r.result == "pass" && !r.ambiguous && aligned(r.props["header.d"], domain) {
			return "dkim", true, ""
		}
	}
	return "", false, detail
}

// UnverifiedMark is how a message whose sender's domain failed DMARC at our
// own receiving server is marked in the case's timeline (cases show).
const UnverifiedMark = "[NOT VERIFIED: the receiving server says the sender's domain failed DMARC; it may be forged]"

// dmarcFailed reports whether our own receiving server recorded that the
// message failed DMARC for its From domain, or wrote a header that cannot
// be read: such a message may come from anyone, and is marked so wherever
// it is shown. Without trust.authserv_id nothing is known and nothing is
// marked.
func (w *Workflow) dmarcFailed(m Mail) (bool, string) {
	id := w.set.Trust.AuthservID
	if id == "" {
		return false, ""
	}
	ar, found, err := ourAuthResults(m.Header().Values("Authentication-Results"), id)
	switch {
	case !found:
		return false, ""
	case err != nil:
		return true, "the Authentication-Results of " + id + " cannot be read"
	}
	if d, ok := ar.first("dmarc"); ok && (d.result == "fail" || d.ambiguous) {
		return true, id + " recorded dmarc=" + d.result + " for the sender's domain"
	}
	return false, ""
}

// singleFrom reports why a message's From cannot name one sender: more than
// one From header, or more than one address in it. The daemon reads the
// first From; DKIM signers and DMARC checkers may judge another one (RFC
// 5322 section 3.6 allows exactly one From field, RFC 7489 section 6.6.1 one
// author domain), so such a message is never verified as a handler's.
func singleFrom(m Mail) string {
	if n := len(m.Header().Values("From")); n != 1 {
		return fmt.Sprintf("it has %d From headers", n)
	}
	if n := len(m.From()); n != 1 {
		return fmt.Sprintf("its From holds %d addresses", n)
	}
	return ""
}

// aligned reports relaxed DMARC alignment of a DKIM signing domain with the
// From domain (RFC 7489 section 3.1.1), approximated without the public
// suffix list: one must be the other or a subdomain of it.
func aligned(d, from string) bool {
	d, from = strings.ToLower(strings.TrimSuffix(d, ".")), strings.ToLower(from)
	if d == "" || !strings.Contains(d, ".") {
		return false
	}
	return d == from || strings.HasSuffix(from, "."+d) || strings.HasSuffix(d, "."+from)
}

func domainOf(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	return strings.ToLower(addr[strings.LastIndex(addr, "@")+1:])
}

// parseAddr reads one address, with or without a display name.
func parseAddr(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	return a.Address, nil
}
