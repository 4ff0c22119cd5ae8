package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The systemd unit in deploy/ verifies cleanly with systemd-analyze, with
// ExecStart pointing at a freshly built binary (verify checks it exists),
// and keeps the settings the README promises.
func TestSystemdUnitVerifies(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is needed (Debian package systemd)")
	}
	unit, err := os.ReadFile("../../deploy/complaintd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Type=notify", "WatchdogSec=", "User=complaintd", "StateDirectory=complaintd",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ExecStart=/usr/local/bin/complaintd run "} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "complaintd")
	if out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "complaintd.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/complaintd", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The hardening keeps the exposure score low ("OK" is below 4.0).
	out, err = exec.CommandContext(t.Context(), analyze, "security", "--offline=yes", "--threshold=20", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Overall exposure level for complaintd.service: 1.") {
		t.Errorf("systemd-analyze security: %v\n%s", err, lastLines(string(out), 3))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
