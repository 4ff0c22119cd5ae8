package templates_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/templates"
)

// override writes dir/lang/name.tmpl and returns dir.
func override(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type letter struct {
	Name, Text, Subject string
}

const simple = `{{define "subject"}}Re: {{.Subject}}{{end}}{{define "text"}}Hallo {{.Name}},


{{.Text}}   
{{end}}{{define "html"}}<p>{{.Name}}</p>{{paragraphs .Text}}{{end}}`

func TestEmbeddedTemplatesParse(t *testing.T) {
	if _, err := templates.New(""); err != nil {
		t.Fatal(err)
	}
}

func TestOverrideReplacesOneLanguage(t *testing.T) {
	set, err := templates.New(override(t, map[string]string{"nl/confirmation.tmpl": simple}))
	if err != nil {
		t.Fatal(err)
	}
	subject, text, _, err := set.Render("confirmation", "nl", letter{Name: "Sanne", Text: "Tekst", Subject: "Ophalen"})
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Re: Ophalen" || text != "Hallo Sanne,\n\nTekst\n" {
		t.Fatalf("override not used: subject %q text %q", subject, text)
	}
}

func TestOverrideWithUnknownNameIsRefused(t *testing.T) {
	_, err := templates.New(override(t, map[string]string{"nl/confirmaton.tmpl": simple}))
	if !errors.Is(err, templates.ErrUnknown) || !strings.Contains(err.Error(), "confirmation.tmpl") {
		t.Fatalf("err = %v, want ErrUnknown listing the known names", err)
	}
}

func TestOverrideMissingABlockIsRefused(t *testing.T) {
	_, err := templates.New(override(t, map[string]string{"en/confirmation.tmpl": `{{define "subject"}}x{{end}}{{define "text"}}y{{end}}`}))
	if err == nil || !strings.Contains(err.Error(), `"html"`) {
		t.Fatalf("err = %v, want a missing html block reported", err)
	}
}

func TestMissingFieldFailsLoudly(t *testing.T) {
	set, err := templates.New(override(t, map[string]string{"nl/confirmation.tmpl": simple}))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = set.Render("confirmation", "nl", struct{ Name string }{"x"})
	if err == nil {
		t.Fatal("rendering without the Subject field succeeded")
	}
	_, _, _, err = set.Render("confirmation", "nl", map[string]string{"Name": "x", "Text": "y"})
	if err == nil {
		t.Fatal("rendering a map without Subject succeeded")
	}
}

func TestUnknownTemplateOrLanguage(t *testing.T) {
	set, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := set.Render("confirmation", "de", letter{}); !errors.Is(err, templates.ErrUnknown) {
		t.Fatalf("unknown language: %v", err)
	}
	if _, _, _, err := set.Render("nope", "nl", letter{}); !errors.Is(err, templates.ErrUnknown) {
		t.Fatalf("unknown name: %v", err)
	}
}

// A parent's words are data: template syntax in them is not run, HTML in
// them is escaped, and a line break cannot escape the Subject header.
func TestParentTextIsNeverCodeOrMarkup(t *testing.T) {
	set, err := templates.New(override(t, map[string]string{"nl/confirmation.tmpl": simple}))
	if err != nil {
		t.Fatal(err)
	}
	evil := letter{
		Name:    `<script>alert(1)</script>`,
		Text:    "{{.Name}} <img src=x onerror=alert(1)>\n\nTweede alinea",
		Subject: "Klacht\r\nBcc: iedereen@example.org",
	}
	subject, text, html, err := set.Render("confirmation", "nl", evil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(subject, "\r\n") {
		t.Fatalf("subject kept a line break: %q", subject)
	}
	if !strings.Contains(text, "{{.Name}}") {
		t.Fatalf("template syntax in data was interpreted: %q", text)
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "<img") {
		t.Fatalf("markup in data reached the HTML unescaped: %s", html)
	}
	if !strings.Contains(html, "<p>Tweede alinea</p>") {
		t.Fatalf("paragraphs not kept: %s", html)
	}
}

// formal is a letter that says how its reader is addressed.
type formal struct {
	letter
	Form string
}

func (f formal) AddressForm() string { return f.Form }

// A Dutch template is rendered in the form the data asks for; data that
// does not say gets u, and English ignores the form.
func TestAddressForms(t *testing.T) {
	src := `{{define "subject"}}{{Uw}} klacht{{end}}{{define "text"}}{{uje "Bent u" "Ben je"}} het eens? {{U}} hoort van ons; {{uw}} bericht komt bij {{u}}.{{end}}{{define "html"}}<p>{{uje "Kunt u" "Kun je"}}</p>{{end}}`
	set, err := templates.New(override(t, map[string]string{"nl/confirmation.tmpl": src}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data                any
		subject, text, html string
	}{
		{formal{Form: "u"}, "Uw klacht", "Bent u het eens? U hoort van ons; uw bericht komt bij u.\n", "<p>Kunt u</p>\n"},
		{formal{Form: "je"}, "Je klacht", "Ben je het eens? Je hoort van ons; je bericht komt bij je.\n", "<p>Kun je</p>\n"},
		{letter{}, "Uw klacht", "Bent u het eens? U hoort van ons; uw bericht komt bij u.\n", "<p>Kunt u</p>\n"},
	} {
		subject, text, html, err := set.Render("confirmation", "nl", c.data)
		if err != nil {
			t.Fatal(err)
		}
		if subject != c.subject || text != c.text || html != c.html {
			t.Errorf("%+v: got %q %q %q, want %q %q %q", c.data, subject, text, html, c.subject, c.text, c.html)
		}
	}
	if _, _, _, err := set.Render("confirmation", "nl", formal{Form: "jij"}); !errors.Is(err, templates.ErrUnknown) || !strings.Contains(err.Error(), "jij") {
		t.Errorf("an unknown form: %v", err)
	}
}
