package mailbox_test

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// A server that accepts and never answers makes PollOnce fail with
// ErrIMAPTimeout instead of hanging.
func TestPollOnceSilentServerTimesOut(t *testing.T) {
	addr, closeSilent, err := mailtest.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeSilent)
	for _, mode := range []string{"none", "implicit", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			cfg := mailbox.IMAPConfig{Addr: addr, TLS: mode, Auth: mailbox.AuthPassword, Username: "u", Password: "p",
				Mailbox: "INBOX", ProcessedMailbox: "Processed", QuarantineMailbox: "Quarantine",
				PollInterval: time.Minute, CommandTimeout: 200 * time.Millisecond, BatchSize: 100, Workers: 1}
			done := make(chan error, 1)
			go func() { done <- newPoller(t, cfg, newRecorder(nil).handle).PollOnce(t.Context()) }()
			select {
			case err := <-done:
				if !errors.Is(err, mailbox.ErrIMAPTimeout) {
					t.Fatalf("PollOnce = %v, want ErrIMAPTimeout", err)
				}
			case <-time.After(failAfter):
				t.Fatal("PollOnce hangs on a silent server")
			}
		})
	}
}

// A large message on a slow link takes far longer than CommandTimeout, but
// bytes keep flowing, so it is not cut off.
func TestLargeMessageOverSlowLinkIsNotCutOff(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	big := append(testMessage(1), bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n"), 16<<10)...)
	if _, err := srv.Deliver("INBOX", big, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The link delivers 4 KB and then pauses 15 ms, so the 1.2 MB take at
	// least 300 pauses, 4.5 s, by construction: more than twice the command
	// timeout, however fast the machine. The timeout is 130 times the pause,
	// so a loaded machine (or -race, which slows the in-process server that
	// prepares the FETCH answer) does not look like a silent server; with
	// a 500 ms timeout it did under -race.
	proxy := startProxy(t, srv.Addr(), 4<<10, 15*time.Millisecond)
	rec := newRecorder(nil)
	cfg := imapConfig(srv, "none")
	cfg.Addr = proxy.addr
	cfg.CommandTimeout = 2 * time.Second
	start := time.Now()
	if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if got := rec.all(); len(got) != 1 || !bytes.Equal(got[0].Raw, big) {
		t.Fatalf("large message not received intact")
	}
	if elapsed := time.Since(start); elapsed < 2*cfg.CommandTimeout {
		t.Fatalf("transfer took %v, not more than twice the %v timeout: the link is not slow enough to prove anything", elapsed, cfg.CommandTimeout)
	}
}

// proxy forwards TCP connections to a server. Server-to-client data goes
// in chunks with a pause after each (a slow link that keeps moving) when
// chunk > 0; freeze stops all forwarding for good (a server gone silent).
type proxy struct {
	addr    string
	frozen  chan struct{}
	closing chan struct{}
	once    sync.Once
}

func (p *proxy) freeze() { p.once.Do(func() { close(p.frozen) }) }

func startProxy(t *testing.T, target string, chunk int, pause time.Duration) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), frozen: make(chan struct{}), closing: make(chan struct{})}
	if chunk <= 0 {
		chunk = 32 << 10
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		close(p.closing)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	pipe := func(dst, src net.Conn, throttle bool) {
		defer wg.Done()
		buf := make([]byte, chunk)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case <-p.frozen:
					<-p.closing // hold the bytes: never deliver
					return
				default:
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
				if throttle && pause > 0 {
					time.Sleep(pause) // throttling, not synchronisation
				}
			}
			if err != nil {
				dst.Close()
				return
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			wg.Add(2)
			go pipe(s, c, false)
			go pipe(c, s, true)
		}
	}()
	return p
}

// A server that goes silent in the middle of a session (here: while the
// handler works on the first message) makes PollOnce fail with
// ErrIMAPTimeout instead of hanging.
func TestPollOnceServerSilentMidSessionTimesOut(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	for i := range 2 {
		if _, err := srv.Deliver("INBOX", testMessage(i), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	proxy := startProxy(t, srv.Addr(), 0, 0)
	rec := newRecorder(func(mailbox.Fetched) (mailbox.Outcome, error) {
		proxy.freeze()
		return mailbox.Done, nil
	})
	cfg := imapConfig(srv, "none")
	cfg.Addr = proxy.addr
	cfg.CommandTimeout = 200 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- newPoller(t, cfg, rec.handle).PollOnce(t.Context()) }()
	select {
	case err := <-done:
		if !errors.Is(err, mailbox.ErrIMAPTimeout) {
			t.Fatalf("PollOnce = %v, want ErrIMAPTimeout", err)
		}
	case <-time.After(failAfter):
		t.Fatal("PollOnce hangs on a server gone silent")
	}
	// Nothing was moved: both messages are offered again next time.
	if n := len(stored(t, srv, "INBOX")); n != 2 {
		t.Fatalf("INBOX holds %d messages, want 2", n)
	}
}

// The time a handler takes is not server silence: a handler slower than
// CommandTimeout does not break the connection.
func TestSlowHandlerDoesNotTimeOut(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	var want [][]byte
	for i := range 3 {
		raw := testMessage(i)
		want = append(want, raw)
		if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := imapConfig(srv, "none")
	cfg.CommandTimeout = 50 * time.Millisecond
	rec := newRecorder(func(mailbox.Fetched) (mailbox.Outcome, error) {
		time.Sleep(3 * cfg.CommandTimeout) // simulated work, not synchronisation
		return mailbox.Done, nil
	})
	if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	assertRaw(t, srv, "Processed", want...)
}
