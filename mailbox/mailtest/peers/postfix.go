package peers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// PostfixOptions configures StartPostfix. The zero value is a strict
// submission server with one SASL account.
type PostfixOptions struct {
	// Username and Password are the SASL account (PLAIN and LOGIN). Defaults:
	// "klachten" and a random password.
	Username, Password string
	// RefuseRecipients maps an address to the reply its RCPT TO gets, e.g.
	// "550 5.1.1 User unknown" (Postfix writes it as "550 5.1.1 <addr>:
	// Recipient address rejected: User unknown").
	RefuseRecipients map[string]string
	// RefuseSenders maps a MAIL FROM address to a refusal, e.g. "553 5.7.1
	// Sender address rejected: not owned by user". Like a real Postfix
	// (smtpd_delay_reject = yes) it is given at RCPT TO, to every recipient.
	RefuseSenders map[string]string
	// STARTTLS makes TLS mandatory (smtpd_tls_security_level = encrypt,
	// AUTH only after STARTTLS) with a certificate from a throwaway CA; see
	// Postfix.CA. Without it the server speaks plaintext on loopback.
	STARTTLS bool
}

// Postfix is one running instance: Debian's Postfix with
// strict_rfc821_envelopes, smtpd_helo_required and smtpd_forbid_bare_newline,
// SASL authentication against its own sasldb (Cyrus SASL, saslpasswd2), relay
// for authenticated clients only (others get "554 5.7.1 Relay access
// denied"), and every accepted message delivered by virtual(8) to one maildir,
// one file per recipient.
type Postfix struct {
	t        testing.TB
	dir      string
	addr     string
	username string
	password string
	proc     *proc
	ca       *CA // nil without STARTTLS

	saslpasswd string
	uid, gid   int

	mu sync.Mutex // guards password
}

// StartPostfix starts an instance for the test on a free port of 127.0.0.1,
// with its configuration, queue, sasldb, maildir and log in a temporary
// directory, and stops it in t.Cleanup. It skips the test only when Postfix
// is not installed (Debian packages postfix and sasl2-bin); it must run as
// root, as Postfix's master does.
func StartPostfix(t testing.TB, opts PostfixOptions) *Postfix {
	t.Helper()
	const sbin = "/usr/sbin/postfix"
	if _, err := os.Stat(sbin); err != nil {
		t.Skipf("postfix not installed (%v); CI installs the Debian packages postfix and sasl2-bin", err)
	}
	saslpasswd, err := exec.LookPath("saslpasswd2")
	if err != nil {
		t.Fatalf("peers: postfix is installed but saslpasswd2 is not (Debian package sasl2-bin): %v", err)
	}
	if os.Geteuid() != 0 {
		t.Fatalf("peers: Postfix's master must run as root; this test runs as uid %d", os.Geteuid())
	}
	owner, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("peers: the postfix user is missing: %v", err)
	}
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	postdrop, err := user.LookupGroup("postdrop")
	if err != nil {
		t.Fatalf("peers: the postdrop group is missing: %v", err)
	}
	pdGID, _ := strconv.Atoi(postdrop.Gid)
	if opts.Username == "" {
		opts.Username = "klachten"
	}
	if opts.Password == "" {
		opts.Password = randomPassword(t)
	}

	// Postfix's daemons drop to the postfix user, so the directory must be
	// traversable by it: not t.TempDir, whose parent is 0700.
	dir, err := os.MkdirTemp("", "peers-postfix-")
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &Postfix{t: t, dir: dir, username: opts.Username, password: opts.Password}
	p.addr = net.JoinHostPort("127.0.0.1", itoa(FreePort(t)))

	mk := func(path string, mode os.FileMode, uid, gid int) {
		t.Helper()
		if err := os.MkdirAll(path, mode); err != nil {
			t.Fatalf("peers: %v", err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatalf("peers: %v", err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatalf("peers: %v", err)
		}
	}
	mk(dir, 0o755, 0, 0)
	mk(filepath.Join(dir, "etc"), 0o755, 0, 0)
	mk(filepath.Join(dir, "etc", "sasl"), 0o755, 0, 0)
	mk(filepath.Join(dir, "data"), 0o700, uid, gid)
	mk(filepath.Join(dir, "mail"), 0o700, uid, gid)
	queue := filepath.Join(dir, "queue")
	mk(queue, 0o755, 0, 0)
	// The queue layout of Debian's postfix-files (post-install create-missing).
	for _, d := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		mk(filepath.Join(queue, d), 0o700, uid, 0)
	}
	mk(filepath.Join(queue, "maildrop"), 0o730, uid, pdGID)
	mk(filepath.Join(queue, "public"), 0o710, uid, pdGID)
	mk(filepath.Join(queue, "pid"), 0o755, 0, 0)

	mainCF := postfixMainCF(dir, uid, gid)
	if opts.STARTTLS {
		p.ca = NewCA(t, filepath.Join(dir, "etc"))
		mainCF += fmt.Sprintf(`smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = %s
smtpd_tls_key_file = %s
smtpd_tls_mandatory_protocols = >=TLSv1.2
`, p.ca.CertFile, p.ca.KeyFile)
	}
	p.write("etc/main.cf", mainCF)
	p.write("etc/master.cf", postfixMasterCF(p.addr))
	p.write("etc/mailboxes", "/./ inbox/\n")
	p.write("etc/refused_rcpt", accessTable(t, opts.RefuseRecipients))
	p.write("etc/refused_sender", accessTable(t, opts.RefuseSenders))
	p.write("etc/sasl/smtpd.conf", fmt.Sprintf(
		"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\nmech_list: PLAIN LOGIN\n",
		filepath.Join(dir, "etc", "sasldb2")))
	p.saslpasswd, p.uid, p.gid = saslpasswd, uid, gid
	p.SetPassword(opts.Password)

	master := exec.Command("/usr/lib/postfix/sbin/master", "-c", filepath.Join(dir, "etc"), "-d")
	out, err := os.Create(filepath.Join(dir, "master.out"))
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	defer out.Close()
	master.Stdout, master.Stderr = out, out
	p.proc = startProc(t, "postfix", master)
	t.Cleanup(func() {
		p.proc.stop(t)
		if t.Failed() {
			t.Logf("postfix log (last lines):\n%s", p.logTail())
		}
	})
	waitSMTP(t, p.proc, p.addr, p.logTail)
	return p
}

func (p *Postfix) write(name, content string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, name), []byte(content), 0o644); err != nil {
		p.t.Fatalf("peers: %v", err)
	}
}

// postfixMainCF is the strict configuration. local_header_rewrite_clients is
// empty so that cleanup(8) leaves the client's header alone (no added
// Message-ID, Date or rewritten addresses): the test compares bytes.
func postfixMainCF(dir string, uid, gid int) string {
	return fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.test
mydomain = postfix.test
myorigin = $myhostname
mydestination =
relay_domains =
virtual_mailbox_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
biff = no
smtputf8_enable = yes
smtpd_helo_required = yes
strict_rfc821_envelopes = yes
smtpd_forbid_bare_newline = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = %[1]s/etc/sasl
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_sender_restrictions = reject_non_fqdn_sender, check_sender_access texthash:%[1]s/etc/refused_sender
smtpd_recipient_restrictions = reject_non_fqdn_recipient, check_recipient_access texthash:%[1]s/etc/refused_rcpt
local_header_rewrite_clients =
disable_mime_output_conversion = yes
default_transport = virtual
virtual_mailbox_base = %[1]s/mail
virtual_mailbox_maps = regexp:%[1]s/etc/mailboxes
virtual_uid_maps = static:%[2]d
virtual_gid_maps = static:%[3]d
virtual_minimum_uid = 1
`, dir, uid, gid)
}

// postfixMasterCF runs only what a submission server that delivers locally
// needs, nothing chrooted.
func postfixMasterCF(addr string) string {
	return addr + ` inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
tlsmgr    unix  - - n 1000? 1 tlsmgr
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`
}

var replyRE = regexp.MustCompile(`^[45][0-9][0-9] [245]\.[0-9]{1,3}\.[0-9]{1,3} [^\r\n]+$`)

// accessTable writes an access(5) table for texthash.
func accessTable(t testing.TB, m map[string]string) string {
	t.Helper()
	var b strings.Builder
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		if strings.ContainsAny(k, " \t\r\n") || !replyRE.MatchString(m[k]) {
			t.Fatalf("peers: refusal %q → %q: want an address and a reply like \"550 5.1.1 User unknown\"", k, m[k])
		}
		fmt.Fprintf(&b, "%s %s\n", strings.ToLower(k), m[k])
	}
	return b.String()
}

func randomPassword(t testing.TB) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("peers: %v", err)
	}
	return hex.EncodeToString(b)
}

// Addr is host:port of the SMTP service (AUTH PLAIN and LOGIN; plaintext, or
// STARTTLS required with PostfixOptions.STARTTLS).
func (p *Postfix) Addr() string { return p.addr }

// CA is what a client must trust for STARTTLS (its Roots, or its CAFile for
// an smtp.ca_file setting); nil without PostfixOptions.STARTTLS.
func (p *Postfix) CA() *CA { return p.ca }

// Username and Password are the SASL account.
func (p *Postfix) Username() string { return p.username }

// Password is the SASL account's password.
func (p *Postfix) Password() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.password
}

// SetPassword changes the SASL account's password, as a mail provider's
// account reset does; it counts from the next AUTH (smtpd reads the sasldb
// at every authentication).
func (p *Postfix) SetPassword(password string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	sasldb := filepath.Join(p.dir, "etc", "sasldb2")
	cmd := exec.Command(p.saslpasswd, "-p", "-c", "-f", sasldb, "-u", "postfix.test", p.username)
	cmd.Stdin = strings.NewReader(password)
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("peers: saslpasswd2: %v\n%s", err, out)
	}
	// smtpd reads the sasldb as the postfix user.
	if err := os.Chown(sasldb, p.uid, p.gid); err != nil {
		p.t.Fatalf("peers: %v", err)
	}
	p.password = password
}

// Log is Postfix's log so far (smtpd's NOQUEUE reject lines, deliveries).
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	out, _ := os.ReadFile(filepath.Join(p.dir, "master.out"))
	return string(out) + string(b)
}

func (p *Postfix) logTail() string {
	return tail(filepath.Join(p.dir, "master.out"), 10) + "\n" + tail(filepath.Join(p.dir, "maillog"), 60)
}

// Messages returns the delivered copies so far (one per recipient), in
// delivery order, which need not be the order they were sent in: Postfix
// delivers in parallel.
func (p *Postfix) Messages() []Msg {
	p.t.Helper()
	msgs, err := p.read()
	if err != nil {
		p.t.Fatalf("peers: postfix maildir: %v", err)
	}
	return msgs
}

// Wait returns the delivered copies once there are at least n and Postfix's
// queue is empty, so that every message it accepted so far is among them
// (a duplicate would show), failing the test after FailAfter.
func (p *Postfix) Wait(n int) []Msg {
	p.t.Helper()
	return waitFor(p.t, p.t.Context(), "postfix", n, func() ([]Msg, error) {
		queued, err := p.queued()
		if err != nil || queued > 0 {
			return nil, err
		}
		return p.read()
	})
}

// queued counts the messages in Postfix's queues (accepted, not yet
// delivered): cleanup(8) writes to incoming before smtpd answers 250, and
// the file leaves active only once delivered.
func (p *Postfix) queued() (int, error) {
	n := 0
	for _, q := range []string{"maildrop", "incoming", "active", "deferred", "hold"} {
		err := filepath.WalkDir(filepath.Join(p.dir, "queue", q), func(_ string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				n++
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// read loads the maildir. virtual(8) writes into tmp/ and renames into new/,
// so every file in new/ is complete. Maildir names start with the delivery
// time: "<seconds>.V<dev>I<inode>M<microseconds>.<host>".
func (p *Postfix) read() ([]Msg, error) {
	dir := filepath.Join(p.dir, "mail", "inbox", "new")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type file struct {
		name     string
		sec, usc int64
	}
	files := make([]file, 0, len(entries))
	for _, e := range entries {
		f := file{name: e.Name()}
		sec, rest, _ := strings.Cut(f.name, ".")
		f.sec, _ = strconv.ParseInt(sec, 10, 64)
		if i := strings.LastIndexByte(rest, 'M'); i >= 0 {
			usc, _, _ := strings.Cut(rest[i+1:], ".")
			f.usc, _ = strconv.ParseInt(usc, 10, 64)
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b file) int {
		if a.sec != b.sec {
			return int(a.sec - b.sec)
		}
		return int(a.usc - b.usc)
	})
	msgs := make([]Msg, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return nil, err
		}
		m := Msg{Raw: raw}
		if m.Data, err = clientData(raw); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		m.From, m.To = traceEnvelope(raw)
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// traceEnvelope reads the envelope from the fields Postfix prepended, before
// its Received field: Return-Path (RFC 5322 3.6.7) and Delivered-To.
func traceEnvelope(raw []byte) (from string, to []string) {
	for line := range bytes.Lines(raw) {
		name, value, ok := strings.Cut(string(line), ":")
		value = strings.TrimSpace(value)
		switch {
		case !ok || strings.EqualFold(name, "Received"):
			return from, to
		case strings.EqualFold(name, "Return-Path"):
			from = strings.TrimSuffix(strings.TrimPrefix(value, "<"), ">")
		case strings.EqualFold(name, "Delivered-To"):
			to = append(to, value)
		}
	}
	return from, to
}
