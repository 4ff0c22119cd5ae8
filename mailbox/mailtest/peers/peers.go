// Package peers starts the real mail servers people run, per test, on
// 127.0.0.1 with throwaway configurations: Debian's Postfix with strict
// settings and SASL authentication, delivering to a maildir the test reads,
// and Mailpit (installed with go install), read through its HTTP API.
//
// It is for tests only (it imports testing): each Start function takes the
// test, stops its server in t.Cleanup, and skips the test only when the
// server's binary is not installed. CI installs them and fails on skips.
// Nothing outside the test's temporary directory is read or written, and
// any number of servers can run side by side.
package peers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// FailAfter bounds every wait in this package (start, stop, a message to
// arrive). It is a failure bound only: each wait ends as soon as its event
// happens.
const FailAfter = 30 * time.Second

// Msg is one message a server received and stored.
type Msg struct {
	From string   // envelope sender (MAIL FROM), from the Return-Path the server wrote
	To   []string // envelope recipients (RCPT TO) of this stored copy
	// Raw is the message as the server stored it, with the trace fields it
	// prepended (Return-Path, Delivered-To, Received, ...).
	Raw []byte
	// Data is what the client sent in DATA (dot-stuffing undone): Raw
	// without the prepended fields, with CRLF line ends (Postfix stores
	// maildir files with LF).
	Data []byte
}

// clientData removes the trace fields a server prepended to a stored message:
// every field up to and including the first Received field (Postfix and
// Mailpit both write their Received field last, RFC 5321 4.4), and restores
// CRLF line ends.
func clientData(raw []byte) ([]byte, error) {
	rest := raw
	for {
		line, after, ok := bytes.Cut(rest, []byte("\n"))
		if !ok || len(bytes.TrimRight(line, "\r")) == 0 {
			return nil, errors.New("peers: no Received field in the stored message's header")
		}
		rest = after
		if !bytes.HasPrefix(bytes.ToLower(line), []byte("received:")) {
			continue
		}
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			if _, after, ok := bytes.Cut(rest, []byte("\n")); ok {
				rest = after
			} else {
				rest = nil
			}
		}
		return toCRLF(rest), nil
	}
}

// toCRLF turns every bare LF into CRLF.
func toCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+bytes.Count(b, []byte("\n")))
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// proc is a started server process in its own process group.
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait returned
	err    error         // Wait's result, set before exited is closed
}

// startProc starts cmd in a process group of its own, so that stop reaches
// every process it forked. Should the test binary die without cleaning up
// (a test timeout), the kernel sends the server SIGTERM (Pdeathsig), so no
// server outlives its test.
func startProc(t testing.TB, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("peers: start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p
}

// stop sends SIGTERM to the process group and waits for the leader to exit,
// then kills what is left of the group.
func (p *proc) stop(t testing.TB) {
	t.Helper()
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(FailAfter):
		t.Errorf("peers: %s did not stop within %v after SIGTERM; killing it", p.name, FailAfter)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
	// Children that outlived the leader (they normally exit on its SIGTERM).
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// waitSMTP waits until addr answers with an SMTP greeting (220), or fails the
// test when the process exits or FailAfter passes. logs is shown on failure.
func waitSMTP(t testing.TB, p *proc, addr string, logs func() string) {
	t.Helper()
	deadline := time.After(FailAfter)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		last := greets(addr)
		if last == nil {
			return
		}
		// The server gives no sign that it is up but its greeting: poll the
		// port until it answers, the process exits, or the bound passes.
		select {
		case <-p.exited:
			t.Fatalf("peers: %s exited during start-up (%v):\n%s", p.name, p.err, logs())
		case <-deadline:
			t.Fatalf("peers: %s not answering on %s within %v: %v\n%s", p.name, addr, FailAfter, last, logs())
		case <-tick.C:
		}
	}
}

// greets connects to addr, reads the greeting and says QUIT.
func greets(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "220") {
			return fmt.Errorf("greeting %q", strings.TrimSpace(line))
		}
		if len(line) < 4 || line[3] != '-' {
			break
		}
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	return nil
}

// waitFor polls list until it returns at least n messages, or fails the test
// after FailAfter (or when ctx ends). The servers deliver asynchronously and
// give no event to wait on, so this is a bounded wait on a condition.
func waitFor(t testing.TB, ctx context.Context, what string, n int, list func() ([]Msg, error)) []Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, FailAfter)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		msgs, err := list()
		if err != nil {
			t.Fatalf("peers: %s: %v", what, err)
		}
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("peers: %s: waiting for %d message(s), have %d: %v", what, n, len(msgs), ctx.Err())
		}
	}
}

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }
