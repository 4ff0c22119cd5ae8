// Package testcorpus finds the shared message corpus for the tests of every
// package (mailbox, workflow, cmd/complaintd): one rule for where it is.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared message corpus: $COMPLAINTD_CORPUS, else a
// "shared/corpus", "testdata/corpus" or "corpus" folder in the working
// directory or one above it. A missing corpus fails the test (a corpus test
// that passes without its corpus tests nothing); COMPLAINTD_CORPUS=skip
// skips it on purpose.
func Dir(tb testing.TB) string {
	tb.Helper()
	if env := os.Getenv("COMPLAINTD_CORPUS"); env != "" {
		if env == "skip" {
			tb.Skip("COMPLAINTD_CORPUS=skip")
		}
		if !isCorpus(env) {
			tb.Fatalf("COMPLAINTD_CORPUS=%s holds no corpus (README.md and nl/ expected)", env)
		}
		return env
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		for _, rel := range []string{"shared/corpus", "testdata/corpus", "corpus"} {
			if c := filepath.Join(dir, rel); isCorpus(c) {
				return c
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("message corpus not found (looked for shared/corpus, testdata/corpus, corpus upwards); " +
				"set COMPLAINTD_CORPUS to its path, or to skip")
		}
		dir = parent
	}
}

// isCorpus: a corpus folder holds its README and the Dutch messages.
func isCorpus(dir string) bool {
	_, errReadme := os.Stat(filepath.Join(dir, "README.md"))
	_, errNL := os.Stat(filepath.Join(dir, "nl"))
	return errReadme == nil && errNL == nil
}
