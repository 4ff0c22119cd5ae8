package mailbox

import (
	"net/mail"
	"strings"
)

// simpleAddress reads the two forms mail.Address.String writes for a plain
// ASCII name and address, `"Name" <local@domain>` and `local@domain`, and
// gives what mail.ParseAddressList gives for them; ok is false for
// anything else, which that parser then reads. Every message sent has
// three address fields; net/mail reads a quoted name only after trying it
// as an address first, an error value and several copies each time.
func simpleAddress(v string) (a *mail.Address, ok bool) {
	if isDotAtomAddress(v) {
		return &mail.Address{Address: v}, true
	}
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	end := strings.IndexByte(v[1:], '"') + 1
	if end < 2 {
		return nil, false
	}
	name, rest := v[1:end], v[end+1:]
	spec, ok := strings.CutPrefix(rest, " <")
	if !ok {
		return nil, false
	}
	spec, ok = strings.CutSuffix(spec, ">")
	if !ok || !isDotAtomAddress(spec) || strings.Contains(name, "=?") {
		return nil, false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c > '~' || c == '\\' {
			return nil, false
		}
	}
	return &mail.Address{Name: name, Address: spec}, true
}

// isDotAtomAddress reports whether s is local@domain, both dot-atoms of
// ASCII atext (RFC 5322 section 3.2.3).
func isDotAtomAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && isDotAtom(local) && isDotAtom(domain)
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return false
		}
	}
	return true
}
