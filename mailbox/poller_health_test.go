package mailbox_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// recordingHandler keeps every record and signals each "imap still failing".
type recordingHandler struct {
	mu      *sync.Mutex
	records *[]slog.Record
	retried chan struct{}
}

func newRecordingLogger() (*slog.Logger, *recordingHandler) {
	h := &recordingHandler{mu: new(sync.Mutex), records: new([]slog.Record), retried: make(chan struct{}, 100)}
	return slog.New(h), h
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	*h.records = append(*h.records, r.Clone())
	h.mu.Unlock()
	if r.Message == "imap still failing" {
		h.retried <- struct{}{}
	}
	return nil
}

func (h *recordingHandler) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range *h.records {
		if r.Level >= slog.LevelError {
			out = append(out, r.Message)
		}
	}
	return out
}

// A wrong password or a missing mailbox is said once at ERROR, in words that
// name the keys to fix; Run keeps retrying quietly and Health names it.
func TestRunSaysOnceWhatNeedsTheOperator(t *testing.T) {
	for _, tc := range []struct {
		name   string
		adjust func(*mailbox.IMAPConfig)
		want   error
		says   string
	}{
		{"wrong password", func(c *mailbox.IMAPConfig) { c.Password = "wrong" }, mailbox.ErrIMAPAuth, "imap.password"},
		{"missing mailbox", func(c *mailbox.IMAPConfig) { c.Mailbox = "Klachten" }, mailbox.ErrMissingMailbox, "imap.mailbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startIMAP(t, mailtest.IMAPOptions{})
			cfg := imapConfig(srv, "none")
			tc.adjust(&cfg)
			log, rec := newRecordingLogger()
			p, err := mailbox.NewPoller(cfg, newRecorder(nil).handle, log)
			if err != nil {
				t.Fatal(err)
			}
			stop := runPoller(t, p)
			for range 2 { // two retries after the first failure
				select {
				case <-rec.retried:
				case <-time.After(failAfter):
					t.Fatalf("no retry within %v", failAfter)
				}
			}
			stop()
			errs := rec.errors()
			if len(errs) != 1 || !strings.Contains(errs[0], tc.says) {
				t.Fatalf("ERROR lines = %q, want one naming %s", errs, tc.says)
			}
			h := p.Health()
			if h.Connected || !errors.Is(h.LastError, tc.want) || h.FailuresInRow < 3 {
				t.Fatalf("Health = %+v, want not connected, %v, 3+ failures", h, tc.want)
			}
		})
	}
}

func TestHealthAfterGoodRound(t *testing.T) {
	srv := startIMAP(t, mailtest.IMAPOptions{})
	cfg := imapConfig(srv, "none")
	cfg.PollInterval = time.Hour
	log, roundDone := logSignal(t, "imap round done")
	p, err := mailbox.NewPoller(cfg, newRecorder(nil).handle, log)
	if err != nil {
		t.Fatal(err)
	}
	if h := p.Health(); h.Connected || !h.LastRound.IsZero() {
		t.Fatalf("Health before Run = %+v", h)
	}
	if _, err := srv.Deliver("INBOX", testMessage(1), time.Time{}); err != nil {
		t.Fatal(err)
	}
	runPoller(t, p)
	awaitSignal(t, roundDone, "a round")
	deadline := time.Now().Add(failAfter)
	for p.Health().LastRound.IsZero() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the round is noted right after it is logged
	}
	if h := p.Health(); !h.Connected || h.LastRound.IsZero() || h.LastError != nil {
		t.Fatalf("Health after a round = %+v", h)
	}
}
