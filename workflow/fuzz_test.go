package workflow

import (
	"slices"
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

// FuzzRecordCommands: the record's command lines (#oordeel's verdict,
// #categorie, #klachtenloket, #geschillencommissie, #uitspraak, #verslag,
// #betreft, #akkoord) never panic, and what they plan is what the record
// may hold: a known verdict and categories, dates that happened, a case
// number without spaces; every refusal gives its reason.
func FuzzRecordCommands(f *testing.F) {
	for _, s := range []string{
		"#oordeel gegrond\n#categorie pedag\n#geen-maatregelen\n\nX", "#geschillencommissie 2026-11-01 2026-0042 tekst",
		"#klachtenloket 2026-11-01", "#uitspraak schikking 2026-11-02", "#betreft Marco Bos\n#toewijzen Marco Bos",
		"#verslag Kind meegegeven", "#akkoord", "#categorie \u00a0p", "#oordeel deels_gegrond",
	} {
		f.Add(s)
	}
	w := recordWorkflow("nl")
	today := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	anna := Handler{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"}
	rec := CaseRecord{
		Escalations: []EscalationEntry{{ID: 1, Body: BodyGeschillencommissie, FiledOn: "2026-10-01"}},
		Pending:     &PendingJudgment{Author: "marco.bos@vlinder.example", Verdict: VerdictUpheld},
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := &Case{Status: StatusInProgress}
		cmds, body := parseCommands(text)
		p := w.planCommands(c, nil, cmds, body, today)
		w.planRecord(&p, c, anna, rec, cmds, today)
		for _, r := range p.refused {
			if r.Why == "" {
				t.Fatalf("refusal of %q without a reason", r.Line)
			}
		}
		if v := p.rec.verdict; v != "" && v != VerdictUpheld && v != VerdictPartly && v != VerdictNotUpheld {
			t.Fatalf("verdict %q", v)
		}
		for _, cat := range p.rec.categories {
			if !slices.Contains(w.set.Report.Categories, cat) {
				t.Fatalf("category %q", cat)
			}
		}
		for _, e := range p.rec.escalations {
			d, err := time.Parse(time.DateOnly, e.filed)
			if err != nil || d.After(today) || strings.ContainsAny(e.reference, " \t\n") {
				t.Fatalf("escalation %+v", e)
			}
		}
		if o := p.rec.outcome; o != nil && (o.on < o.e.FiledOn || o.on > today.Format(time.DateOnly)) {
			t.Fatalf("outcome %+v", o)
		}
		for _, cn := range p.rec.concerns {
			if strings.TrimSpace(cn.Name) == "" {
				t.Fatalf("concern without a name from %q", text)
			}
		}
	})
}
