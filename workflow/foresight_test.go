package workflow_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/internal/testcorpus"
	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// What ArriveGroup works out ahead for each message of the corpus (real
// bounces, auto-replies, client mail, MIME edge cases) is what acting on it
// computes itself, and the group's serial path takes it from there.
func TestForesightIsWhatActingComputes(t *testing.T) {
	w, _, _ := groupWorkflow(t, storetest.Open(t, store.SQLite))
	var files []string
	_ = filepath.WalkDir(testcorpus.Dir(t), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 20 {
		t.Fatalf("%d corpus messages, want the corpus", len(files))
	}
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mailbox.Parse(raw)
		if err != nil {
			continue // processed alone and quarantined, never foreseen
		}
		for _, d := range w.ForesightDiff(m) {
			t.Errorf("%s: %s", p, d)
		}
	}
}
