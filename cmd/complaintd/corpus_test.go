package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir finds the shared corpus: $COMPLAINTD_CORPUS, else shared/corpus
// in a folder above this one. Missing, the test fails: a corpus test that
// passes without its corpus tests nothing.
func corpusDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("COMPLAINTD_CORPUS"); d != "" {
		if d == "skip" {
			t.Skip("COMPLAINTD_CORPUS=skip")
		}
		return d
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "corpus")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("corpus not found: set COMPLAINTD_CORPUS to the shared/corpus folder")
		}
		dir = parent
	}
}

func globCorpus(t *testing.T, dir, sub string) []string {
	t.Helper()
	var out []string
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".expected.txt") {
			out = append(out, filepath.Join(dir, sub, e.Name()))
		}
	}
	return out
}

// readCorpus reads a corpus file as a mail server would store it: without a
// leading mbox "From " line, and only the first of concatenated messages.
func readCorpus(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(b), "From ") {
		b = b[strings.IndexByte(string(b), '\n')+1:]
		if i := strings.Index(string(b), "\nFrom "); i >= 0 {
			b = b[:i+1]
		}
	}
	return b
}
