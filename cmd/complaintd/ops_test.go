package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/ops"
	"github.com/complaintd/complaintd/store/storetest"
)

// freeAddr finds a loopback port nobody listens on (peers.FreePort: below
// the ephemeral range, never handed out twice).
func freeAddr(t *testing.T) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(peers.FreePort(t)))
}

// fetch GETs a URL and returns the status and body.
func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// tryFetch is fetch that answers 0 while nothing listens yet.
func tryFetch(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually polls cond until it holds, failing the test after a bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue reads one sample from a Prometheus text exposition.
func metricValue(t *testing.T, text, sample string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no sample %s in:\n%s", sample, text)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sdListener is systemd's end of NOTIFY_SOCKET: it collects the datagrams.
type sdListener struct {
	mu   sync.Mutex
	got  []string
	conn *net.UnixConn
}

func listenNotify(t *testing.T) (*sdListener, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	l := &sdListener{conn: conn}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			l.got = append(l.got, string(buf[:n]))
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return l, path
}

func (l *sdListener) saw(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.got {
		if strings.HasPrefix(g, prefix) {
			return true
		}
	}
	return false
}

// The daemon as systemd and Prometheus see it: READY and the watchdog
// through NOTIFY_SOCKET, /metrics counting what the run did, /readyz failing
// with a named reason while SMTP refuses and recovering after.
func TestRunServesHealthMetricsAndNotifiesSystemd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	addr := freeAddr(t)
	h.cfg.HTTP.Addr = addr
	config := writeHarnessConfig(t, h.cfg)
	sd, sock := listenNotify(t)
	env := map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "200000"}
	h.c.close() // `run` is the daemon on this SQLite file

	ctx, stop := context.WithCancel(h.ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() {
		var out, errOut strings.Builder
		runErr = dispatch(ctx, []string{"run", "-config", config}, &out, &errOut, func(k string) string { return env[k] })
	})
	defer func() { stop(); wg.Wait() }()

	eventually(t, "READY=1 and a watchdog ping", func() bool { return sd.saw("READY=1") && sd.saw("WATCHDOG=1") })
	base := "http://" + addr
	if code, body := fetch(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	eventually(t, "/readyz 200 once IMAP is connected", func() bool { code, _ := fetch(t, base+"/readyz"); return code == 200 })

	// One complaint, and the same message once more (a duplicate, ignored).
	h.deliver(complaintFromSanne())
	wctx, cancel := context.WithTimeout(h.ctx, time.Minute)
	defer cancel()
	if _, err := h.smtp.Wait(wctx, 3); err != nil { // confirmation and two handler notifications
		t.Fatalf("run sent nothing: %v", err)
	}
	h.deliver(complaintFromSanne())
	eventually(t, "the duplicate counted", func() bool {
		_, m := fetch(t, base+"/metrics")
		return strings.Contains(m, `complaintd_messages_total{outcome="ignored",reason="duplicate"} 1`)
	})
	_, m := fetch(t, base+"/metrics")
	for sample, want := range map[string]float64{
		`complaintd_messages_total{outcome="processed",reason=""}`:   1,
		`complaintd_messages_total{outcome="quarantined",reason=""}`: 0,
		`complaintd_smtp_sends_total{result="sent"}`:                 3,
		`complaintd_outbox_messages{state="sent"}`:                   3,
		`complaintd_cases_open{status="acknowledged"}`:               1,
		`complaintd_cases_past_deadline`:                             0,
		`complaintd_imap_connected`:                                  1,
		`complaintd_message_processing_seconds_count`:                2,
		`complaintd_database_up`:                                     1,
	} {
		if got := metricValue(t, m, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	if metricValue(t, m, `complaintd_smtp_last_sent_timestamp_seconds`) < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last SMTP send time not set")
	}
	if !strings.Contains(m, `complaintd_build_info{revision=`) {
		t.Errorf("no build info")
	}

	// The server refuses: readiness fails and names SMTP.
	h.smtp.Refuse(3, 451, "4.3.2 try again later") // the new complaint's three mails
	h.deliver(rawMail(mailOpts{from: "Pieter Visser <pieter.visser@example.nl>", subject: "Klacht over de BSO", body: "De bus kwam niet."}))
	var body string
	eventually(t, "/readyz failing on SMTP", func() bool {
		var code int
		code, body = fetch(t, base+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "smtp: FAIL: the last attempt to send failed") || !strings.Contains(body, "451") ||
		!strings.Contains(body, "database: ok") || !strings.Contains(body, "imap: ok") {
		t.Errorf("/readyz while SMTP refuses:\n%s", body)
	}
	// It accepts again: the next mail goes through and readiness recovers.
	if code, _ := fetch(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz recovered before any mail was accepted")
	}
	h.deliver(rawMail(mailOpts{from: "Mira de Boer <mira@example.nl>", subject: "Klacht over de opvang", body: "De deur stond open."}))
	eventually(t, "/readyz recovering", func() bool { code, _ := fetch(t, base+"/readyz"); return code == 200 })
	_, m = fetch(t, base+"/metrics")
	if got := metricValue(t, m, `complaintd_smtp_sends_total{result="temporary"}`); got != 3 {
		t.Errorf("temporary send failures = %v, want 3", got)
	}
	stop()
	wg.Wait()
	if runErr != nil {
		t.Fatalf("run: %v", runErr)
	}
	if !sd.saw("STOPPING=1") {
		t.Errorf("no STOPPING=1 at shutdown")
	}
}

func TestHTTPAddressMustBeLoopbackUnlessAllowed(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:9464": true, "[::1]:9464": true, "localhost:9464": true, ":9464": true,
		"0.0.0.0:9464": false, "192.0.2.7:9464": false, "9464": false,
	} {
		err := errorsJoin(HTTPConfig{Addr: addr}.problems())
		if (err == nil) != ok {
			t.Errorf("http.addr %q: %v", addr, err)
		}
		if err != nil && !strings.Contains(err.Error(), "http.addr") {
			t.Errorf("error does not name http.addr: %v", err)
		}
	}
	if err := errorsJoin(HTTPConfig{Addr: "0.0.0.0:9464", AllowRemote: true}.problems()); err != nil {
		t.Errorf("allow_remote: %v", err)
	}
	if got := (HTTPConfig{Addr: ":9464"}).listenAddr(); got != "127.0.0.1:9464" {
		t.Errorf(":9464 listens on %s", got)
	}
}

func errorsJoin(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}

// Mail held because the server refused it (helper state "held" with a
// "held: server refused" reason) makes readiness fail and says so; an IMAP
// connection never made is named too.
func TestReadinessNamesHeldMailAndIMAP(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, testReadinessNamesHeldMailAndIMAP)
}

func testReadinessNamesHeldMailAndIMAP(t *testing.T, url string) {
	h := newHarness(t, url)
	confirmationOf(t, h)
	s, err := h.c.snapshot(h.ctx)
	if err != nil || s.Outbox["sent"] != 3 || s.Cases["acknowledged"] != 1 || s.OldestUnsent != (time.Time{}) {
		t.Fatalf("snapshot = %+v, %v", s, err)
	}
	srv := &opsServerForTest{c: h.c}
	lines := srv.ready(t)
	if !strings.Contains(lines, "imap: FAIL: not connected yet") || !strings.Contains(lines, "outbox: ok") {
		t.Errorf("readiness before the poller ran:\n%s", lines)
	}
	if _, err := h.c.db.Exec(h.ctx, `UPDATE outbox SET state = 'held', last_error = 'held: server refused: 554 5.7.1 spam' WHERE id = (SELECT MIN(id) FROM outbox)`); err != nil {
		t.Fatal(err)
	}
	if lines := srv.ready(t); !strings.Contains(lines, "outbox: FAIL: 1 message(s) held because the mail server refused them") {
		t.Errorf("readiness with held mail:\n%s", lines)
	}
}

type opsServerForTest struct{ c *components }

func (s *opsServerForTest) ready(t *testing.T) string {
	srv := &ops.Server{Checks: s.c.readiness()}
	lines, _ := srv.Ready(t.Context())
	return strings.Join(lines, "\n")
}

// An ignored message is logged with its reason, a quarantined one too.
func TestIgnoredAndQuarantinedMessagesAreLoggedWithTheirReason(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	h.c.close() // this test builds the daemon on the SQLite file itself
	var logs syncBuffer
	c, err := build(h.ctx, h.cfg, slog.New(slog.NewTextHandler(&logs, nil)), options{clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	h.deliver(complaintFromSanne())
	h.deliver(complaintFromSanne())                               // the same message again: ignored
	h.deliver([]byte("no header at all, and no body either\r\n")) // nothing to answer: quarantined
	if err := c.poller.PollOnce(h.ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{
		`msg="message processed" .*outcome=ignored .*reason="same message as ledger #1"`,
		`msg="message quarantined" .*reason="cannot parse`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
