package mailbox

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct {
		name, html, want string
	}{
		{"br and entities", "Hallo&nbsp;Jan,<br>Caf&eacute; &amp; &#8217;s middags&hellip;<BR/>eind", "Hallo Jan,\nCafé & ’s middags…\neind"},
		{"white space collapses", "<p>  een\n   twee\t drie  </p>", "een twee drie"},
		{"paragraphs", "<p>een</p><p>twee</p><h2>kop</h2>drie", "een\n\ntwee\n\nkop\n\ndrie"},
		{"script, style, head dropped", "<html><head><title>T</title><style>p{color:red}</style></head>" +
			"<body><script type=\"text/javascript\">alert('<b>x</b>')</script>tekst<SCRIPT>x</SCRIPT></body></html>", "tekst"},
		{"head without end tag", "<head><meta charset=utf-8><body>tekst</body>", "tekst"},
		{"comments and conditionals", "a<!-- <p>verborgen</p> -->b<![if !supportLists]>1.<![endif]> c<!DOCTYPE html>", "ab1. c"},
		{"lists", "<ul><li>een</li><li>twee<ul><li>diep</li></ul></li></ul><ol><li>drie</ol>", "- een\n- twee\n  - diep\n- drie"},
		{"table rows and cells", "<table><tr><td>Naam</td><td>Jan</td></tr><tr><th>Groep</th><td>Rupsen</td></tr></table>", "Naam Jan\nGroep Rupsen"},
		{"blockquote", "Prima.<div class=\"gmail_quote\">Op ma 1 jan schreef X:<br><blockquote class=\"gmail_quote\">Vraag?<br><br>Groet<blockquote type=\"cite\">ouder</blockquote></blockquote></div>",
			"Prima.\nOp ma 1 jan schreef X:\n> Vraag?\n>\n> Groet\n> > ouder"},
		{"at most one empty line", "een<br><br><br><br>twee<p></p><p></p><div><br></div><div><br></div>drie", "een\n\ntwee\n\ndrie"},
		{"samsung divs", `<div dir="auto">Geachte heer,</div><div dir="auto"><br></div><div dir="auto">1. Eerste punt.</div><div dir="auto">2. Tweede punt.</div>`,
			"Geachte heer,\n\n1. Eerste punt.\n2. Tweede punt."},
		{"outlook word html", `<style><!-- p.MsoNormal {margin:0cm} --></style><div class=WordSection1><p class=MsoNormal>Beste Anna,<o:p></o:p></p>` +
			`<p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Dank u wel.<o:p></o:p></p></div>`, "Beste Anna,\n\nDank u wel."},
		{"pre keeps white space", "<pre>  a   b\n c</pre>na", "  a   b\n c\nna"},
		{"stray less-than and quotes", `1 < 2 en "a" > b <a href="x>y" title='z'>link</a> <b class=x">vet</b>`, `1 < 2 en "a" > b link vet`},
		{"unclosed tag", "tekst <b", "tekst"},
		{"inline tags join words", "ge<b>ver</b>en<span> </span>woord", "geveren woord"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlToText(tc.html); got != tc.want {
				t.Errorf("htmlToText(%q)\n got %q\nwant %q", tc.html, got, tc.want)
			}
		})
	}
}

func TestHTMLToTextLongInput(t *testing.T) {
	// Many unclosed tags and quotes must not make the converter quadratic or
	// swallow everything.
	in := strings.Repeat(`<div><a href="x">een "woord"</a> <b>`, 20000) + "eind"
	got := htmlToText(in)
	if !strings.HasSuffix(got, "eind") || strings.Count(got, "\n") != 19999 {
		t.Errorf("got %d lines ending %q", strings.Count(got, "\n")+1, got[max(0, len(got)-20):])
	}
}
