package workflow

import (
	"errors"
	"fmt"
	"strings"
)

// Reading Authentication-Results (RFC 8601 section 2.2):
//
//	authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
//	                  ( no-result / 1*resinfo ) [CFWS] CRLF
//	resinfo         = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
//	methodspec      = [CFWS] method [CFWS] "=" [CFWS] result
//	propspec        = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
//	pvalue          = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
//
// A value may be a quoted-string and a local-part may be one, so a ';' or a
// "dmarc=pass" inside quotes is text, never structure: the sender chooses
// the envelope address (smtp.mailfrom) the server copies into the header.
// Comments (RFC 5322 section 3.2.2) nest, may hold quoted-pairs, and are
// skipped. go-msgauth's authres splits on every ';' and does not skip
// comments, so it cannot be used for this.

// errAuthResSyntax: the header cannot be read; nothing in it may be trusted.
var errAuthResSyntax = errors.New("workflow: Authentication-Results cannot be read")

// maxAuthResults bounds the results read from one header.
const maxAuthResults = 64

// authResult is one method's result in an Authentication-Results header.
type authResult struct {
	method, result string            // lower case; method without its version
	props          map[string]string // ptype.property (lower case) → value; reason too
	ambiguous      bool              // a property was given twice
}

// authResults is one Authentication-Results header read.
type authResults struct {
	id      string // the authserv-id; "" when the header starts with a method (Exchange)
	results []authResult
}

// first returns the first result of method.
func (a authResults) first(method string) (authResult, bool) {
	for _, r := range a.results {
		if r.method == method {
			return r, true
		}
	}
	return authResult{}, false
}

// summary lists the results as method=result, for an alert.
func (a authResults) summary() string {
	var seen []string
	for i, r := range a.results {
		if i == 10 {
			seen = append(seen, "…")
			break
		}
		seen = append(seen, r.method+"="+r.result)
	}
	if len(seen) == 0 {
		return "no results"
	}
	return strings.Join(seen, ", ")
}

// arToken is a lexical token of an Authentication-Results value: a word
// (atoms and quoted-strings written together, such as "a;b"@example.org)
// or one of the punctuation characters ';' and '='.
type arToken struct {
	punct  byte   // ';' or '='; 0 for a word
	text   string // a word's text, quotes removed
	quoted bool   // the word has a quoted-string in it: never a keyword
	spaced bool   // white space or a comment comes before it
}

// lexAuthResults splits v into tokens, skipping white space and comments.
// On a syntax error it returns the tokens read so far, so the authserv-id
// of a broken header is still known.
func lexAuthResults(v string) ([]arToken, error) {
	var toks []arToken
	var word strings.Builder
	inWord, quoted, spaced := false, false, false
	end := func() {
		if inWord {
			toks = append(toks, arToken{text: word.String(), quoted: quoted, spaced: spaced})
			word.Reset()
			inWord, quoted, spaced = false, false, false
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			end()
			spaced = true
		case '(':
			end()
			spaced = true
			depth := 1
			for i++; i < len(v) && depth > 0; i++ {
				switch v[i] {
				case '\\':
					i++
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth > 0 {
				return toks, fmt.Errorf("%w: unterminated comment", errAuthResSyntax)
			}
			i--
		case ')':
			return toks, fmt.Errorf("%w: unbalanced ')'", errAuthResSyntax)
		case '"':
			inWord, quoted = true, true
			closed := false
			for i++; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
					word.WriteByte(v[i])
					continue
				}
				if v[i] == '"' {
					closed = true
					break
				}
				word.WriteByte(v[i])
			}
			if !closed {
				return toks, fmt.Errorf("%w: unterminated quoted string", errAuthResSyntax)
			}
		case ';', '=':
			end()
			toks = append(toks, arToken{punct: c, spaced: spaced})
			spaced = false
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	end()
	return toks, nil
}

// parseAuthResults reads one Authentication-Results value. An error means
// the header cannot be read; id is still set when its authserv-id could be.
func parseAuthResults(v string) (authResults, error) {
	toks, lexErr := lexAuthResults(v)
	var a authResults
	if len(toks) == 0 || toks[0].punct != 0 {
		return a, fmt.Errorf("%w: no authserv-id", errAuthResSyntax)
	}
	if len(toks) > 1 && toks[1].punct == '=' {
		return a, nil // a method first: a header without an authserv-id (Exchange)
	}
	a.id = toks[0].text
	if lexErr != nil {
		return a, lexErr
	}
	rest := toks[1:]
	if len(rest) > 0 && rest[0].punct == 0 && isDigits(rest[0].text) && !rest[0].quoted {
		rest = rest[1:] // authres-version
	}
	if len(rest) == 0 {
		return a, fmt.Errorf("%w: no results", errAuthResSyntax)
	}
	// Split the rest into resinfos, each after its ';'.
	var groups [][]arToken
	for _, t := range rest {
		if t.punct == ';' {
			groups = append(groups, nil)
			continue
		}
		if len(groups) == 0 {
			return a, fmt.Errorf("%w: text before the first ';'", errAuthResSyntax)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], t)
	}
	if len(groups) == 1 && len(groups[0]) == 1 && strings.EqualFold(groups[0][0].text, "none") && !groups[0][0].quoted {
		return a, nil // no-result
	}
	for _, g := range groups {
		if len(g) == 0 {
			continue // a trailing ';', as Exchange writes
		}
		r, err := parseResInfo(g)
		if err != nil {
			return a, err
		}
		if len(a.results) == maxAuthResults {
			return a, fmt.Errorf("%w: more than %d results", errAuthResSyntax, maxAuthResults)
		}
		a.results = append(a.results, r)
	}
	return a, nil
}

// parseResInfo reads method[/version]=result followed by name=value pairs.
// A value runs on over '=' and words written against it (an unquoted
// base64 header.b=ab+c/d= as some servers write it); never over a ';'.
func parseResInfo(g []arToken) (authResult, error) {
	word := func(i int) bool { return i < len(g) && g[i].punct == 0 }
	keyword := func(i int) bool { return word(i) && !g[i].quoted && isKeyword(g[i].text) }
	punct := func(i int, c byte) bool { return i < len(g) && g[i].punct == c }
	if !word(0) || g[0].quoted {
		return authResult{}, fmt.Errorf("%w: a result without a method", errAuthResSyntax)
	}
	method, version, versioned := strings.Cut(g[0].text, "/")
	if !isKeyword(method) || versioned && !isDigits(version) {
		return authResult{}, fmt.Errorf("%w: a result without a method", errAuthResSyntax)
	}
	r := authResult{method: strings.ToLower(method), props: map[string]string{}}
	if !punct(1, '=') || !keyword(2) {
		return r, fmt.Errorf("%w: method %s without a result", errAuthResSyntax, r.method)
	}
	r.result = strings.ToLower(g[2].text)
	for i := 3; i < len(g); {
		if !keyword(i) || !punct(i+1, '=') || !word(i+2) {
			// Text that is no name=value (an unquoted reason with spaces,
			// as some servers write it) is skipped: it cannot make a
			// result, which only ever starts after a ';'.
			i++
			continue
		}
		k, v := strings.ToLower(g[i].text), g[i+2].text
		for i += 3; i < len(g) && !g[i].spaced; i++ {
			if g[i].punct == '=' {
				v += "="
			} else {
				v += g[i].text
			}
		}
		if _, dup := r.props[k]; dup {
			r.ambiguous = true
		}
		r.props[k] = v
	}
	return r, nil
}

// isKeyword: a method, result or property name (RFC 8601 Keyword, with the
// '.' of ptype.property).
func isKeyword(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ourAuthResults finds the Authentication-Results our own receiving server
// added: the topmost header carrying its authserv-id. A sender can add
// headers further down, and RFC 8601 section 5 has the server remove any
// claiming its id, so only the topmost is read. found is false when there is
// none; err when it cannot be read.
func ourAuthResults(headers []string, authservID string) (a authResults, found bool, err error) {
	for _, h := range headers {
		a, err := parseAuthResults(h)
		if a.id == "" || !strings.EqualFold(a.id, authservID) {
			continue
		}
		return a, true, err
	}
	return authResults{}, false, nil
}

// sameDomain compares domain names as DNS does: case and a final dot do
// not matter.
func sameDomain(a, b string) bool {
	a, b = strings.TrimSuffix(a, "."), strings.TrimSuffix(b, ".")
	return a != "" && strings.EqualFold(a, b)
}
