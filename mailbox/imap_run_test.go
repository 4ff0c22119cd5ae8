package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// With IDLE, mail delivered while the poller idles is handled at once. The
// poll interval is an hour, so only the server's EXISTS can trigger it.
func TestRunIdleHandlesNewMail(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	first := testMessage(1)
	if _, err := srv.Deliver("INBOX", first, time.Time{}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(nil)
	cfg := imapConfig(srv, "none")
	cfg.PollInterval = time.Hour
	log, roundDone := logSignal(t, "imap round done")
	p, err := mailbox.NewPoller(cfg, rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPoller(t, p)

	if f := rec.next(t); !bytes.Equal(f.Raw, first) {
		t.Fatalf("first message: got %q", f.Raw)
	}
	awaitSignal(t, roundDone, "first round")
	second := testMessage(2)
	uid, err := srv.Deliver("INBOX", second, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	f := rec.next(t)
	if f.UID != uid || !bytes.Equal(f.Raw, second) {
		t.Fatalf("after delivery while idling: handler got UID %d, want %d", f.UID, uid)
	}
	awaitSignal(t, roundDone, "second round")
	stop()
	assertRaw(t, srv, "Processed", first, second)
}

// Without IDLE, Run polls every PollInterval.
func TestRunWithoutIdlePolls(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{NoIdle: true})
	rec := newRecorder(nil)
	cfg := imapConfig(srv, "none")
	cfg.PollInterval = 50 * time.Millisecond
	stop := runPoller(t, newPoller(t, cfg, rec.handle))
	for i := range 3 {
		raw := testMessage(i)
		if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if f := rec.next(t); !bytes.Equal(f.Raw, raw) {
			t.Fatalf("message %d: got %q", i, f.Raw)
		}
	}
	stop()
}

// Wake starts a round at once, even with a long poll interval and no IDLE.
func TestWakeStartsRound(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{NoIdle: true})
	if _, err := srv.Deliver("INBOX", testMessage(0), time.Time{}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(nil)
	cfg := imapConfig(srv, "none")
	cfg.PollInterval = time.Hour
	log, roundDone := logSignal(t, "imap round done")
	p, err := mailbox.NewPoller(cfg, rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	runPoller(t, p)
	rec.next(t)
	awaitSignal(t, roundDone, "first round")
	// Run now sleeps for an hour; nothing but Wake can start a round.
	raw := testMessage(1)
	if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
		t.Fatal(err)
	}
	p.Wake()
	if f := rec.next(t); !bytes.Equal(f.Raw, raw) {
		t.Fatalf("got %q", f.Raw)
	}
}

// A message that failed stays; after the mailbox is recreated (new
// UIDVALIDITY, as after a migration) it is offered again with the new key.
func TestRunSurvivesUIDValidityChange(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	raw := testMessage(7)
	if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
		t.Fatal(err)
	}
	oldValidity, _ := srv.UIDValidity("INBOX")
	var newValidity atomic.Uint32
	log, roundDone := logSignal(t, "imap round done")
	rec := newRecorder(func(f mailbox.Fetched) (mailbox.Outcome, error) {
		if v := newValidity.Load(); v != 0 && f.UIDValidity == v {
			// Forget the signals of the earlier, failed rounds; this runs
			// before this round's moves, so its signal comes after.
			for len(roundDone) > 0 {
				<-roundDone
			}
			return mailbox.Done, nil
		}
		return 0, errors.New("not yet")
	})
	cfg := imapConfig(srv, "none")
	cfg.PollInterval = 50 * time.Millisecond
	p, err := mailbox.NewPoller(cfg, rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPoller(t, p)

	if f := rec.next(t); f.UIDValidity != oldValidity {
		t.Fatalf("first offer has UIDVALIDITY %d, want %d", f.UIDValidity, oldValidity)
	}
	if err := srv.RecreateMailbox("INBOX"); err != nil {
		t.Fatal(err)
	}
	v, _ := srv.UIDValidity("INBOX")
	if v == oldValidity {
		t.Fatal("RecreateMailbox kept UIDVALIDITY")
	}
	newValidity.Store(v)
	f := rec.waitFor(t, "the message under the new UIDVALIDITY", func(f mailbox.Fetched) bool { return f.UIDValidity == v })
	if !bytes.Equal(f.Raw, raw) {
		t.Fatalf("re-offered message differs: %q", f.Raw)
	}
	awaitSignal(t, roundDone, "the round that moved it")
	stop()
	assertRaw(t, srv, "Processed", raw)
	assertRaw(t, srv, "INBOX")
}

// When the server drops the connection Run reconnects and handles mail that
// arrived meanwhile.
func TestRunReconnectsAfterConnectionLoss(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	rec := newRecorder(nil)
	cfg := imapConfig(srv, "none")
	cfg.PollInterval = time.Hour
	log, connected := logSignal(t, "imap connected")
	log, roundDone := logSignalOn(log, "imap round done")
	p, err := mailbox.NewPoller(cfg, rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPoller(t, p)
	awaitSignal(t, connected, "first connection")

	if n := srv.DropConnections(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	raw := testMessage(3)
	if _, err := srv.Deliver("INBOX", raw, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if f := rec.next(t); !bytes.Equal(f.Raw, raw) {
		t.Fatalf("got %q", f.Raw)
	}
	awaitSignal(t, connected, "reconnection")
	awaitSignal(t, roundDone, "round after reconnection")
	stop()
	assertRaw(t, srv, "Processed", raw)
}

// Run keeps retrying while the server is unreachable and still stops at once
// when cancelled.
func TestRunStopsWhileReconnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now: connection refused
	cfg := imapConfig(startIMAP(t, mailtest.IMAPOptions{}), "none")
	cfg.Addr = addr
	p := newPoller(t, cfg, newRecorder(nil).handle)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(failAfter):
		t.Fatal("Run did not stop")
	}
}

// logSignal returns a logger that signals on the returned channel whenever
// a record with message msg is logged: a way to learn what Run is doing
// without sleeping.
func logSignal(t *testing.T, msg string) (*slog.Logger, <-chan struct{}) {
	ch := make(chan struct{}, 100)
	return slog.New(signalHandler{Handler: testLogger(t).Handler(), msg: msg, ch: ch}), ch
}

// logSignalOn adds another signalled message to log.
func logSignalOn(log *slog.Logger, msg string) (*slog.Logger, <-chan struct{}) {
	ch := make(chan struct{}, 100)
	return slog.New(signalHandler{Handler: log.Handler(), msg: msg, ch: ch}), ch
}

func awaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(failAfter):
		t.Fatalf("no %s within %v", what, failAfter)
	}
}

type signalHandler struct {
	slog.Handler
	msg string
	ch  chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	if h.Handler.Enabled(ctx, r.Level) {
		return h.Handler.Handle(ctx, r)
	}
	return nil
}

func (h signalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return signalHandler{Handler: h.Handler.WithAttrs(as), msg: h.msg, ch: h.ch}
}

func (h signalHandler) WithGroup(name string) slog.Handler {
	return signalHandler{Handler: h.Handler.WithGroup(name), msg: h.msg, ch: h.ch}
}
