package peers

// A throwaway Dovecot (Debian's dovecot-imapd): its own config, maildir,
// sockets, state and log in a temporary directory, listening on 127.0.0.1
// only, started and stopped by the test.

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
)

// DovecotUser is the one mailbox user of every instance.
const DovecotUser = "klachten"

// DovecotOptions configures an instance.
type DovecotOptions struct {
	// TLS: ssl = required with a certificate from a throwaway CA, STARTTLS
	// on the plain port and implicit TLS on a second (imaps) port.
	TLS bool
	// OAuth2IntrospectionURL turns on Dovecot's oauth2 passdb for XOAUTH2
	// and OAUTHBEARER, validating every token at this RFC 7662 endpoint.
	OAuth2IntrospectionURL string
}

// Dovecot is one instance. The ports stay the same across Restart.
type Dovecot struct {
	t        testing.TB
	bin      string
	dir      string
	password string
	port     int
	tlsPort  int // 0 without TLS
	ca       *CA // nil without TLS

	mu   sync.Mutex
	proc *serverProc // nil while stopped
}

type serverProc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait returned
}

// StartDovecot starts an instance for the test and stops it in t.Cleanup.
// It skips the test only when Dovecot is not installed; CI installs it
// (.ci/run) and fails on any skip.
func StartDovecot(t testing.TB, opts DovecotOptions) *Dovecot {
	t.Helper()
	bin, err := exec.LookPath("/usr/sbin/dovecot")
	if err != nil {
		if bin, err = exec.LookPath("dovecot"); err != nil {
			t.Skip("dovecot not installed (CI installs dovecot-imapd)")
		}
	}
	dir := worldReadableTempDir(t, "complaintd-dovecot-")
	d := &Dovecot{t: t, bin: bin, dir: dir, password: randomHex(t, 12)}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			d.dumpLogs()
		}
	})
	ids := dovecotIdentities(t)
	if err := d.writeFiles(ids, opts); err != nil {
		t.Fatal(err)
	}

	// Another process may take a port between our check and Dovecot's bind:
	// then Dovecot exits with "Address already in use" and we pick again.
	for attempt := 1; ; attempt++ {
		d.port = FreePort(t)
		if opts.TLS {
			d.tlsPort = FreePort(t)
		}
		if err := d.writeConfig(ids, opts); err != nil {
			t.Fatal(err)
		}
		err := d.launch()
		if err == nil {
			return d
		}
		if !errors.Is(err, errAddrInUse) || attempt == 5 {
			t.Fatalf("starting dovecot: %v", err)
		}
		t.Logf("dovecot: port taken, retrying with another: %v", err)
	}
}

// Addr is the plain (or STARTTLS) listener; TLSAddr the implicit TLS one.
func (d *Dovecot) Addr() string    { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }
func (d *Dovecot) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.tlsPort)) }

// User and Password log in to the one mailbox.
func (d *Dovecot) User() string     { return DovecotUser }
func (d *Dovecot) Password() string { return d.password }

// RootCAs trusts the server certificate (nil without TLS); CAFile is the
// same CA as a PEM file, for a configuration's ca_file ("" without TLS).
func (d *Dovecot) RootCAs() *x509.CertPool {
	if d.ca == nil {
		return nil
	}
	return d.ca.Roots
}

func (d *Dovecot) CAFile() string {
	if d.ca == nil {
		return ""
	}
	return d.ca.CAFile
}

// IMAPConfig is the poller configuration for this instance.
func (d *Dovecot) IMAPConfig(tlsMode string) mailbox.IMAPConfig {
	addr := d.Addr()
	if tlsMode == mailbox.TLSImplicit {
		addr = d.TLSAddr()
	}
	return mailbox.IMAPConfig{
		Addr:           addr,
		TLS:            tlsMode,
		RootCAs:        d.RootCAs(),
		Username:       DovecotUser,
		Password:       d.password,
		CommandTimeout: 10 * time.Second,
		// What cmd/complaintd configures by default.
		Auth: mailbox.AuthPassword, Mailbox: "INBOX", ProcessedMailbox: "Processed", QuarantineMailbox: "Quarantine",
		PollInterval: time.Minute, BatchSize: 100, Workers: 1,
	}
}

// Maildir is the directory of a folder (maildir++ layout: INBOX is the root).
func (d *Dovecot) Maildir(mbox string) string {
	root := filepath.Join(d.dir, "home", DovecotUser, "Maildir")
	if strings.EqualFold(mbox, "INBOX") {
		return root
	}
	return filepath.Join(root, "."+mbox)
}

type dovecotIDs struct {
	loginUser, internalUser, internalGroup string
	mailUID, mailGID                       int
	root                                   bool
}

// dovecotIdentities decides who runs what. As an ordinary user everything
// runs as that user. As root (CI) Dovecot's login processes refuse to run
// as root, so they use dovenull (created by the package), and mail access
// refuses uid 0, so the mailbox belongs to nobody.
func dovecotIdentities(t testing.TB) dovecotIDs {
	t.Helper()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	grp, err := user.LookupGroupId(me.Gid)
	if err != nil {
		t.Fatal(err)
	}
	ids := dovecotIDs{loginUser: me.Username, internalUser: me.Username, internalGroup: grp.Name,
		mailUID: os.Getuid(), mailGID: os.Getgid()}
	if os.Getuid() != 0 {
		return ids
	}
	ids.root = true
	ids.loginUser = "dovenull"
	if _, err := user.Lookup("dovenull"); err != nil {
		ids.loginUser = "nobody"
	}
	ids.mailUID, ids.mailGID = 65534, 65534
	if u, err := user.Lookup("nobody"); err == nil {
		ids.mailUID, _ = strconv.Atoi(u.Uid)
		ids.mailGID, _ = strconv.Atoi(u.Gid)
	}
	return ids
}

func (d *Dovecot) writeFiles(ids dovecotIDs, opts DovecotOptions) error {
	home := filepath.Join(d.dir, "home", DovecotUser)
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	if err := os.Chown(home, ids.mailUID, ids.mailGID); err != nil {
		return err
	}
	users := fmt.Sprintf("%s:{PLAIN}%s\n", DovecotUser, d.password)
	if err := os.WriteFile(filepath.Join(d.dir, "users"), []byte(users), 0o600); err != nil {
		return err
	}
	if !opts.TLS {
		return nil
	}
	d.ca = NewCA(d.t, d.dir)
	return nil
}

func (d *Dovecot) writeConfig(ids dovecotIDs, opts DovecotOptions) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Throwaway Dovecot for complaintd's tests.")
	p("base_dir = %s/run", d.dir)
	p("state_dir = %s/state", d.dir)
	p("log_path = %s/dovecot.log", d.dir)
	p("listen = 127.0.0.1")
	p("protocols = imap")
	if opts.OAuth2IntrospectionURL != "" {
		p("auth_mechanisms = plain login xoauth2 oauthbearer")
	} else {
		p("auth_mechanisms = plain login")
	}
	if opts.TLS {
		// Dovecot counts a connection from 127.0.0.1 to 127.0.0.1 as
		// secured, so LOGIN without TLS still works here; the poller is
		// told to use TLS and the log shows each login's transport.
		p("ssl = required")
		p("ssl_cert = <%s", d.ca.CertFile)
		p("ssl_key = <%s", d.ca.KeyFile)
		p("disable_plaintext_auth = yes")
	} else {
		p("ssl = no")
		p("disable_plaintext_auth = no")
	}
	p("mail_location = maildir:~/Maildir")
	p("first_valid_uid = %d", ids.mailUID)
	p("first_valid_gid = %d", ids.mailGID)
	p("default_login_user = %s", ids.loginUser)
	p("default_internal_user = %s", ids.internalUser)
	p("default_internal_group = %s", ids.internalGroup)
	if opts.OAuth2IntrospectionURL != "" {
		conf := strings.Join([]string{
			"introspection_url = " + opts.OAuth2IntrospectionURL,
			"introspection_mode = post",
			"force_introspection = yes",
			"username_attribute = username",
			"active_attribute = active",
			"active_value = true",
			"timeout_msecs = 5000",
		}, "\n") + "\n"
		if err := os.WriteFile(filepath.Join(d.dir, "oauth2.conf"), []byte(conf), 0o644); err != nil {
			return err
		}
		p("passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s/oauth2.conf\n}", d.dir)
		// Passwords only: a bearer token must not pass as one.
		p("passdb {\n  driver = passwd-file\n  mechanisms = plain login\n  args = %s/users\n}", d.dir)
	} else {
		p("passdb {\n  driver = passwd-file\n  args = %s/users\n}", d.dir)
	}
	p("userdb {\n  driver = static\n  args = uid=%d gid=%d home=%s/home/%%u\n}", ids.mailUID, ids.mailGID, d.dir)
	chroot := ""
	if !ids.root {
		chroot = "  chroot =\n" // only root can chroot
		p("service anvil {\n%s}", chroot)
	}
	p("service imap-login {\n%s  inet_listener imap {\n    port = %d\n  }\n  inet_listener imaps {\n    port = %d\n  }\n}",
		chroot, d.port, d.tlsPort)
	return os.WriteFile(d.confPath(), []byte(b.String()), 0o644)
}

func (d *Dovecot) confPath() string   { return filepath.Join(d.dir, "dovecot.conf") }
func (d *Dovecot) logPath() string    { return filepath.Join(d.dir, "dovecot.log") }
func (d *Dovecot) stderrPath() string { return filepath.Join(d.dir, "dovecot.stderr") }

var errAddrInUse = errors.New("address already in use")

// launch runs `dovecot -F` (foreground: the master stays our child) and
// waits until it accepts a login. Its own process group lets Stop reach
// every process it forked.
func (d *Dovecot) launch() error {
	stderr, err := os.OpenFile(d.stderrPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer stderr.Close()
	before, _ := stderr.Seek(0, io.SeekEnd) // earlier runs' output is not this run's
	cmd := exec.Command(d.bin, "-F", "-c", d.confPath())
	cmd.Stdout, cmd.Stderr = stderr, stderr
	// Pdeathsig: should the test binary die (a -timeout panic), Dovecot
	// goes with it instead of listening on forever. (It follows the OS
	// thread that forked; Go retires no thread while the process lives
	// unless a goroutine exits locked to it, which none here does.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return err
	}
	proc := &serverProc{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(proc.exited) }()
	d.mu.Lock()
	d.proc = proc
	d.mu.Unlock()

	// Readiness: dial until a login succeeds. Dovecot -F has no readiness
	// notification here (it speaks sd_notify only to systemd), so this is
	// polling, with a short backoff and a deadline; it ends at the first
	// successful login.
	deadline := time.Now().Add(DovecotFailAfter)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		select {
		case <-proc.exited:
			d.mu.Lock()
			d.proc = nil
			d.mu.Unlock()
			waitGroupGone(d.t, "dovecot", cmd.Process.Pid)
			out, _ := os.ReadFile(d.stderrPath())
			out = out[min(int(before), len(out)):]
			if bytes.Contains(out, []byte("Address already in use")) {
				return fmt.Errorf("%w: %s", errAddrInUse, LastLines(out, 3))
			}
			return fmt.Errorf("dovecot exited (%v) before accepting connections:\n%s", cmd.ProcessState, LastLines(out, 20))
		default:
		}
		if d.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not accept a login on %s within %v", d.Addr(), DovecotFailAfter)
		}
		time.Sleep(wait) // readiness polling, see above
	}
}

// ready reports whether our instance answers on its port: it greets and
// accepts this instance's random password, so another server that happens
// to hold the port (ours then failed to bind) does not pass for it.
func (d *Dovecot) ready() bool {
	c, err := net.DialTimeout("tcp", d.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		return false
	}
	if _, err := fmt.Fprintf(c, "r1 LOGIN %s %s\r\n", DovecotUser, d.password); err != nil {
		return false
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if strings.HasPrefix(line, "r1 ") {
			_, _ = io.WriteString(c, "r2 LOGOUT\r\n")
			return strings.HasPrefix(line, "r1 OK")
		}
	}
}

// Stop ends Dovecot and waits until every one of its processes is gone,
// so the ports are free again. Idempotent.
//
// SIGTERM goes to the whole process group, as systemd's stop of
// dovecot.service reaches every process of the service's cgroup: Dovecot 2.3
// lets logged-in imap processes outlive a master that alone got SIGTERM, so
// a client would not notice that restart at all.
func (d *Dovecot) Stop() {
	d.t.Helper()
	d.mu.Lock()
	proc := d.proc
	d.proc = nil
	d.mu.Unlock()
	if proc == nil {
		return
	}
	pgid := proc.cmd.Process.Pid // Setpgid: the master leads the group
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	_ = syscall.Kill(-pgid, syscall.SIGCONT) // a stopped process acts on SIGTERM only once continued
	select {
	case <-proc.exited:
	case <-time.After(DovecotFailAfter):
		d.t.Errorf("dovecot (pid %d) ignored SIGTERM for %v; killing its process group", pgid, DovecotFailAfter)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-proc.exited
	}
	waitGroupGone(d.t, "dovecot", pgid)
}

// Restart stops Dovecot and starts it again on the same ports and maildir;
// between (may be nil) runs while it is down.
func (d *Dovecot) Restart(between func()) {
	d.t.Helper()
	d.Stop()
	if between != nil {
		between()
	}
	if err := d.launch(); err != nil {
		d.t.Fatalf("restarting dovecot: %v", err)
	}
}

// IMAPPIDs lists the running imap processes (one per logged-in session).
func (d *Dovecot) IMAPPIDs() []int {
	d.mu.Lock()
	proc := d.proc
	d.mu.Unlock()
	if proc == nil {
		return nil
	}
	master := proc.cmd.Process.Pid
	return procsWhere(func(p procStat) bool { return p.PPID == master && p.Comm == "imap" })
}

func (d *Dovecot) dumpLogs() {
	for _, path := range []string{d.confPath(), d.logPath(), d.stderrPath()} {
		out, err := os.ReadFile(path)
		if err != nil || len(out) == 0 {
			continue
		}
		d.t.Logf("%s (last lines):\n%s", path, LastLines(out, 60))
	}
}

// GiveToMailUser makes files written into the maildir by a test (while
// Dovecot is stopped) belong to the user Dovecot reads the mailbox as.
func (d *Dovecot) GiveToMailUser(t testing.TB, paths ...string) {
	t.Helper()
	ids := dovecotIdentities(t)
	for _, p := range paths {
		if err := os.Chown(p, ids.mailUID, ids.mailGID); err != nil {
			t.Fatal(err)
		}
	}
}
