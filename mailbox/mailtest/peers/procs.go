// Helpers shared by the servers of this package: ports, processes, secrets.

package peers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DovecotFailAfter bounds every wait on Dovecot and its processes (start,
// stop, readiness, exit). A failure bound only: each wait ends as soon as
// its event happens.
const DovecotFailAfter = 30 * time.Second

// FreePort returns a free port on 127.0.0.1 below the kernel's ephemeral
// range, so that neither a listener on :0 nor an outgoing connection takes
// it while a restart leaves it unbound. A port handed out once in this
// process is not handed out again.
func FreePort(t testing.TB) int {
	t.Helper()
	hi := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				hi = n
			}
		}
	}
	lo := 20000
	if hi-lo < 2000 {
		lo, hi = 1024, 65535 // unusual range: just pick a free one anywhere
	}
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 100 {
		port := lo + mrand.IntN(hi-lo)
		if portsTaken[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		portsTaken[port] = true
		return port
	}
	t.Fatal("peers: no free port found")
	return 0
}

// The ports handed out in this process: shared by every server of every
// test in it, which is the point (two parallel tests must not pick the same
// port between check and bind).
var (
	portsMu    sync.Mutex
	portsTaken = map[int]bool{}
)

// procStat is what /proc/<pid>/stat says about a process.
type procStat struct {
	PID, PPID, PGID int
	Comm            string
	State           string // "Z" for a zombie
}

// procsWhere lists the live (non-zombie) processes for which keep is true.
func procsWhere(keep func(procStat) bool) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid pgrp ..."; comm may contain spaces.
		open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(stat[end+1:]))
		if len(f) < 3 {
			continue
		}
		p := procStat{PID: pid, Comm: string(stat[open+1 : end]), State: f[0]}
		p.PPID, _ = strconv.Atoi(f[1])
		p.PGID, _ = strconv.Atoi(f[2])
		if p.State != "Z" && keep(p) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGroupGone waits until no live process of the group remains (its
// children are not ours to wait for, so this polls /proc, bounded) and
// kills stragglers. Zombies do not count: reaping them is init's business.
func waitGroupGone(t testing.TB, what string, pgid int) {
	deadline := time.Now().Add(5 * time.Second)
	for len(procsWhere(func(p procStat) bool { return p.PGID == pgid })) > 0 {
		if time.Now().After(deadline) {
			t.Logf("%s: processes of group %d outlived SIGTERM; killing them", what, pgid)
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		time.Sleep(5 * time.Millisecond) // polling for exit, bounded above
	}
}

// WaitExited waits until the processes are gone. They are a server's
// children, not ours, so there is nothing to wait on: this polls, bounded.
func WaitExited(t testing.TB, pids []int) {
	t.Helper()
	deadline := time.Now().Add(DovecotFailAfter)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("peers: process %d still running after %v", pid, DovecotFailAfter)
			}
			time.Sleep(10 * time.Millisecond) // polling for exit, bounded above
		}
	}
}

// randomHex returns n random bytes as hex, for throwaway passwords.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// LastLines returns the last n lines of b, for logs in failure messages.
func LastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// worldReadableTempDir makes a temporary directory (removed when the test
// ends) that the servers' unprivileged processes can enter. Not t.TempDir():
// when the test runs as root the servers' mail processes run as nobody, who
// cannot enter the 0700 directories t.TempDir makes; and unix sockets live in
// here, whose paths must stay under 108 bytes whatever the test's name.
func worldReadableTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
