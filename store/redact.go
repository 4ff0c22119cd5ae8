package store

import "strings"

// hidden replaces a secret in printed text.
const hidden = "xxxxx"

// RedactURL hides the passwords in a database URL so that it can be printed
// or logged. It works on the text alone, without URL parsing, because the
// URLs that most need it are the ones a parser gets wrong: a password with
// an unencoded %, # or @ (which a parser reads as an escape, a fragment or
// the end of the user part) must not leak through the error that reports it.
//
//   - user information: everything between "://" and the last "@" but the
//     user name (up to the first ":") is hidden; with an "@" in the query
//     part this hides more than needed, never less;
//   - parameters whose name contains "password" (password=, sslpassword=),
//     in the query or as keyword=value pairs, have their value hidden up to
//     the next "&" or space.
func RedactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		start := i + 3
		if at := strings.LastIndex(s[start:], "@"); at >= 0 {
			userinfo := s[start : start+at]
			if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
				s = s[:start] + user + ":" + hidden + s[start+at:]
			}
		}
	}
	var b strings.Builder
	lower := strings.ToLower(s)
	for {
		k := strings.Index(lower, "password=")
		if k < 0 {
			b.WriteString(s)
			return b.String()
		}
		valStart := k + len("password=")
		end := strings.IndexAny(s[valStart:], "& ")
		if end < 0 {
			end = len(s) - valStart
		}
		b.WriteString(s[:valStart])
		if end > 0 {
			b.WriteString(hidden)
		}
		s, lower = s[valStart+end:], lower[valStart+end:]
	}
}
