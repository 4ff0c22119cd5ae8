package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The client matrix (issue 8): testdata/clients/<client>/ holds replies as
// each common mail client writes them (sources in its README). For every
// client, on SQLite and PostgreSQL: a parent's reply joins her case; a
// handler's answer reaches the parent with only the new text; a handler's
// command lines run.
func TestClientMatrix(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("../../testdata/clients/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		n++
		client := filepath.Base(dir)
		t.Run(client, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				testClient(t, url, dir)
			})
		})
	}
	if n < 10 {
		t.Fatalf("only %d clients in testdata/clients", n)
	}
}

func testClient(t *testing.T, url, dir string) {
	// Our Message-IDs on the organisation's own domain, the default
	// message_id_host: the handlers' Apple Mail, Thunderbird and Roundcube
	// write theirs there too.
	h := newHarnessWith(t, url, func(c *Config) { c.Organisation.MessageHost = "vlinder.example" })
	conf := confirmationOf(t, h)
	seq := 0
	fill := func(name string, answered sentMail) []byte {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(dir, name+".eml"))
		if err != nil {
			t.Fatal(err)
		}
		seq++
		refs := append(answered.msg.References(), answered.msg.MessageID())
		return []byte(strings.NewReplacer(
			"{{.MessageID}}", fmt.Sprintf("%s%d", strings.ReplaceAll(filepath.Base(dir), "-", ""), seq),
			"{{.InReplyTo}}", answered.msg.MessageID(),
			"{{.References}}", "<"+strings.Join(refs, "> <")+">",
			"{{.Subject}}", answered.msg.Subject(),
		).Replace(string(raw)))
	}
	expected := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name+".expected.txt"))
		if err != nil {
			t.Fatal(err)
		}
		return normalised(string(b))
	}
	lastNewText := func() string {
		t.Helper()
		var s string
		if err := h.c.db.Get(h.ctx, &s, `SELECT new_text FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		return normalised(s)
	}

	// The parent's replies join her case and reach the handlers.
	parents, _ := filepath.Glob(filepath.Join(dir, "parent-reply*.eml"))
	if len(parents) == 0 {
		t.Fatal("no parent reply")
	}
	for _, p := range parents {
		name := strings.TrimSuffix(filepath.Base(p), ".eml")
		h.deliver(fill(name, conf))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 1 {
			t.Fatalf("%s: %d cases, want the reply on the parent's case", name, n)
		}
		if got, want := lastNewText(), expected(name); got != want {
			t.Errorf("%s: new text\n%s\n---- want:\n%s", name, got, want)
		}
		notes := h.sentTo("anna.devries@vlinder.example")
		if last := notes[len(notes)-1]; !strings.Contains(last.text, firstLine(expected(name))) {
			t.Errorf("%s: the handler was not shown the reply:\n%s", name, last.text)
		}
	}
	if n := h.countRows("ledger", "state <> 'processed'"); n != 0 {
		t.Fatalf("%d messages not processed", n)
	}

	// Anna's answer reaches the parent with only her new text.
	notes := h.sentTo("anna.devries@vlinder.example")
	h.deliver(fill("handler-answer", notes[len(notes)-1]))
	h.poll()
	h.flush()
	want := expected("handler-answer")
	if got := lastNewText(); got != want {
		t.Errorf("handler answer: new text\n%s\n---- want:\n%s", got, want)
	}
	parent := h.sentTo("sanne.jansen@example.nl")
	if len(parent) != 2 {
		t.Fatalf("the parent got %d mails, want the confirmation and the answer", len(parent))
	}
	// The letter greets and signs itself; Anna's own greeting (the first
	// paragraph) and sign-off (the last) are left out (issue 11).
	paras := strings.Split(want, "\n\n")
	answer := "Beste Sanne Jansen,\n\n" + strings.Join(paras[1:len(paras)-1], "\n\n") + "\n\nMet vriendelijke groet,\n\nAnna de Vries\n"
	relayed := normalised(parent[1].text)
	if !strings.HasPrefix(relayed, answer) {
		t.Errorf("the parent's mail does not start with the answer:\n%s\n---- want:\n%s", relayed, answer)
	}
	for _, leak := range []string{"NIET-VOOR-DE-OUDER", "#intern", "Nieuwe klacht", "Oorspronkelijk", "schreef", "geschreven", "Verstuurd vanaf", "Van: "} {
		if strings.Contains(relayed, leak) {
			t.Errorf("the parent sees %q:\n%s", leak, relayed)
		}
	}

	// Anna's command lines run; the quoted #intern line does not.
	h.deliver(fill("handler-commands", notes[len(notes)-1]))
	h.poll()
	h.flush()
	c := h.caseByRef("KL-2026-0001")
	if c.Location != "KDV De Rups" || c.Status != workflow.StatusInProgress {
		t.Errorf("after the commands: location %q, status %s", c.Location, c.Status)
	}
	res := h.sentTo("anna.devries@vlinder.example")
	if last := res[len(res)-1]; !strings.Contains(last.msg.Subject(), "Verwerkt") {
		t.Errorf("command result %q:\n%s", last.msg.Subject(), last.text)
	}
	if n := len(h.sentTo("sanne.jansen@example.nl")); n != 2 {
		t.Errorf("the parent got %d mails after the commands, want still 2", n)
	}
	if hasEntry(h.timeline("KL-2026-0001"), workflow.EventNote, "") {
		t.Errorf("a note was recorded from the quoted notification")
	}
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// normalised is the comparison of ../shared/corpus/nl/README.md: LF line
// ends, no trailing white space, runs of empty lines collapsed.
func normalised(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"), "\n")
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
