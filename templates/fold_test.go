package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// formed is data that asks for an address form.
type formed struct {
	Form, Name string
	Items      []string
}

func (f formed) AddressForm() string { return f.Form }

// foldProbe puts the address-form words wherever a template can: in text,
// under if, range and with, next to trim markers, in attributes, URLs,
// scripts and styles, in a variable and a pipeline.
const foldProbe = `{{define "subject"}}{{Uw}} klacht, {{u}} en {{uw}}{{end}}
{{define "text"}}{{U}} {{uje "kunt u" "kun je"}} {{- uw -}} .
{{if .Name}}{{uw}} {{.Name}}{{else}}{{u}}{{end}}{{range .Items}}{{Uw}} {{.}} {{end}}{{with .Name}}{{uje "Heeft u" "Heb je"}}{{end}}
{{$w := uw}}{{$w}} {{uw | printf "%s!"}} {{uje "a<b" "c&d"}}
{{end}}
{{define "html"}}<p title="{{uw}} {{uje "kunt u" "kun je"}}" class={{uje "x y" "z w"}}>{{U}} {{uje "kunt u" "kun je"}} {{- uw -}}.</p>
<a href="mailto:a@b.example?subject={{uje "Dank u" "Dank je"}}">{{Uw}}</a>
<script>var w = {{uw}}, v = "{{uje "kunt u" "kun je"}}";</script><style>p { font-family: {{u}} }</style>
{{if .Name}}<b>{{uw}} {{.Name}}</b>{{else}}{{u}}{{end}}{{range .Items}}<i>{{Uw}} {{.}}</i>{{end}}
{{uje "a<b" "c&d"}} {{uje "don't" "won't"}} <textarea>{{uw}}</textarea> {{template "inner" .}}
{{end}}
{{define "inner"}}<em>{{uw}}</em> <a href="/{{u}}">{{U}}</a>{{end}}`

func TestFoldedAddressFormsRenderAsCalls(t *testing.T) {
	dir := t.TempDir()
	for _, lang := range languages {
		p := filepath.Join(dir, lang, "confirmation.tmpl")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(foldProbe), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	folded, err := newSet(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := newSet(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range languages {
		for _, form := range []string{FormU, FormJe} {
			for _, data := range []formed{{Form: form, Name: "Sanne", Items: []string{"één", "twee"}}, {Form: form}} {
				s1, t1, h1, err1 := folded.Render("confirmation", lang, data)
				s2, t2, h2, err2 := calls.Render("confirmation", lang, data)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s/%s: %v, %v", lang, form, err1, err2)
				}
				if s1 != s2 || t1 != t2 || h1 != h2 {
					t.Errorf("%s/%s: folded renders\n%s\n%s\n%s\nwith calls\n%s\n%s\n%s", lang, form, s1, t1, h1, s2, t2, h2)
				}
				if lang == "nl" && form == FormJe && !strings.Contains(t1, "Je kun jeje.") {
					t.Errorf("nl/je: text %q lacks the je-form", t1)
				}
			}
		}
	}
	// The embedded messages too, as far as data without their fields
	// reaches: the same text or the same error.
	embFolded, err := newSet("", false)
	if err != nil {
		t.Fatal(err)
	}
	embCalls, err := newSet("", true)
	if err != nil {
		t.Fatal(err)
	}
	for key := range embFolded.text {
		lang, rest, _ := strings.Cut(key, "/")
		name, form, _ := strings.Cut(rest, "#")
		s1, t1, h1, err1 := embFolded.Render(name, lang, formed{Form: form})
		s2, t2, h2, err2 := embCalls.Render(name, lang, formed{Form: form})
		if s1 != s2 || t1 != t2 || h1 != h2 || (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Errorf("%s: folded %q %q %q %v, with calls %q %q %q %v", key, s1, t1, h1, err1, s2, t2, h2, err2)
		}
	}
}
