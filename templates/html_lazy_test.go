package templates_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/complaintd/complaintd/templates"
)

// The HTML reading of a message waits for its first rendering, but a file
// that does not parse still stops New: an operator learns of it at start-up
// (complaintd check), not when the message is first sent.
func TestOverrideWithBrokenHTMLBlockIsRefusedAtStartUp(t *testing.T) {
	broken := strings.Replace(simple, `<p>{{.Name}}</p>`, `<p>{{.Name</p>`, 1)
	_, err := templates.New(override(t, map[string]string{"nl/confirmation.tmpl": broken}))
	if err == nil || !strings.Contains(err.Error(), "nl/confirmation") {
		t.Fatalf("err = %v, want the broken html block of nl/confirmation reported", err)
	}
}

// Messages rendered for the first time by many goroutines at once all get
// the same, complete HTML (run under -race in CI).
func TestFirstRenderingsAtOnceAgree(t *testing.T) {
	set, err := templates.New(override(t, map[string]string{"nl/confirmation.tmpl": simple}))
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	htmls := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, htmls[i], errs[i] = set.Render("confirmation", "nl", letter{Name: "<Sanne>", Text: "Tekst", Subject: "Ophalen"})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if htmls[i] != htmls[0] || !strings.Contains(htmls[i], "<p>&lt;Sanne&gt;</p>") {
			t.Fatalf("rendering %d: %q, want %q with the name escaped", i, htmls[i], htmls[0])
		}
	}
}
