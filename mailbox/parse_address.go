package mailbox

import (
	"io"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// lenientCharsetReader lets net/mail decode encoded-words in display names
// in any charset; decodeCharset never fails, so neither does this.
func lenientCharsetReader(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s, _ := decodeCharset(b, label)
	return strings.NewReader(s), nil
}

// parseAddressHeader parses the values of an address header (RFC 5322
// section 3.4) leniently. The strict net/mail parser is tried on each value
// first; when it fails the value is split on top-level commas and each
// entry is read on its own, and an entry that still fails is mined for
// "<addr>" and bare "local@domain" tokens (this also separates two mailboxes
// written without a comma). Entries with no address are skipped.
//
// At most maxAddresses are returned, the first ones.
func parseAddressHeader(values []string) []*mail.Address {
	out, _ := parseAddressList(values)
	return out
}

// Limits on the lists in one header (all its fields together): enough for
// any real message, and each costs a database row or variable later.
const (
	maxAddresses = 200 // addresses read of one address header
	maxMsgIDs    = 100 // msg-ids kept of In-Reply-To or References
)

// parseAddressList is parseAddressHeader that also reports whether
// addresses past maxAddresses were left out.
func parseAddressList(values []string) (out []*mail.Address, capped bool) {
	parser := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: lenientCharsetReader}}
	for _, v := range values {
		if len(out) >= maxAddresses {
			return out[:maxAddresses], true
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		var list []*mail.Address
		if a, ok := plainMailbox(v); ok {
			list = []*mail.Address{a}
		} else if l, err := parser.ParseList(v); err == nil {
			list = l
		} else {
			for _, entry := range splitAddressList(v) {
				if a, err := parser.Parse(entry); err == nil {
					list = append(list, a)
				} else {
					list = append(list, mineAddresses(entry)...)
				}
			}
		}
		for _, a := range list {
			// net/mail decodes encoded-words in a phrase but not inside a
			// quoted display name, where many clients put them anyway. A
			// name still found verbatim in the header was not decoded; one
			// that was must not be decoded twice (its text may itself look
			// like an encoded-word).
			if strings.Contains(a.Name, "=?") && strings.Contains(v, a.Name) {
				a.Name = decodeEncodedWords(a.Name)
			}
			if !singleSpaced(a.Name) {
				a.Name = strings.Join(strings.Fields(a.Name), " ")
			}
			a.Address = lowerAddrDomain(a.Address)
		}
		out = append(out, list...)
	}
	if len(out) > maxAddresses {
		return out[:maxAddresses], true
	}
	return out, false
}

// plainMailbox reads the forms most senders write, `Words Of A Name
// <local@domain>`, `"Name" <local@domain>` and `local@domain`, and gives
// what net/mail's ParseList gives for them, the name's white space folded
// as parseAddressList folds it; ok is false for anything else,
// which that parser then reads (it reads a name only after failing to read
// the whole as an address, an error value and several copies; every
// message's From and To are read). Names here are ASCII words without
// "=": nothing to decode (RFC 2047).
func plainMailbox(v string) (a *mail.Address, ok bool) {
	v = strings.Trim(v, " \t")
	if a, ok := simpleAddress(v); ok {
		if !singleSpaced(a.Name) {
			a.Name = strings.Join(strings.Fields(a.Name), " ")
		}
		return a, true
	}
	phrase, spec, ok := strings.Cut(v, "<")
	if !ok {
		return nil, false
	}
	if spec, ok = strings.CutSuffix(spec, ">"); !ok || !isDotAtomAddress(spec) {
		return nil, false
	}
	phrase = strings.TrimRight(phrase, " \t")
	for i := 0; i < len(phrase); i++ {
		c := phrase[i]
		if c == ' ' || c == '\t' {
			continue
		}
		if c < '!' || c > '~' || c == '=' || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return nil, false
		}
	}
	if !singleSpaced(phrase) {
		phrase = strings.Join(strings.Fields(phrase), " ")
	}
	return &mail.Address{Name: phrase, Address: spec}, true
}

// singleSpaced reports whether s is words separated by single spaces, as
// strings.Join(strings.Fields(s), " ") would leave it.
func singleSpaced(s string) bool {
	space := true // no space at the start
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false // a Unicode space, perhaps: let Fields decide
		}
		isSpace := asciiSpace(c)
		if isSpace && (space || c != ' ') {
			return false
		}
		space = isSpace
	}
	return !space || s == ""
}

// asciiSpace is unicode.IsSpace for an ASCII byte.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// splitAddressList splits on commas outside quotes, comments and angle
// brackets; empty entries (a trailing comma) are dropped.
func splitAddressList(s string) []string {
	var parts []string
	depth, quoted, angle, start := 0, false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == ',' && depth == 0 && !angle:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	parts = append(parts, s[start:])
	kept := parts[:0]
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, strings.TrimSpace(p))
		}
	}
	return kept
}

// mineAddresses extracts "Name <addr>" pairs, or bare tokens holding an "@",
// from text the RFC 5322 grammar rejects.
func mineAddresses(s string) []*mail.Address {
	var out []*mail.Address
	for {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			break
		}
		addr := strings.TrimSpace(s[lt+1 : lt+gt])
		name := strings.Trim(strings.TrimSpace(s[:lt]), `"' ,`)
		if strings.Contains(addr, "@") {
			out = append(out, &mail.Address{Name: name, Address: addr})
		}
		s = s[lt+gt+1:]
	}
	if len(out) > 0 {
		return out
	}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(" \t,;\"()<>", r)
	}) {
		if at := strings.IndexByte(tok, '@'); at > 0 && at < len(tok)-1 {
			out = append(out, &mail.Address{Address: tok})
		}
	}
	return out
}

// lowerAddrDomain lower-cases the domain (case-insensitive, RFC 5321 section
// 2.4) and keeps the local part as written.
func lowerAddrDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	return addr[:at+1] + strings.ToLower(addr[at+1:])
}

// parseMsgIDHeader reads msg-id lists (RFC 5322 section 3.6.4) leniently:
// comments are dropped, ids may lack angle brackets, lists may be separated
// by commas or white space, and white space inside brackets (a folded long
// id) is removed. Phrases of the obsolete syntax (RFC 5322 section 4.5.4)
// are skipped: only bracketed tokens and tokens holding an "@" count.
// Ids are returned without brackets, in order, without duplicates. Of
// more than maxMsgIDs the first and the newest are kept, as RFC 5322
// section 3.6.4 suggests for trimming References.
func parseMsgIDHeader(values []string) []string {
	ids, _ := parseMsgIDList(values)
	return ids
}

// parseMsgIDList is parseMsgIDHeader that also reports whether ids were
// left out.
func parseMsgIDList(values []string) (ids []string, capped bool) {
	seen := map[string]bool{}
	trim := func() {
		capped = true
		ids = append(ids[:1], ids[len(ids)-(maxMsgIDs-1):]...)
		clear(seen)
		for _, id := range ids {
			seen[id] = true
		}
	}
	add := func(id string) {
		id = strings.Join(strings.Fields(id), "")
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
			if len(ids) >= 2*maxMsgIDs {
				trim()
			}
		}
	}
	for _, v := range values {
		s := stripHeaderComments(v)
		noClose := false
		for len(s) > 0 {
			s = strings.TrimLeft(s, " \t,;")
			if s == "" {
				break
			}
			if s[0] == '<' {
				end := -1
				if !noClose {
					end = strings.IndexByte(s, '>')
					noClose = end < 0 // no need to look again: keeps this linear
				}
				if end < 0 {
					end = strings.IndexAny(s, " \t,")
					if end < 0 {
						end = len(s)
					}
					add(strings.TrimPrefix(s[:end], "<"))
					s = s[end:]
					continue
				}
				add(s[1:end])
				s = s[end+1:]
				continue
			}
			end := strings.IndexAny(s, " \t,;<")
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				s = s[1:]
				continue
			}
			if tok := s[:end]; strings.Contains(tok, "@") {
				add(strings.TrimSuffix(tok, ">"))
			}
			s = s[end:]
		}
	}
	if len(ids) > maxMsgIDs {
		trim()
	}
	return ids, capped
}

// stripHeaderComments removes RFC 5322 comments "( ... )", nested, outside
// quoted strings and angle brackets.
func stripHeaderComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth, quoted, angle := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case depth > 0:
			switch c {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					b.WriteByte(' ')
				}
			}
			continue
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == '(' && !angle:
			depth = 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
