package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
)

//go:embed mail/*/*.tmpl
var embedded embed.FS

// Languages are the languages every message exists in.
var languages = []string{"nl", "en"}

// Address forms: Dutch addresses a reader as "u" (formal) or "je"
// (informal), and the choice changes pronouns and verb forms throughout a
// letter. Every Dutch message is parsed once per form; English has one.
const (
	FormU  = "u"
	FormJe = "je"
)

// forms are the address forms of each language, the default first.
var forms = map[string][]string{"nl": {FormU, FormJe}, "en": {""}}

// Addressed is data that says how its reader is addressed (FormU or
// FormJe). Data that does not say is addressed with FormU.
type Addressed interface {
	AddressForm() string
}

// ErrUnknown is returned for a message name or language there is no template for.
var ErrUnknown = errors.New("templates: unknown template")

// Set is every message template, parsed and checked once at start-up (the
// HTML reading of each message on its first rendering, see lazyHTML).
//
// Files whose name starts with "_" hold blocks shared by every message of
// their language (the escalation routes, the signature); they are parsed into
// each message and can be overridden like any other file.
type Set struct {
	text map[string]*texttemplate.Template // key lang/name#form: blocks "subject" and "text"
	html map[string]*lazyHTML              // key lang/name#form: block "html"
	bufs buffers
	// noFold keeps the address-form words as calls (fold.go); for tests.
	noFold bool
}

// New parses the embedded templates and, when overrideDir is not empty, the
// operator's replacements from overrideDir/LANG/NAME.tmpl. A replacement must
// have the name of an existing message (a typo would otherwise be ignored
// silently) and define the same three blocks.
func New(overrideDir string) (*Set, error) { return newSet(overrideDir, false) }

func newSet(overrideDir string, noFold bool) (*Set, error) {
	s := &Set{text: map[string]*texttemplate.Template{}, html: map[string]*lazyHTML{}, noFold: noFold}
	sources := map[string]string{} // lang/name → source
	names := map[string][]string{} // lang → names
	for _, lang := range languages {
		entries, err := fs.ReadDir(embedded, "mail/"+lang)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".tmpl")
			if !ok {
				continue
			}
			b, err := fs.ReadFile(embedded, path.Join("mail", lang, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
			sources[lang+"/"+name] = string(b)
			names[lang] = append(names[lang], name)
		}
	}
	if !slices.Equal(names["nl"], names["en"]) {
		return nil, fmt.Errorf("templates: nl has %v but en has %v", names["nl"], names["en"])
	}
	if overrideDir != "" {
		if err := readOverrides(overrideDir, sources); err != nil {
			return nil, err
		}
	}
	for _, lang := range languages {
		for _, form := range forms[lang] {
			base, err := parseShared(lang, form, partials(sources, lang))
			if err != nil {
				return nil, err
			}
			for key, src := range sources {
				name, ok := strings.CutPrefix(key, lang+"/")
				if !ok || strings.HasPrefix(name, "_") {
					continue
				}
				if err := s.parse(key, form, src, base); err != nil {
					return nil, err
				}
			}
		}
	}
	return s, nil
}

// readOverrides replaces sources with the files in dir/LANG/NAME.tmpl.
func readOverrides(dir string, sources map[string]string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("templates: override folder: %w", err)
	}
	for _, lang := range languages {
		files, err := filepath.Glob(filepath.Join(dir, lang, "*.tmpl"))
		if err != nil {
			return fmt.Errorf("templates: override folder: %w", err)
		}
		for _, f := range files {
			key := lang + "/" + strings.TrimSuffix(filepath.Base(f), ".tmpl")
			if _, ok := sources[key]; !ok {
				return fmt.Errorf("templates: override %s: %w (known: %s)", f, ErrUnknown, strings.Join(known(sources, lang), ", "))
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("templates: override: %w", err)
			}
			sources[key] = string(b)
		}
	}
	return nil
}

// partials returns the shared blocks of lang, in a stable order.
func partials(sources map[string]string, lang string) []string {
	var keys []string
	for k := range sources {
		if strings.HasPrefix(k, lang+"/_") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = sources[k]
	}
	return out
}

func known(sources map[string]string, lang string) []string {
	var out []string
	for k := range sources {
		if name, ok := strings.CutPrefix(k, lang+"/"); ok {
			out = append(out, name+".tmpl")
		}
	}
	slices.Sort(out)
	return out
}

// sharedTemplates are the shared blocks of one language and address form,
// parsed once: every message of that form starts from a copy of them.
// (Parsing them again for each message was most of the start-up's CPU.)
type sharedTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// parseShared parses the shared blocks of lang, in the functions of form.
func parseShared(lang, form string, shared []string) (sharedTemplates, error) {
	name := lang + "/_shared#" + form
	t := texttemplate.New(name).Option("missingkey=error").Funcs(textFuncs(lang, form))
	h := htmltemplate.New(name).Option("missingkey=error").Funcs(htmlFuncs(lang, form))
	for _, p := range shared {
		var err error
		if t, err = t.Parse(p); err != nil {
			return sharedTemplates{}, fmt.Errorf("templates: %s: %w", name, err)
		}
		if h, err = h.Parse(p); err != nil {
			return sharedTemplates{}, fmt.Errorf("templates: %s: %w", name, err)
		}
	}
	return sharedTemplates{text: t, html: h}, nil
}

// parse reads one file into a copy of the shared blocks with text/template,
// for the subject and the plain text, and prepares its reading with
// html/template, which escapes by context, for the HTML. Both use the same
// parser and the same function names, so a file text/template reads,
// html/template reads too: that reading waits until the message is first
// rendered (it was two thirds of the start-up's CPU, for messages most runs
// never send). A block the file defines replaces a shared one of the same
// name.
func (s *Set) parse(key, form, src string, base sharedTemplates) error {
	tc, err := base.text.Clone()
	if err != nil {
		return fmt.Errorf("templates: %s: %w", key, err)
	}
	t, err := tc.New(key).Parse(src)
	if err != nil {
		return fmt.Errorf("templates: %s: %w", key, err)
	}
	for _, block := range []string{"subject", "text", "html"} {
		if t.Lookup(block) == nil {
			return fmt.Errorf("templates: %s: no {{define %q}} block", key, block)
		}
	}
	if !s.noFold {
		foldText(t, form)
	}
	s.text[key+"#"+form] = t
	s.html[key+"#"+form] = &lazyHTML{key: key, form: form, fold: !s.noFold, src: src, base: base.html}
	return nil
}

// Render renders message name in lang with data, in the address form data
// asks for (Addressed). The subject comes back as one line; a missing field
// in data is an error, never an empty string.
func (s *Set) Render(name, lang string, data any) (subject, text, html string, err error) {
	form := ""
	if lang == "nl" {
		form = FormU
		if a, ok := data.(Addressed); ok {
			form = a.AddressForm()
		}
	}
	if !slices.Contains(forms[lang], form) {
		return "", "", "", fmt.Errorf("%w: address form %q of %s (want u or je)", ErrUnknown, form, lang)
	}
	// The keys are concatenated where they are used, so that they do not
	// escape: no allocation per Render. Errors name the message from h.
	t, ok := s.text[lang+"/"+name+"#"+form]
	h := s.html[lang+"/"+name+"#"+form]
	if !ok {
		return "", "", "", fmt.Errorf("%w: %s/%s#%s", ErrUnknown, lang, name, form)
	}
	b := s.buffer()
	defer s.release(b)
	if err := t.ExecuteTemplate(b, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("templates: %s#%s subject: %w", h.key, h.form, err)
	}
	// A subject is one header line: whatever the data held (a parent's own
	// subject may carry line breaks), it must not break out of it.
	subject = oneLine(b.Bytes())
	b.Reset()
	if err := t.ExecuteTemplate(b, "text", data); err != nil {
		return "", "", "", fmt.Errorf("templates: %s#%s text: %w", h.key, h.form, err)
	}
	text = tidyText(b.Bytes())
	b.Reset()
	if err := h.ExecuteTemplate(b, "html", data); err != nil {
		return "", "", "", fmt.Errorf("templates: %s#%s html: %w", h.key, h.form, err)
	}
	return subject, text, withNewline(bytes.TrimSpace(b.Bytes())), nil
}
