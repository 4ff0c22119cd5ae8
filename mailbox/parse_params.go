package mailbox

import (
	"strings"
)

// maxMediaTypeLen is the longest type/subtype read: RFC 6838 section 4.2
// allows 127 characters for each name.
const maxMediaTypeLen = 255

// mediaParams is a parsed Content-Type or Content-Disposition value.
type mediaParams struct {
	value  string            // "text/plain", "attachment"; lower-case
	params map[string]string // lower-case names, RFC 2231 assembled
	broken bool              // something had to be worked around
}

// parseMIMEParams parses "value; name=val; ..." leniently, for Content-Type
// (RFC 2045 section 5.1) and Content-Disposition (RFC 2183). Unlike
// mime.ParseMediaType it accepts a missing ";" (also between the value and
// the first parameter), unquoted values with tspecials, unclosed quotes and
// 8-bit values, and it assembles RFC 2231 continuations and charsets
// (section 3 and 4) itself. When a parameter appears twice the first wins.
func parseMIMEParams(s string) mediaParams {
	var mp mediaParams
	s = strings.TrimSpace(s)
	end := strings.IndexAny(s, "; \t")
	if end < 0 {
		end = len(s)
	}
	mp.value = strings.ToLower(s[:end])
	if len(mp.value) > maxMediaTypeLen {
		mp.value, mp.broken = "", true // not a media type: the default applies
	}
	rest := s[end:]
	if r := strings.TrimLeft(rest, " \t"); r != "" && r[0] != ';' {
		mp.broken = true // parameters without a ";" after the value
	}
	type section struct {
		value    string
		extended bool
	}
	plain := map[string]string{}
	sections := map[string]map[int]section{}
	for {
		rest = strings.TrimLeft(rest, " \t;,")
		if rest == "" {
			break
		}
		name, value, tail, ok := nextParam(rest)
		rest = tail
		if !ok {
			mp.broken = true
			continue
		}
		base, idx, extended := splitParamName(name)
		if idx < 0 && !extended {
			if _, dup := plain[base]; !dup {
				plain[base] = value
			}
			continue
		}
		if idx < 0 {
			idx = 0
		}
		if sections[base] == nil {
			sections[base] = map[int]section{}
		}
		if _, dup := sections[base][idx]; !dup {
			sections[base][idx] = section{value, extended}
		}
	}
	mp.params = plain
	for base, secs := range sections {
		var raw []byte
		cs := ""
		for i := 0; ; i++ {
			sec, ok := secs[i]
			if !ok {
				break
			}
			v := sec.value
			if sec.extended {
				if i == 0 {
					// charset'language'value
					if a := strings.IndexByte(v, '\''); a >= 0 {
						if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
							cs, v = v[:a], v[a+1+b+1:]
						}
					}
				}
				raw = append(raw, percentDecode(v)...)
			} else {
				raw = append(raw, v...)
			}
		}
		if len(raw) == 0 && len(secs) > 0 {
			continue
		}
		text, note := decodeCharset(raw, cs)
		if note != "" {
			mp.broken = true
		}
		plain[base] = text // the RFC 2231 form wins over the plain one
	}
	return mp
}

// nextParam reads one "name=value" from s. Quoted values may contain
// anything but an unescaped quote; an unclosed quote runs to the end. An
// unquoted value runs to ";" but stops at white space that is followed by
// another "name=" (a missing ";").
func nextParam(s string) (name, value, rest string, ok bool) {
	i := 0
	for i < len(s) && isMIMETokenChar(s[i]) {
		i++
	}
	name = strings.ToLower(s[:i])
	j := i
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if name == "" || j >= len(s) || s[j] != '=' {
		// Skip junk up to the next separator: a ";", or white space (a
		// missing ";"). Searching only that far keeps a long junk value
		// linear; searching to the next ";" from every byte of 64 KB of
		// junk took 60 ms per field, and fields repeat in every part.
		from := max(i, 1)
		if k := strings.IndexAny(s[from:], "; \t"); k >= 0 {
			return "", "", s[from+k:], false
		}
		return "", "", "", false
	}
	s = strings.TrimLeft(s[j+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for k := 1; k < len(s); k++ {
			switch s[k] {
			case '\\':
				// A quoted-pair (RFC 5322 section 3.2.1) only where it
				// escapes a quote or a backslash: Windows paths arrive
				// with bare backslashes.
				if k+1 < len(s) && (s[k+1] == '"' || s[k+1] == '\\') {
					k++
				}
				b.WriteByte(s[k])
			case '"':
				return name, b.String(), s[k+1:], true
			default:
				b.WriteByte(s[k])
			}
		}
		return name, strings.TrimSpace(b.String()), "", true // unclosed quote
	}
	k := 0
	for k < len(s) && s[k] != ';' {
		if s[k] != ' ' && s[k] != '\t' {
			k++
			continue
		}
		if startsParam(s[k:]) {
			break
		}
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') { // the run at once: linear
			k++
		}
	}
	return name, strings.TrimSpace(s[:k]), s[k:], true
}

// startsParam reports whether s is white space followed by "token=".
func startsParam(s string) bool {
	s = strings.TrimLeft(s, " \t")
	i := 0
	for i < len(s) && isMIMETokenChar(s[i]) {
		i++
	}
	return i > 0 && i < len(s) && s[i] == '='
}

// splitParamName splits an RFC 2231 name: "filename*1*" gives ("filename",
// 1, true), "filename*" gives ("filename", -1, true), "name" gives ("name",
// -1, false).
func splitParamName(name string) (base string, idx int, extended bool) {
	if strings.HasSuffix(name, "*") {
		extended = true
		name = name[:len(name)-1]
	}
	star := strings.IndexByte(name, '*')
	if star < 0 {
		return name, -1, extended
	}
	n := 0
	digits := name[star+1:]
	if digits == "" || len(digits) > 3 {
		return name, -1, extended
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return name, -1, extended
		}
		n = n*10 + int(c-'0')
	}
	return name[:star], n, extended
}

// percentDecode decodes RFC 2231 %XX escapes; a malformed "%" stays.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && hasHexPair(s, i+1) {
			out = append(out, hexValue(s[i+1])<<4|hexValue(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}
