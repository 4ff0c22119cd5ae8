package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain builds the daemon once for every test of this binary, into a
// folder removed afterwards; tests get its path from daemonBinary.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "complaintd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "complaintd")
	// `go test` puts the go command that runs it first in PATH.
	build := exec.Command("go", buildArgs(bin)...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/complaintd: %v\n%s", err, out)
		return 1
	}
	daemonBinary = bin
	return m.Run()
}

// daemonBinary is the complaintd binary TestMain built: set once before any
// test runs, read-only afterwards.
var daemonBinary string

// buildArgs are the go command's arguments that build the daemon into bin.
// With COMPLAINTD_RACE_BINARY=1 (CI) the daemon is built with the race
// detector: the flows these tests drive then also check the daemon's own
// goroutines, and a race it finds ends it with exit status 66 and
// "WARNING: DATA RACE" in its log, which fails the test.
func buildArgs(bin string) []string {
	args := []string{"build", "-o", bin}
	if os.Getenv("COMPLAINTD_RACE_BINARY") == "1" {
		args = append(args, "-race")
	}
	return append(args, "github.com/complaintd/complaintd/cmd/complaintd")
}
