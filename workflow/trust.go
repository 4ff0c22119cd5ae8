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
	TrustToken        = "token"          // the handler's own signed reply token
	TrustDMARC        = "dmarc"          // the receiving server's Authentication-Results
	TrustTokenOrDMARC = "token_or_dmarc" // either (the default)
)

// verdict is what verifying a message in a handler's name came to.
type verdict struct {
	handler  Handler
	verified bool
	how      string // "token", "dmarc", "dkim"; or why it failed
}

// verifyHandler decides whether a message whose From is a handler's address
// really comes from that handler: it carries that handler's own reply token,
// or the trusted receiving server (organisation setting trust.authserv_id)
// recorded a DMARC pass, or an aligned DKIM pass, for the handler's domain
// (RFC 8601, RFC 7489).
func (w *Workflow) verifyHandler(ctx context.Context, m Mail, h Handler, cm caseMatch) (verdict, error) {
	v := verdict{handler: h}
	policy := w.set.Trust.Policy
	var why []string
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
		} else {
			why = append(why, "no reply token of "+h.Email)
		}
	}
	if policy == TrustDMARC || policy == TrustTokenOrDMARC {
		if w.set.Trust.AuthservID == "" {
			why = append(why, "no trusted authserv-id is configured to read Authentication-Results from")
		} else if how, ok, detail := authenticated(m.Header().Values("Authentication-Results"), w.set.Trust.AuthservID, domainOf(h.Email)); ok {
			v.verified, v.how = true, how
			return v, nil
		} else {
			why = append(why, detail)
		}
	}
	v.how = strings.Join(why, "; ")
	return v, nil
}

// authenticated reads the Authentication-Results header our own receiving
// server added (the topmost one carrying its authserv-id: a sender can add
// headers further down, and RFC 8601 section 5 has the server remove any
// claiming its id) and reports whether it shows DMARC pass for domain, or
// DKIM pass with a signing domain aligned with it.
func authenticated(headers []string, authservID, domain string) (how string, ok bool, detail string) {
	for _, h := range headers {
		id, results := parseAuthResults(h)
		if !strings.EqualFold(id, authservID) {
			continue
		}
		var seen []string
		dkim := false
		for _, r := range results {
			seen = append(seen, r.method+"="+r.result)
			switch {
			case r.method == "dmarc" && r.result == "pass" && (r.props["header.from"] == "" || strings.EqualFold(r.props["header.from"], domain)):
				return "dmarc", true, ""
			case r.method == "dkim" && r.result == "pass" && aligned(r.props["header.d"], domain):
				dkim = true
			}
		}
		if dkim {
			return "dkim", true, ""
		}
		return "", false, fmt.Sprintf("Authentication-Results of %s: %s", id, strings.Join(seen, ", "))
	}
	return "", false, "no Authentication-Results from " + authservID
}

// authResult is one method's result in an Authentication-Results header.
type authResult struct {
	method, result string
	props          map[string]string
}

// parseAuthResults splits an Authentication-Results value (RFC 8601 section
// 2.2): authserv-id [version] ; method=result prop=value … ; …. An Exchange
// header without an authserv-id starts with a method and gives id "".
func parseAuthResults(v string) (id string, results []authResult) {
	parts := strings.Split(stripComments(v), ";")
	first := strings.Fields(parts[0])
	if len(first) == 0 || strings.Contains(first[0], "=") {
		return "", nil
	}
	id = first[0]
	for _, p := range parts[1:] {
		fields := strings.Fields(p)
		if len(fields) == 0 {
			continue
		}
		method, result, ok := strings.Cut(fields[0], "=")
		if !ok {
			continue
		}
		method, _, _ = strings.Cut(method, "/") // method/version
		r := authResult{method: strings.ToLower(method), result: strings.ToLower(result), props: map[string]string{}}
		for _, f := range fields[1:] {
			if k, val, ok := strings.Cut(f, "="); ok {
				r.props[strings.ToLower(k)] = strings.Trim(val, `"`)
			}
		}
		results = append(results, r)
	}
	return id, results
}

// stripComments removes (comments), which may nest (RFC 5322 section 3.2.2).
func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(s[i+1])
			}
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
			b.WriteByte(c)
		case c == '(' && !quoted:
			depth++
		case c == ')' && !quoted && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
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
