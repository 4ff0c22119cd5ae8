package mailbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// failAfter bounds every wait in these tests. It is a failure bound only,
// never a synchronisation: waits end as soon as the awaited event happens.
const failAfter = 15 * time.Second

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func startIMAP(t *testing.T, opts mailtest.IMAPOptions) *mailtest.IMAPServer {
	t.Helper()
	opts.Logger = testLogger(t)
	srv, err := mailtest.StartIMAP(opts)
	if err != nil {
		t.Fatalf("StartIMAP: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func imapConfig(srv *mailtest.IMAPServer, tlsMode string) mailbox.IMAPConfig {
	return mailbox.IMAPConfig{
		Addr:           srv.Addr(),
		TLS:            tlsMode,
		RootCAs:        srv.RootCAs(),
		Username:       srv.Username(),
		Password:       srv.Password(),
		CommandTimeout: 10 * time.Second,
		// What cmd/complaintd configures by default.
		Auth: mailbox.AuthPassword, Mailbox: "INBOX", ProcessedMailbox: "Processed", QuarantineMailbox: "Quarantine",
		PollInterval: time.Minute, BatchSize: 100, Workers: 1,
	}
}

func newPoller(t *testing.T, cfg mailbox.IMAPConfig, h mailbox.HandlerFunc) *mailbox.Poller {
	t.Helper()
	p, err := mailbox.NewPoller(cfg, h, testLogger(t))
	if err != nil {
		t.Fatalf("NewPoller: %v", err)
	}
	return p
}

// testMessage is a complete RFC 5322 message with CRLF line ends, 8-bit
// UTF-8, and lines that need dot-stuffing or look like IMAP protocol.
func testMessage(n int) []byte {
	return fmt.Appendf(nil, "From: Ouder %d <ouder%d@example.nl>\r\n"+
		"To: klachten@kinderopvang.example\r\n"+
		"Subject: Klacht nummer %d\r\n"+
		"Message-ID: <msg%d@example.nl>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"Content-Transfer-Encoding: 8bit\r\n"+
		"\r\n"+
		"Beste medewerker,\r\n"+
		".Deze regel begint met een punt.\r\n"+
		".\r\n"+
		"* CAPABILITY IMAP4rev1 IDLE\r\n"+
		"Groet, Ëlla Çoşkun — %d\r\n", n, n, n, n, n)
}

// recorder is a HandlerFunc that records what it was offered and answers
// with decide; every call is also sent on calls (buffered, never blocks).
type recorder struct {
	mu     sync.Mutex
	seen   []mailbox.Fetched
	decide func(mailbox.Fetched) (mailbox.Outcome, error)
	calls  chan mailbox.Fetched
}

func newRecorder(decide func(mailbox.Fetched) (mailbox.Outcome, error)) *recorder {
	if decide == nil {
		decide = func(mailbox.Fetched) (mailbox.Outcome, error) { return mailbox.Done, nil }
	}
	return &recorder{decide: decide, calls: make(chan mailbox.Fetched, 1000)}
}

func (r *recorder) handle(_ context.Context, f mailbox.Fetched) (mailbox.Outcome, error) {
	r.mu.Lock()
	r.seen = append(r.seen, f)
	r.mu.Unlock()
	out, err := r.decide(f)
	r.calls <- f
	return out, err
}

func (r *recorder) all() []mailbox.Fetched {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// next waits for the next handler call.
func (r *recorder) next(t *testing.T) mailbox.Fetched {
	t.Helper()
	select {
	case f := <-r.calls:
		return f
	case <-time.After(failAfter):
		t.Fatalf("handler not called within %v", failAfter)
		return mailbox.Fetched{}
	}
}

// waitFor waits until the handler was offered a message matching match.
func (r *recorder) waitFor(t *testing.T, what string, match func(mailbox.Fetched) bool) mailbox.Fetched {
	t.Helper()
	deadline := time.After(failAfter)
	for {
		select {
		case f := <-r.calls:
			if match(f) {
				return f
			}
		case <-deadline:
			t.Fatalf("handler never saw %s within %v", what, failAfter)
			return mailbox.Fetched{}
		}
	}
}

func stored(t *testing.T, srv *mailtest.IMAPServer, mbox string) []mailtest.StoredMessage {
	t.Helper()
	msgs, err := srv.Messages(mbox)
	if err != nil {
		t.Fatalf("Messages(%s): %v", mbox, err)
	}
	return msgs
}

// runPoller starts Run in the background; the returned stop cancels it and
// fails the test if Run does not return nil promptly.
func runPoller(t *testing.T, p *mailbox.Poller) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v after cancel, want nil", err)
				}
			case <-time.After(failAfter):
				t.Errorf("Run did not return within %v of cancel", failAfter)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
