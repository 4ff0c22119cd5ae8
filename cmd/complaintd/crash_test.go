package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// crashFailAfter bounds every wait in these tests; each ends as soon as
// what it waits for happens.
const crashFailAfter = 60 * time.Second

// buildBinary compiles complaintd once per test into its temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "complaintd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// daemonProc is one `complaintd run` process.
type daemonProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	mu     *sync.Mutex
	exited chan struct{}
}

func startDaemon(t *testing.T, bin, config string) *daemonProc {
	t.Helper()
	var mu sync.Mutex
	buf := &bytes.Buffer{}
	cmd := exec.Command(bin, "run", "-config", config)
	cmd.Stderr = lockedWriter{&mu, buf}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the test binary
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &daemonProc{cmd: cmd, stderr: buf, mu: &mu, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("daemon %d log:\n%s", cmd.Process.Pid, p.log())
		}
	})
	return p
}

func (p *daemonProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// waitFor polls cond (a database or process state with no event to wait
// on) until it holds, failing after crashFailAfter.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitForShowing(t, what, cond, nil)
}

// waitForShowing is waitFor whose failure also says what show finds (what
// there was instead).
func waitForShowing(t *testing.T, what string, cond func() bool, show func() string) {
	t.Helper()
	deadline := time.Now().Add(crashFailAfter)
	for !cond() {
		if time.Now().After(deadline) {
			found := ""
			if show != nil {
				found = "; found " + show()
			}
			t.Fatalf("timed out after %v waiting for %s%s", crashFailAfter, what, found)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded above
	}
}

// crashConfig is demoConfig for the kill tests, which count every mail
// sent: without managers, whose scheduled mail (the daily digest, due at
// any start after its time of day; the annual report's reminder in May)
// would come on top of the complaints' mail or not, depending on the hour
// the test runs and on the race between a daemon's first scheduler pass
// and its first poll (a digest queued once the complaints are processed
// lists them as new; one made before is recorded as "nothing to report";
// a daemon killed before its pass leaves the digest to its successor).
func crashConfig(dir, imapAddr, smtpAddr string) *Config {
	cfg := demoConfig(dir, imapAddr, smtpAddr)
	cfg.Managers = nil
	return cfg
}

// outboxByKind lists the outbox's rows per kind and state, for a failure
// message.
func outboxByKind(ctx context.Context, db *store.DB) string {
	var rows []struct {
		Kind  string `db:"kind"`
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := db.Select(ctx, &rows, `SELECT kind, state, COUNT(*) AS n FROM outbox GROUP BY kind, state ORDER BY kind, state`); err != nil {
		return "outbox unreadable: " + err.Error()
	}
	parts := make([]string, 0, len(rows))
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%d %s %s", r.N, r.Kind, r.State))
	}
	return "outbox rows: " + strings.Join(parts, ", ")
}

// After kill -9 of a daemon in the middle of sending, the next daemon sends
// every mail it had claimed within seconds (not after the 5-minute lease),
// and each exactly once. While the first runs, a second daemon on the same
// SQLite file is refused with a message naming the file.
func TestKilledDaemonsClaimedMailIsSentOnceAfterRestart(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	storetest.EachURL(t, func(t *testing.T, url string) {
		imapSrv, smtpSrv := startPeers(t)
		silent, closeSilent, err := mailtest.StartSilent()
		if err != nil {
			t.Fatal(err)
		}
		defer closeSilent()

		cfg := crashConfig(t.TempDir(), imapSrv.Addr(), silent)
		cfg.Database.URL = url
		cfg.IMAP.PollInterval = time.Second
		cfg.SMTP.Timeout = 10 * time.Minute // the first daemon hangs in its first send until killed
		stuckConfig := writeHarnessConfig(t, cfg)
		cfg.SMTP.Addr = smtpSrv.Addr()
		goodConfig := writeHarnessConfig(t, cfg)

		for i, from := range []string{sanne, "Peter Bakker <peter.bakker@example.nl>"} {
			raw := rawMail(mailOpts{from: from, subject: "Klacht", id: "crash" + string(rune('a'+i)) + "@mail.example.nl",
				body: "Mijn kind is buiten gezet zonder jas.\n"})
			if _, err := imapSrv.Deliver("INBOX", raw, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		const want = 6 // per complaint: its confirmation and a notification to each of two handlers

		look, err := store.Open(t.Context(), url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer look.Close()
		rows := func(where string) int {
			var n int
			_ = look.Get(t.Context(), &n, `SELECT COUNT(*) FROM outbox WHERE `+where)
			return n
		}
		outbox := func() string { return outboxByKind(t.Context(), look) }

		first := startDaemon(t, bin, stuckConfig)
		// Both complaints processed, and the outbox stuck in its first send
		// with what it claimed (its first pass may have run between the two
		// complaints: then the second one's mail is still queued).
		waitForShowing(t, "the first daemon to process both complaints and claim mail", func() bool {
			return rows("1 = 1") == want && rows("state = 'sending'") >= 3
		}, outbox)

		if look.Dialect() == store.SQLite {
			second := startDaemon(t, bin, goodConfig)
			select {
			case <-second.exited:
			case <-time.After(crashFailAfter):
				t.Fatal("a second daemon on the same SQLite file keeps running")
			}
			path, _ := strings.CutPrefix(url, "sqlite:")
			if second.cmd.ProcessState.ExitCode() == 0 || !strings.Contains(second.log(), path) || !strings.Contains(second.log(), "another complaintd") {
				t.Fatalf("second daemon exited %d, want a refusal naming %s:\n%s", second.cmd.ProcessState.ExitCode(), path, second.log())
			}
		}

		if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-first.exited
		if n := len(smtpSrv.Messages()); n != 0 {
			t.Fatalf("%d messages sent before the restart", n)
		}

		restarted := time.Now()
		startDaemon(t, bin, goodConfig)
		ctx, cancel := context.WithTimeout(t.Context(), crashFailAfter)
		defer cancel()
		if _, err := smtpSrv.Wait(ctx, want); err != nil {
			t.Fatalf("after the restart: %d of %d claimed messages sent: %v", len(smtpSrv.Messages()), want, err)
		}
		took := time.Since(restarted)
		waitForShowing(t, "every outbox row to be marked sent", func() bool { return rows("state = 'sent'") == want }, outbox)
		// Exactly once: nothing more arrives, and no recipient got a message twice.
		if n := len(smtpSrv.Messages()); n != want {
			t.Fatalf("%d messages sent, want each of %d once", n, want)
		}
		seen := map[string]bool{}
		for _, m := range smtpSrv.Messages() {
			key := strings.Join(m.To, ",") + string(m.Raw)
			if seen[key] {
				t.Errorf("sent twice to %v", m.To)
			}
			seen[key] = true
		}
		t.Logf("claimed mail sent %v after the restart", took.Round(time.Millisecond))
		if took > 30*time.Second {
			t.Errorf("claimed mail took %v after the restart: the claims waited for their lease", took)
		}
	})
}
