package peers

import (
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// MailpitVersion is the Mailpit release the tests were written against; CI
// installs it with `go install github.com/axllent/mailpit@` + MailpitVersion.
const MailpitVersion = "v1.33.1"

// Mailpit is one running Mailpit: an SMTP server that requires AUTH (PLAIN or
// LOGIN, allowed without TLS on loopback) and is strict about the envelope
// syntax (a bare "MAIL FROM:addr" gets 501 5.5.4), and its HTTP API, read to
// list what it received.
type Mailpit struct {
	t        testing.TB
	dir      string
	addr     string
	api      string // base URL of the HTTP API
	username string
	password string
	proc     *proc
}

// StartMailpit starts Mailpit for the test on free ports of 127.0.0.1, with
// its database in a temporary directory, and stops it in t.Cleanup. The
// binary is found on $PATH, in $GOBIN or in $(go env GOPATH)/bin; the test is
// skipped only when it is not installed.
func StartMailpit(t testing.TB) *Mailpit {
	t.Helper()
	bin := mailpitBinary()
	if bin == "" {
		t.Skipf("mailpit not installed; CI runs `go install github.com/axllent/mailpit@%s`", MailpitVersion)
	}
	dir := t.TempDir()
	m := &Mailpit{t: t, dir: dir, username: "klachten", password: randomPassword(t)}
	m.addr = net.JoinHostPort("127.0.0.1", itoa(FreePort(t)))
	httpAddr := net.JoinHostPort("127.0.0.1", itoa(FreePort(t)))
	m.api = "http://" + httpAddr
	authFile := filepath.Join(dir, "smtp-auth")
	if err := os.WriteFile(authFile, []byte(m.username+":"+m.password+"\n"), 0o600); err != nil {
		t.Fatalf("peers: %v", err)
	}
	logFile, err := os.Create(filepath.Join(dir, "mailpit.log"))
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--smtp", m.addr,
		"--listen", httpAddr,
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-auth-file", authFile,
		"--smtp-auth-allow-insecure", // loopback only
		"--smtp-disable-rdns",
		"--disable-version-check",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	m.proc = startProc(t, "mailpit", cmd)
	t.Cleanup(func() {
		m.proc.stop(t)
		if t.Failed() {
			t.Logf("mailpit log (last lines):\n%s", tail(filepath.Join(dir, "mailpit.log"), 40))
		}
	})
	logs := func() string { return tail(filepath.Join(dir, "mailpit.log"), 40) }
	waitSMTP(t, m.proc, m.addr, logs)
	// The HTTP API starts next to SMTP; make sure it answers too.
	if _, err := m.list(); err != nil {
		deadline := time.After(FailAfter)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for err != nil {
			select {
			case <-deadline:
				t.Fatalf("peers: mailpit API on %s: %v\n%s", httpAddr, err, logs())
			case <-m.proc.exited:
				t.Fatalf("peers: mailpit exited: %v\n%s", m.proc.err, logs())
			case <-tick.C:
				_, err = m.list()
			}
		}
	}
	return m
}

func mailpitBinary() string {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	for _, d := range []string{os.Getenv("GOBIN"), filepath.Join(build.Default.GOPATH, "bin")} {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "mailpit"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Addr is host:port of the SMTP service (plaintext; AUTH required).
func (m *Mailpit) Addr() string { return m.addr }

// Username is the SMTP account.
func (m *Mailpit) Username() string { return m.username }

// Password is the SMTP account's password.
func (m *Mailpit) Password() string { return m.password }

// Messages returns what Mailpit received so far, oldest first. To is
// Mailpit's view of the envelope: the To, Cc and Bcc addresses it reports
// (it adds a Bcc field for envelope recipients the header does not name).
func (m *Mailpit) Messages() []Msg {
	m.t.Helper()
	msgs, err := m.list()
	if err != nil {
		m.t.Fatalf("peers: mailpit: %v", err)
	}
	return msgs
}

// Wait returns the received messages once there are at least n, failing the
// test after FailAfter.
func (m *Mailpit) Wait(n int) []Msg {
	m.t.Helper()
	return waitFor(m.t, m.t.Context(), "mailpit", n, m.list)
}

type mailpitAddr struct {
	Address string `json:"Address"`
}

type mailpitSummary struct {
	ID      string        `json:"ID"`
	Created time.Time     `json:"Created"`
	To      []mailpitAddr `json:"To"`
	Cc      []mailpitAddr `json:"Cc"`
	Bcc     []mailpitAddr `json:"Bcc"`
}

// list reads every message through the API (GET /api/v1/messages, then the
// message and its raw source).
func (m *Mailpit) list() ([]Msg, error) {
	var page struct {
		Total    int              `json:"total"`
		Messages []mailpitSummary `json:"messages"`
	}
	if err := m.get("/api/v1/messages?limit=1000", &page); err != nil {
		return nil, err
	}
	slices.SortStableFunc(page.Messages, func(a, b mailpitSummary) int { return a.Created.Compare(b.Created) })
	msgs := make([]Msg, 0, len(page.Messages))
	for _, s := range page.Messages {
		var detail struct {
			ReturnPath string `json:"ReturnPath"`
		}
		id := url.PathEscape(s.ID)
		if err := m.get("/api/v1/message/"+id, &detail); err != nil {
			return nil, err
		}
		var raw []byte
		if err := m.get("/api/v1/message/"+id+"/raw", &raw); err != nil {
			return nil, err
		}
		msg := Msg{From: detail.ReturnPath, Raw: raw}
		for _, a := range slices.Concat(s.To, s.Cc, s.Bcc) {
			msg.To = append(msg.To, a.Address)
		}
		var err error
		if msg.Data, err = clientData(raw); err != nil {
			return nil, fmt.Errorf("message %s: %w", s.ID, err)
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// get fetches path; into is a *[]byte for the body as is, else JSON.
func (m *Mailpit) get(path string, into any) error {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(m.api + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if b, ok := into.(*[]byte); ok {
		*b = body
		return nil
	}
	return json.Unmarshal(body, into)
}
