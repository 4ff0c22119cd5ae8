package ops_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/ops"
)

func TestReadyzNamesEachFailingCheck(t *testing.T) {
	srv := &ops.Server{Checks: []ops.Check{
		{Name: "database", Fn: func(context.Context) error { return nil }},
		{Name: "imap", Fn: func(context.Context) error { return errors.New("login refused:\n check imap.password") }},
	}, Metrics: ops.NewMetrics(ops.MetricsOptions{Version: "v1", Revision: "abc"})}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || string(body) != "database: ok\nimap: FAIL: login refused: check imap.password\n" {
		t.Errorf("/readyz = %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `complaintd_build_info{revision="abc",version="v1"} 1`) {
		t.Errorf("/metrics lacks build info:\n%s", body)
	}
	if resp, err := http.Post(ts.URL+"/healthz", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %v %v", resp.StatusCode, err)
	}
}

func TestNotifier(t *testing.T) {
	if n, err := ops.NewNotifier(func(string) string { return "" }, 1); n != nil || err != nil {
		t.Fatalf("outside systemd: %v %v", n, err)
	}
	var nilNotifier *ops.Notifier
	if err := nilNotifier.Notify("READY=1"); err != nil || nilNotifier.WatchdogInterval() != 0 {
		t.Fatal("a nil notifier must do nothing")
	}
	path := filepath.Join(t.TempDir(), "n.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	env := map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}
	n, err := ops.NewNotifier(func(k string) string { return env[k] }, 42)
	if err != nil {
		t.Fatal(err)
	}
	if n.WatchdogInterval() != 15*time.Second {
		t.Errorf("watchdog every %v, want half of 30s", n.WatchdogInterval())
	}
	if err := n.Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	k, err := conn.Read(buf)
	if err != nil || string(buf[:k]) != "READY=1" {
		t.Fatalf("got %q, %v", buf[:k], err)
	}
	// The watchdog is meant for another process: none here.
	n, _ = ops.NewNotifier(func(k string) string { return env[k] }, 7)
	if n.WatchdogInterval() != 0 {
		t.Errorf("watchdog for WATCHDOG_PID 42 used by pid 7")
	}
	env["NOTIFY_SOCKET"] = "relative.sock"
	if _, err := ops.NewNotifier(func(k string) string { return env[k] }, 42); err == nil {
		t.Error("a relative NOTIFY_SOCKET was accepted")
	}
}
