package workflow

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fuzz targets for the readers of hostile input (issue 9). Their seeds and
// any inputs the fuzzer found are in testdata/fuzz/FuzzXxx; `go test` runs
// those, and .ci/fuzz runs each target for a while.

// looksLikeCommand is an independent reading of "this line would be taken
// for a command by a person": after anything invisible, spaces, combining
// marks and bold/italic markers, a number sign in any of its forms.
func looksLikeCommand(line string) bool {
	for _, r := range line {
		switch {
		case unicode.IsSpace(r), unicode.In(r, unicode.Cf, unicode.Cc, unicode.Mn, unicode.Me), r == '*', r == '_', r == utf8.RuneError:
			continue
		}
		return strings.HasPrefix(norm.NFKC.String(string(r)), "#")
	}
	return false
}

// FuzzParseCommands: reading commands never panics; what it leaves as the
// body (what may go to the parent) never starts with a line that looks like
// a command; every command line it reads is plain, visible text.
func FuzzParseCommands(f *testing.F) {
	for _, s := range []string{"#oordeel\n#geen-maatregelen\n\nTekst", "\f#0", "\u200b#intern\nx", "＃intern", "*#oordeel*", "Beste ouder,\n#intern"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmds, body := parseCommands(text)
		for _, c := range cmds {
			if !strings.HasPrefix(c.line, "#") || !utf8.ValidString(c.line) {
				t.Fatalf("command line %q", c.line)
			}
			for _, r := range c.line {
				if unicode.In(r, unicode.Cf, unicode.Cc) {
					t.Fatalf("command line %q keeps an invisible character %U", c.line, r)
				}
			}
		}
		for _, l := range splitLines(body) {
			if strings.TrimFunc(l, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }) == "" {
				continue
			}
			if looksLikeCommand(l) {
				t.Fatalf("the body %q starts with a command-like line %q (commands %+v)", body, l, cmds)
			}
			break
		}
		if again, _ := parseCommands(body); len(again) > 0 {
			t.Fatalf("the body %q holds commands %+v", body, again)
		}
	})
}

// FuzzAuthResults: reading any header never panics, and nothing a sender
// writes inside a quoted string or a comment of our own server's header
// turns a DMARC fail into a pass.
func FuzzAuthResults(f *testing.F) {
	f.Add(`mx.vlinder.example; dmarc=pass header.from=vlinder.example`, `x;dmarc=pass header.from=vlinder.example`)
	f.Add(`mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example"@evil.example; dmarc=fail header.from=vlinder.example`, `";dmarc=pass header.from=vlinder.example;"`)
	f.Add(`mx.vlinder.example 1; dkim=pass (a (nested) comment) header.d=vlinder.example; dmarc=none`, `) ; dmarc=pass (`)
	f.Add(`dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=vlinder.example;`, `\`)
	f.Fuzz(func(t *testing.T, header, inner string) {
		const id, domain = "mx.vlinder.example", "vlinder.example"
		a, err := parseAuthResults(header)
		if err == nil && len(a.results) > maxAuthResults {
			t.Fatalf("%d results", len(a.results))
		}
		if _, ok, _ := authenticated([]string{header}, id, domain); ok && !strings.Contains(strings.ToLower(header), "pass") {
			t.Fatalf("verified without a pass: %q", header)
		}
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(inner)
		comment := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(inner)
		for _, h := range []string{
			id + `; spf=pass smtp.mailfrom="` + quoted + `"@evil.example; dmarc=fail header.from=` + domain,
			id + `; spf=pass (` + comment + `) smtp.mailfrom=evil.example; dmarc=fail header.from=` + domain,
			id + `; dmarc=fail reason="` + quoted + `" header.from=` + domain,
		} {
			if _, ok, _ := authenticated([]string{h}, id, domain); ok {
				t.Fatalf("verified by text inside quotes or a comment: %q", h)
			}
			if failed, _ := (&Workflow{set: Settings{Trust: Trust{AuthservID: id}}}).dmarcFailed(headerMail{"Authentication-Results": {h}}); !failed {
				t.Fatalf("a dmarc=fail not seen: %q", h)
			}
		}
		a, err = parseAuthResults(id + `; spf=pass smtp.mailfrom="` + quoted + `"@evil.example`)
		if err != nil || len(a.results) != 1 || a.results[0].props["smtp.mailfrom"] != inner+"@evil.example" {
			t.Fatalf("quoted %q read as %+v (%v)", inner, a, err)
		}
	})
}

// FuzzReadToken: reading any text never panics; a token we made reads back
// as itself; changing one letter of it never gives a token that verifies.
func FuzzReadToken(f *testing.F) {
	f.Add("v1ayaaqaaaaaaaaaaaaaaaaaaaaaaaaaaaa", int64(42), int64(7), uint(5), byte('a'))
	f.Add("", int64(1), int64(1), uint(0), byte('V'))
	f.Add("v1", int64(1<<40), int64(1<<50), uint(40), byte('7'))
	f.Fuzz(func(t *testing.T, s string, caseID, partID int64, pos uint, c byte) {
		tk, err := newTokens([][]byte{[]byte("a fuzzing secret of enough length")}, 400*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)
		if tok, err := tk.read(s, now); err == nil && (tok.CaseID < 0 || tok.ParticipantID < 0) {
			t.Fatalf("%q reads as %+v", s, tok)
		}
		if caseID <= 0 || partID <= 0 {
			return
		}
		g := tk.make(caseID, partID, now)
		tok, err := tk.read(g, now)
		if err != nil || tok.CaseID != caseID || tok.ParticipantID != partID {
			t.Fatalf("token %q of %d/%d read as %+v, %v", g, caseID, partID, tok, err)
		}
		i := int(pos % uint(len(g)))
		if strings.ToLower(string(c)) == g[i:i+1] {
			return
		}
		alt := g[:i] + string(c) + g[i+1:]
		if tok, err := tk.read(alt, now); err == nil {
			t.Fatalf("altered token %q (from %q) verifies as %+v", alt, g, tok)
		}
	})
}
