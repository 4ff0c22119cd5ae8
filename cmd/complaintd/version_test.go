package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "-version", "--version"} {
		out, _, err := run(t, t.Context(), arg)
		if err != nil || !strings.HasPrefix(out, "complaintd ") || !strings.Contains(out, "go1.") {
			t.Fatalf("%s: %v\n%s", arg, err, out)
		}
	}
}

// TestVersionFromBuild builds the binary as the Makefile does and checks
// that it names the revision it was built from.
func TestVersionFromBuild(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "complaintd")
	const rev = "0123456789abcdef0123456789abcdef01234567"
	build := exec.CommandContext(t.Context(), "go", "build", "-ldflags",
		"-X main.releaseVersion=v9.8.7 -X main.releaseCommit="+rev+" -X main.releaseTime=2026-12-01T10:00:00Z",
		"-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(t.Context(), bin, "version").CombinedOutput()
	want := "complaintd v9.8.7 (revision " + rev + ", committed 2026-12-01T10:00:00Z)"
	if err != nil || !strings.HasPrefix(string(out), want) {
		t.Fatalf("version: %v\n got %s\nwant %s", err, out, want)
	}
}
