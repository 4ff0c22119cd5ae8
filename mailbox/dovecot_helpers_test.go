package mailbox_test

// A throwaway Dovecot (Debian's dovecot-imapd) for the compatibility tests in
// dovecot_test.go: its own config, maildir, sockets, state and log in a
// temporary directory, listening on 127.0.0.1 only, started and stopped by
// the test. Nothing in /etc/dovecot or /run is used or touched.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
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

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/complaintd/complaintd/mailbox"
)

// dovecotFailAfter bounds waits on Dovecot (start, stop, reconnect). A
// failure bound only: every wait ends as soon as its event happens.
const dovecotFailAfter = 30 * time.Second

const dovecotUser = "klachten"

type dovecotOptions struct {
	// TLS: ssl = required with a certificate from a throwaway CA, STARTTLS
	// on the plain port and implicit TLS on a second (imaps) port.
	TLS bool
	// OAuth2IntrospectionURL turns on Dovecot's oauth2 passdb for XOAUTH2
	// and OAUTHBEARER, validating every token at this RFC 7662 endpoint.
	OAuth2IntrospectionURL string
}

// dovecot is one instance. The ports stay fixed across restart.
type dovecot struct {
	t        *testing.T
	bin      string
	dir      string
	password string
	port     int
	tlsPort  int            // 0 without TLS
	roots    *x509.CertPool // trusts the server certificate; nil without TLS

	mu   sync.Mutex
	proc *dovecotProc // nil while stopped
}

type dovecotProc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait returned
}

// startDovecot starts an instance for the test and stops it in t.Cleanup.
// It skips the test only when Dovecot is not installed; CI installs it
// (.ci/run) and fails on any skip.
func startDovecot(t *testing.T, opts dovecotOptions) *dovecot {
	t.Helper()
	bin, err := exec.LookPath("/usr/sbin/dovecot")
	if err != nil {
		if bin, err = exec.LookPath("dovecot"); err != nil {
			t.Skip("dovecot not installed (CI installs dovecot-imapd)")
		}
	}
	// Not t.TempDir(): when the test runs as root the mail processes run as
	// nobody (Dovecot refuses uid 0 for mail), who cannot enter the 0700
	// directories t.TempDir makes; and Dovecot's unix sockets live in here,
	// whose paths must stay under 108 bytes whatever the test's name.
	dir, err := os.MkdirTemp("", "complaintd-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &dovecot{t: t, bin: bin, dir: dir, password: randomHex(t, 12)}
	t.Cleanup(func() {
		d.stop()
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
		d.port = pickPort(t)
		if opts.TLS {
			d.tlsPort = pickPort(t)
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
func (d *dovecot) Addr() string    { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }
func (d *dovecot) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.tlsPort)) }

// Config is the poller configuration for this instance.
func (d *dovecot) Config(tlsMode string) mailbox.IMAPConfig {
	addr := d.Addr()
	if tlsMode == mailbox.TLSImplicit {
		addr = d.TLSAddr()
	}
	return mailbox.IMAPConfig{
		Addr:           addr,
		TLS:            tlsMode,
		RootCAs:        d.roots,
		Username:       dovecotUser,
		Password:       d.password,
		CommandTimeout: 10 * time.Second,
	}
}

// Maildir is the directory of a folder (maildir++ layout: INBOX is the root).
func (d *dovecot) Maildir(mbox string) string {
	root := filepath.Join(d.dir, "home", dovecotUser, "Maildir")
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
func dovecotIdentities(t *testing.T) dovecotIDs {
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

func (d *dovecot) writeFiles(ids dovecotIDs, opts dovecotOptions) error {
	home := filepath.Join(d.dir, "home", dovecotUser)
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	if err := os.Chown(home, ids.mailUID, ids.mailGID); err != nil {
		return err
	}
	users := fmt.Sprintf("%s:{PLAIN}%s\n", dovecotUser, d.password)
	if err := os.WriteFile(filepath.Join(d.dir, "users"), []byte(users), 0o600); err != nil {
		return err
	}
	if !opts.TLS {
		return nil
	}
	certPEM, keyPEM, roots, err := newDovecotCert()
	if err != nil {
		return err
	}
	d.roots = roots
	if err := os.WriteFile(filepath.Join(d.dir, "cert.pem"), certPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d.dir, "key.pem"), keyPEM, 0o600)
}

func (d *dovecot) writeConfig(ids dovecotIDs, opts dovecotOptions) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Throwaway Dovecot for complaintd's compatibility tests.")
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
		p("ssl_cert = <%s/cert.pem", d.dir)
		p("ssl_key = <%s/key.pem", d.dir)
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
	}
	if opts.OAuth2IntrospectionURL != "" {
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

func (d *dovecot) confPath() string   { return filepath.Join(d.dir, "dovecot.conf") }
func (d *dovecot) logPath() string    { return filepath.Join(d.dir, "dovecot.log") }
func (d *dovecot) stderrPath() string { return filepath.Join(d.dir, "dovecot.stderr") }

var errAddrInUse = errors.New("address already in use")

// launch runs `dovecot -F` (foreground: the master stays our child) and
// waits until it accepts a login. Its own process group lets stop reach
// every process it forked.
func (d *dovecot) launch() error {
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
	proc := &dovecotProc{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(proc.exited) }()
	d.mu.Lock()
	d.proc = proc
	d.mu.Unlock()

	// Readiness: dial until a login succeeds. Dovecot -F has no readiness
	// notification here (it speaks sd_notify only to systemd), so this is
	// polling, with a short backoff and a deadline; it ends at the first
	// successful login.
	deadline := time.Now().Add(dovecotFailAfter)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		select {
		case <-proc.exited:
			d.mu.Lock()
			d.proc = nil
			d.mu.Unlock()
			d.waitGroupGone(cmd.Process.Pid)
			out, _ := os.ReadFile(d.stderrPath())
			out = out[min(int(before), len(out)):]
			if bytes.Contains(out, []byte("Address already in use")) {
				return fmt.Errorf("%w: %s", errAddrInUse, lastLines(out, 3))
			}
			return fmt.Errorf("dovecot exited (%v) before accepting connections:\n%s", cmd.ProcessState, lastLines(out, 20))
		default:
		}
		if d.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not accept a login on %s within %v", d.Addr(), dovecotFailAfter)
		}
		time.Sleep(wait) // readiness polling, see above
	}
}

// ready reports whether our instance answers on its port: it greets and
// accepts this instance's random password, so another server that happens
// to hold the port (ours then failed to bind) does not pass for it.
func (d *dovecot) ready() bool {
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
	if _, err := fmt.Fprintf(c, "r1 LOGIN %s %s\r\n", dovecotUser, d.password); err != nil {
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

// stop ends Dovecot and waits until every one of its processes is gone,
// so the ports are free again. Idempotent.
//
// SIGTERM goes to the whole process group, as systemd's stop of
// dovecot.service reaches every process of the service's cgroup: Dovecot 2.3
// lets logged-in imap processes outlive a master that alone got SIGTERM, so
// a client would not notice that restart at all.
func (d *dovecot) stop() {
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
	case <-time.After(dovecotFailAfter):
		d.t.Errorf("dovecot (pid %d) ignored SIGTERM for %v; killing its process group", pgid, dovecotFailAfter)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-proc.exited
	}
	d.waitGroupGone(pgid)
}

// waitGroupGone waits until no live process of the group remains (its
// children are not ours to wait for, so this polls /proc, bounded) and
// kills stragglers. Zombies do not count: reaping them is init's business.
func (d *dovecot) waitGroupGone(pgid int) {
	deadline := time.Now().Add(5 * time.Second)
	for len(procsWhere(func(p procStat) bool { return p.pgid == pgid })) > 0 {
		if time.Now().After(deadline) {
			d.t.Logf("dovecot processes of group %d outlived SIGTERM; killing them", pgid)
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		time.Sleep(5 * time.Millisecond) // polling for exit, bounded above
	}
}

// restart stops Dovecot and starts it again on the same ports and maildir;
// between (may be nil) runs while it is down.
func (d *dovecot) restart(between func()) {
	d.t.Helper()
	d.stop()
	if between != nil {
		between()
	}
	if err := d.launch(); err != nil {
		d.t.Fatalf("restarting dovecot: %v", err)
	}
}

// imapPIDs lists the running imap processes (one per logged-in session).
func (d *dovecot) imapPIDs() []int {
	d.mu.Lock()
	proc := d.proc
	d.mu.Unlock()
	if proc == nil {
		return nil
	}
	master := proc.cmd.Process.Pid
	return procsWhere(func(p procStat) bool { return p.ppid == master && p.comm == "imap" })
}

// procStat is what /proc/<pid>/stat says about a process.
type procStat struct {
	pid, ppid, pgid int
	comm            string
	state           string // "Z" for a zombie
}

// procsWhere lists the live (non-zombie) processes matching keep.
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
		p := procStat{pid: pid, comm: string(stat[open+1 : end]), state: f[0]}
		p.ppid, _ = strconv.Atoi(f[1])
		p.pgid, _ = strconv.Atoi(f[2])
		if p.state != "Z" && keep(p) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (d *dovecot) dumpLogs() {
	for _, path := range []string{d.confPath(), d.logPath(), d.stderrPath()} {
		out, err := os.ReadFile(path)
		if err != nil || len(out) == 0 {
			continue
		}
		d.t.Logf("%s (last lines):\n%s", path, lastLines(out, 60))
	}
}

// client logs in as the test user with the test's own connection. Plain
// text is fine for it: Dovecot treats loopback as secured even with TLS
// required.
func (d *dovecot) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.Addr(), nil)
	if err != nil {
		t.Fatalf("dial dovecot: %v", err)
	}
	if err := c.Login(dovecotUser, d.password).Wait(); err != nil {
		c.Close()
		t.Fatalf("login to dovecot: %v", err)
	}
	return c
}

func logout(c *imapclient.Client) {
	_ = c.Logout().Wait()
	_ = c.Close()
}

// deliver APPENDs raw to mbox with the given INTERNALDATE (now when zero)
// and returns its UID (UIDPLUS APPENDUID).
func (d *dovecot) deliver(t *testing.T, mbox string, raw []byte, date time.Time) uint32 {
	t.Helper()
	c := d.client(t)
	defer logout(c)
	cmd := c.Append(mbox, int64(len(raw)), &imap.AppendOptions{Time: date})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("APPEND to %s: %v", mbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("APPEND to %s: %v", mbox, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("APPEND to %s: %v", mbox, err)
	}
	if data.UID == 0 {
		t.Fatalf("APPEND to %s: no APPENDUID", mbox)
	}
	return uint32(data.UID)
}

// expunge deletes one message the way a person's mail client does:
// flag it \Deleted, then EXPUNGE.
func (d *dovecot) expunge(t *testing.T, mbox string, uid uint32) {
	t.Helper()
	c := d.client(t)
	defer logout(c)
	if _, err := c.Select(mbox, nil).Wait(); err != nil {
		t.Errorf("SELECT %s: %v", mbox, err)
		return
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := c.Store(imap.UIDSetNum(imap.UID(uid)), store, nil).Close(); err != nil {
		t.Errorf("STORE %s UID %d: %v", mbox, uid, err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Errorf("EXPUNGE %s: %v", mbox, err)
	}
}

// dovecotMessage is a message as a separate client sees it.
type dovecotMessage struct {
	UID          uint32
	Flags        []imap.Flag
	InternalDate time.Time
	Raw          []byte
}

// messages lists mbox read-only (EXAMINE, BODY.PEEK[]: nothing changes).
func (d *dovecot) messages(t *testing.T, mbox string) []dovecotMessage {
	t.Helper()
	c := d.client(t)
	defer logout(c)
	sel, err := c.Select(mbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("EXAMINE %s: %v", mbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		t.Fatalf("FETCH %s: %v", mbox, err)
	}
	var out []dovecotMessage
	for _, b := range bufs {
		out = append(out, dovecotMessage{UID: uint32(b.UID), Flags: b.Flags, InternalDate: b.InternalDate,
			Raw: b.FindBodySection(section)})
	}
	return out
}

// uidValidity asks STATUS from a separate connection.
func (d *dovecot) uidValidity(t *testing.T, mbox string) uint32 {
	t.Helper()
	c := d.client(t)
	defer logout(c)
	st, err := c.Status(mbox, &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS %s: %v", mbox, err)
	}
	return st.UIDValidity
}

// folders lists every mailbox name.
func (d *dovecot) folders(t *testing.T) []string {
	t.Helper()
	c := d.client(t)
	defer logout(c)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	return names
}

// pickPort returns a free port below the kernel's ephemeral range, so that
// neither a listener on :0 nor an outgoing connection can take it while a
// restart leaves it unbound; ports handed out in this process are not reused.
func pickPort(t *testing.T) int {
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
	pickedMu.Lock()
	defer pickedMu.Unlock()
	for range 100 {
		port := lo + mrand.IntN(hi-lo)
		if picked[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		picked[port] = true
		return port
	}
	t.Fatal("no free port found for dovecot")
	return 0
}

var (
	pickedMu sync.Mutex
	picked   = map[int]bool{}
)

// newDovecotCert makes a throwaway CA and a server certificate for
// 127.0.0.1 and localhost signed by it: the chain and key as PEM for
// Dovecot, and a pool that trusts the CA for the poller.
func newDovecotCert() (certPEM, keyPEM []byte, roots *x509.CertPool, err error) {
	now := time.Now()
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		return n
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "complaintd dovecot test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certPEM, keyPEM, roots, nil
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
