package workflow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Issue 15 point 5: a command lives in one entry of the table.

// Every phrase an entry writes is in both phrasebooks, with the same values
// to fill in.
func TestCommandPhrases(t *testing.T) {
	for _, s := range builtinCommands() {
		if s.handler && len(s.phrases) == 0 {
			t.Errorf("#%s names no phrases", s.name)
		}
		for _, k := range s.phrases {
			nl, okNL := phraseFormat("nl", k)
			en, okEN := phraseFormat("en", k)
			if !okNL || !okEN {
				t.Errorf("#%s: phrase %q is missing in Dutch (%v) or English (%v)", s.name, k, okNL, okEN)
				continue
			}
			if a, b := strings.Count(nl, "%"), strings.Count(en, "%"); a != b {
				t.Errorf("#%s: phrase %q fills in %d values in Dutch, %d in English", s.name, k, a, b)
			}
		}
	}
}

// No word names two commands, however it is written: for handlers (with
// the record's loose dashes) and for managers.
func TestCommandNamesAreUnique(t *testing.T) {
	tab := builtinCommands()
	canonical := map[string]bool{}
	byWord := map[string]string{}
	for _, s := range tab {
		if canonical[s.name] {
			t.Errorf("two entries are named %q", s.name)
		}
		canonical[s.name] = true
		if s.en == "" || !s.handler && s.manager == nil {
			t.Errorf("#%s: no English name, or nobody may use it", s.name)
		}
		for _, n := range s.names() {
			if other, dup := byWord[n]; dup && other != s.name {
				t.Errorf("%q names both #%s and #%s", n, other, s.name)
			}
			byWord[n] = s.name
			if n != strings.ToLower(n) || n != dashed(n) {
				t.Errorf("#%s: name %q is not written as it is matched (lower case, single dashes)", s.name, n)
			}
		}
	}
	// Every name finds its own entry, for whoever may use it.
	for _, s := range tab {
		for _, n := range s.names() {
			if got, ok := tab.handlerCommand(strings.ToUpper(n)); s.handler && (!ok || got != s.name) {
				t.Errorf("a handler's #%s is %q, %v; want #%s", n, got, ok, s.name)
			} else if !s.handler && ok {
				t.Errorf("a handler's #%s is #%s; it is a manager's command only", n, got)
			}
			if got, ok := tab.managerCommand(n); (s.manager != nil) != ok || ok && got.name != s.name {
				t.Errorf("a manager's #%s is %v, %v", n, got, ok)
			}
		}
	}
}

// The refusal of an unknown command lists the handlers' commands from the
// table, as it listed them when the list was written out by hand.
func TestUnknownCommandListsTheTable(t *testing.T) {
	for lang, want := range map[string]string{
		"nl": "onbekend commando; bekend zijn #intern, #status, #toewijzen, #locatie, #oordeel, #maatregel, #geen-maatregelen, #uitgevoerd, #ingetrokken, #afgerond, #bereikbaar, #signaal, #signaal-onterecht, #categorie, #betreft, #verslag, #klachtenloket, #geschillencommissie, #uitspraak en #akkoord",
		"en": "unknown command; known are #internal, #status, #assign, #location, #judgment, #measure, #no-measures, #done, #withdrawn, #close, #reachable, #signal, #signal-unfounded, #category, #concerns, #report, #klachtenloket, #geschillencommissie, #ruling and #approve (or their Dutch names)",
	} {
		w := recordWorkflow(lang)
		cmds, body := parseCommands("#dossier KL-2026-0001")
		p := w.planCommands(&Case{Status: StatusInProgress}, nil, cmds, body, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC))
		if len(p.refused) != 1 || p.refused[0].Why != want {
			t.Errorf("%s: refused %+v\nwant %q", lang, p.refused, want)
		}
	}
}

// No switch over command names is left outside the table: the code that
// checks a command is reached through its entry.
func TestNoSwitchOverCommandNames(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "command_table.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			cc, ok := n.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				if id, ok := e.(*ast.Ident); ok && strings.HasPrefix(id.Name, "cmd") && len(id.Name) > 3 && id.Name[3] >= 'A' && id.Name[3] <= 'Z' {
					t.Errorf("%s: a case on the command %s outside command_table.go", fset.Position(id.Pos()), id.Name)
				}
			}
			return true
		})
	}
}

// Every command a staff message mentions (#word, in either language) is a
// command of the table that its reader may use: a help text never teaches
// a name that does not work.
func TestTemplatesNameOnlyTableCommands(t *testing.T) {
	tab := builtinCommands()
	files, err := filepath.Glob(filepath.Join("..", "templates", "mail", "*", "*.tmpl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	word := regexp.MustCompile(`(?:^|[\s(>"'])#([a-zA-Z0-9][a-zA-Z0-9-]*)`)
	colour := regexp.MustCompile(`^[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range word.FindAllStringSubmatch(string(b), -1) {
			w := strings.TrimRight(m[1], "-")
			if colour.MatchString(w) {
				continue
			}
			_, handler := tab.handlerCommand(w)
			_, manager := tab.managerCommand(w)
			if !handler && !manager {
				t.Errorf("%s mentions #%s, which is no command", f, w)
			}
		}
	}
}
