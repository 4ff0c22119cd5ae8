package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMain builds the complaintd binary once for the demo to run, into a
// folder removed afterwards.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "complaintd-demo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo test:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "complaintd")
	// `go test` puts the go command that runs it first in PATH.
	build := exec.Command("go", buildArgs(bin)...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "demo test: go build ./cmd/complaintd: %v\n%s", err, out)
		return 1
	}
	daemonBinary = bin
	return m.Run()
}

// daemonBinary is the complaintd binary TestMain built: set once before any
// test runs, read-only afterwards.
var daemonBinary string

// demo runs the demo as make demo does, on the binary TestMain built.
func demo(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = cmdDemo(t.Context(), append([]string{"-complaintd", daemonBinary}, args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

// complaintd runs one complaintd command.
func complaintd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), daemonBinary, args...)
	cmd.Env = daemonEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errOut.String())
	}
	return out.String(), errOut.String(), err
}

// make demo runs this: it must work with no configuration at all.
func TestDemo(t *testing.T) {
	out, errOut, err := demo(t)
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"KL-2026-0001", "KL-2026-0003",
		"[KL-2026-0001] Ontvangstbevestiging van uw klacht",
		"1. Waarom is het formulier niet gevolgd?", // HTML-only mail from a phone, as text
		"€ 412,50 wordt teruggestort",              // windows-1252, decoded
		"factuur november.pdf",                     // its attachment
		"Nieuw bericht van Sanne Jansen",           // the parent's reply reached the handlers
		"dit al de tweede keer was",
		"Dank je voor je aanvulling",                                   // Anna's answer, relayed to the parent
		"[KL-2026-0003] Ons oordeel over uw klacht",                    // her judgment
		"Uiterlijk uitgevoerd op",                                      // with the measure's date
		"[KL-2026-0003] Verwerkt",                                      // and her confirmation
		"[KL-2026-0003] Een maatregel uit ons oordeel is uitgevoerd",   // one measure done on its own
		"Het bedrag is vandaag teruggestort; de incasso is stopgezet.", // with Anna's line for the parent
		"[KL-2026-0003] Uw klacht is afgerond",                         // the last one closes the case
		"Sinds deze week bevestigen we elke opzegging binnen twee werkdagen per e-mail.",
		"Uitgevoerd: Dossier KL-2026-0001",                 // a manager's #dossier, answered
		"Attachment: dossier-KL-2026-0001.html (text/html", // with the case file
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Count(out, "EMAIL ") != 25 {
		t.Errorf("demo printed %d emails, want 25 (3 confirmations, 6 notifications, 2 reply notifications, "+
			"Anna's command result and its notification, her answer relayed and passed on, the judgment, "+
			"its confirmation and notification, the same three for each of her two #uitgevoerd, and the manager's case file)", strings.Count(out, "EMAIL "))
	}
	// The first #uitgevoerd leaves the case open; the second closes it.
	if !regexp.MustCompile(`(?m)^KL-2026-0003\s+closed\s`).MatchString(out) {
		t.Errorf("the demo's case list does not show KL-2026-0003 closed after its last measure was done")
	}
	if n := strings.Count(out, "Subject: [KL-2026-0003] Een maatregel uit ons oordeel is uitgevoerd"); n != 1 {
		t.Errorf("%d measure-done letters, want 1: the last measure brings the closing letter instead", n)
	}
	// Anna's answer reaches the parent itself, with her words only.
	relayed := false
	for _, m := range strings.Split(out, "EMAIL ")[1:] {
		if strings.Contains(m, "-> sanne.jansen@example.nl") && strings.Contains(m, "Dank je voor je aanvulling") {
			relayed = true
			if strings.Contains(m, "#toewijzen") || strings.Contains(m, "Oorspronkelijk bericht") {
				t.Errorf("the parent sees Anna's commands or quoted history:\n%s", m)
			}
		}
	}
	if !relayed {
		t.Errorf("Anna's answer did not reach the parent")
	}
}

// demo -keep leaves a configuration beside its database that the looking
// commands can use; those commands refuse a database file that is not there
// rather than create an empty one.
func TestDemoKeepAndTheLookingCommands(t *testing.T) {
	out, errOut, err := demo(t, "-keep")
	if err != nil {
		t.Fatalf("demo -keep: %v\n%s", err, errOut)
	}
	_, rest, ok := strings.Cut(out, "are kept in ")
	dir, _, _ := strings.Cut(rest, ". Look at them")
	if !ok || !strings.HasPrefix(dir, os.TempDir()) {
		t.Fatalf("demo -keep does not say where it kept its files:\n%s", out)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	config := filepath.Join(dir, "demo.toml")
	list, _, err := complaintd(t, "cases", "list", "-config", config)
	if err != nil || !strings.Contains(list, "KL-2026-0003") {
		t.Errorf("cases list on the kept demo: %v\n%s", err, list)
	}

	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "elders.db")
	other := filepath.Join(dir, "other.toml")
	if err := os.WriteFile(other, []byte(strings.ReplaceAll(string(raw), filepath.Join(dir, "complaintd.db"), missing)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"cases", "list"}, {"due"}, {"digest"}} {
		_, _, err := complaintd(t, append(cmd, "-config", other)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%s on a missing database: %v, want an error saying it does not exist", cmd[0], err)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a looking command created the missing database")
	}
}

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
