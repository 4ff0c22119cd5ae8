package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
)

// failAfter bounds every wait of the suite: for mail to arrive, a case to
// change, the daemon to stop. A failure bound only; each wait ends as soon
// as its condition holds.
const failAfter = 60 * time.Second

// setup is what a test hands the daemon: the servers and the database, as
// an operator writes them into the configuration file.
type setup struct {
	dbURL   string
	imap    *peers.Dovecot
	smtp    smtpPeer
	workDir string
	// extra is appended to the configuration file (the managers of a
	// test that needs them).
	extra string
}

// configFile writes the configuration an operator of Kinderopvang De Vlinder
// would: the real organisation's shape, our servers' addresses. Secrets are
// not in it; they come from the environment (env).
func (s setup) configFile(t *testing.T) (path string, env []string) {
	t.Helper()
	sm := s.smtp.submission()
	var b strings.Builder
	fmt.Fprintf(&b, `[organisation]
name          = "Kinderopvang De Vlinder"
address       = "klachten@vlinder.example"
timezone      = "Europe/Amsterdam"
language      = "nl"
procedure_url = "https://www.vlinder.example/klachtenregeling"
privacy_url   = "https://www.vlinder.example/privacy"
# message_id_host is left at its default, the domain of address: the
# domain the handlers' own mail clients write their Message-IDs on.

[database]
url = %q

[imap]
addr     = %q
tls      = "starttls"
ca_file  = %q
username = %q

[smtp]
addr     = %q
tls      = %q
ca_file  = %q
username = %q
helo     = "complaintd.vlinder.example"
timeout  = "20s"

[[handlers]]
name  = "Anna de Vries"
email = "anna.devries@vlinder.example"

[[handlers]]
name  = "Marco Bos"
email = "marco.bos@vlinder.example"

[trust]
policy      = "token_or_dmarc"
authserv_id = "mx.vlinder.example"

[escalation]
klachtenloket = """
Klachtenloket Kinderopvang
www.klachtenloket-kinderopvang.nl
info@klachtenloket-kinderopvang.nl
0900 1877"""
geschillencommissie = """
De Geschillencommissie
Postbus 90600, 2509 LP Den Haag
www.degeschillencommissie.nl"""
fee = "€ 25"

[log]
level = "debug"
`, s.dbURL, s.imap.Addr(), s.imap.CAFile(), s.imap.User(), sm.addr, sm.tls, sm.caFile, sm.username)
	b.WriteString(s.extra)
	path = filepath.Join(s.workDir, "complaintd.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env = []string{"COMPLAINTD_IMAP_PASSWORD=" + s.imap.Password()}
	if sm.password != "" {
		env = append(env, "COMPLAINTD_SMTP_PASSWORD="+sm.password)
	}
	return path, env
}

// daemon is the operator's side: the configuration, the CLI on it, and
// `complaintd run` once started.
type daemon struct {
	t       *testing.T
	config  string
	env     []string
	log     string // its stderr
	cmd     *exec.Cmd
	exited  chan struct{} // closed once Wait returned, with its error in waitErr
	waitErr error
	stops   int // clean stops so far; each logs "complaintd stopped" once
	// httpAddr serves /healthz, /readyz and /metrics ([http] addr, set
	// through the environment as an operator may).
	httpAddr string
}

// newDaemon writes the configuration; nothing runs yet, but cli works.
// Whatever still runs when the test ends is killed, and the log shown if
// the test failed.
func newDaemon(t *testing.T, s setup) *daemon {
	t.Helper()
	config, env := s.configFile(t)
	d := &daemon{t: t, config: config, env: env, log: filepath.Join(s.workDir, "complaintd.log"),
		httpAddr: fmt.Sprintf("127.0.0.1:%d", peers.FreePort(t))}
	d.env = append(d.env, "COMPLAINTD_HTTP_ADDR="+d.httpAddr)
	t.Cleanup(func() {
		if d.cmd != nil {
			select {
			case <-d.exited:
			default: // the test failed before stopping it
				_ = d.cmd.Process.Kill()
				<-d.exited
			}
		}
		if t.Failed() {
			out, _ := os.ReadFile(d.log)
			t.Logf("complaintd log (last lines):\n%s", peers.LastLines(out, 80))
		}
	})
	return d
}

// start runs `complaintd run -config FILE` as a child process, its output
// appended to the log. The test stops it with stop (and may start it
// again).
func (d *daemon) start() {
	t := d.t
	t.Helper()
	logFile, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	d.cmd = d.command("run")
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	// Should the test binary die (a -timeout panic), the daemon goes too.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting complaintd run: %v", err)
	}
	d.exited = make(chan struct{})
	go func() { d.waitErr = d.cmd.Wait(); close(d.exited) }()
}

// command is the binary with the test's configuration and environment:
// -config goes after the command's words ("run", "cases show", "privacy
// export"), before
// its other flags and arguments.
func (d *daemon) command(args ...string) *exec.Cmd {
	words := 1
	if args[0] == "cases" || args[0] == "privacy" {
		words = 2
	}
	withConfig := append(append(append([]string{}, args[:words]...), "-config", d.config), args[words:]...)
	cmd := exec.Command(daemonBinary, withConfig...)
	cmd.Env = append(os.Environ(), d.env...)
	return cmd
}

// cli runs another complaintd command on the same configuration, as the
// operator does beside the running daemon, and returns what it printed.
func (d *daemon) cli(args ...string) string {
	d.t.Helper()
	cmd := d.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("complaintd %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// stop sends SIGTERM, as systemd does, and checks that the daemon exits
// cleanly (status 0, "complaintd stopped" logged) within the bound.
func (d *daemon) stop() {
	d.t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-d.exited:
	case <-time.After(failAfter):
		d.t.Fatalf("complaintd did not exit within %v of SIGTERM", failAfter)
	}
	if d.waitErr != nil {
		d.t.Errorf("complaintd ended with %v after SIGTERM, want exit status 0", d.waitErr)
	}
	d.stops++
	out := d.logText()
	if strings.Contains(out, "WARNING: DATA RACE") {
		d.t.Errorf("the race detector found a data race in the daemon (COMPLAINTD_RACE_BINARY=1):\n%s", peers.LastLines([]byte(out), 80))
	}
	if n := strings.Count(out, "complaintd stopped"); n != d.stops {
		d.t.Errorf("complaintd logged %d clean stops, want %d", n, d.stops)
	}
	// Its log is at debug level and still holds no secret.
	for _, kv := range d.env {
		if name, secret, _ := strings.Cut(kv, "="); strings.HasSuffix(name, "_PASSWORD") && secret != "" && strings.Contains(out, secret) {
			d.t.Errorf("the daemon's log contains the value of %s", name)
		}
	}
}

func (d *daemon) logText() string {
	out, err := os.ReadFile(d.log)
	if err != nil {
		d.t.Fatal(err)
	}
	return string(out)
}

// waitFor polls cond until it holds, failing the test after failAfter.
// There is no event to wait on in another process's database or in a mail
// server's store, so this polls, with a short backoff; it ends as soon as
// cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(failAfter)
	for wait := 20 * time.Millisecond; !cond(); wait = min(2*wait, 500*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", failAfter, what)
		}
		time.Sleep(wait) // polling another process, bounded above
	}
}

// get fetches a path of the daemon's HTTP listener: status and body.
func (d *daemon) get(path string) (int, string) {
	d.t.Helper()
	resp, err := http.Get("http://" + d.httpAddr + path)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// metric sums the samples of a Prometheus metric whose labels contain
// every one of labels (e.g. `outcome="processed"`).
func metric(exposition, name string, labels ...string) float64 {
	var sum float64
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); ok && err == nil {
			sum += v
		}
	}
	return sum
}
