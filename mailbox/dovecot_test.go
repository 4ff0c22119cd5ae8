package mailbox_test

// Compatibility suite: the poller against a real Dovecot (dovecot-imapd,
// IMAP4rev1 + IDLE + MOVE + UIDPLUS), which the tests start themselves; see
// mailbox/mailtest/peers. Each test has its own instance, so they run in
// parallel. Waits are on handler calls and log records, never on sleeps;
// the timeouts are failure bounds only. (The only loops that pause poll for
// Dovecot's readiness and for its processes' exit: there is nothing else to
// wait on.)

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
)

// Raw bytes, key, INTERNALDATE and size reach the handler exactly as they
// were delivered: 8-bit UTF-8, lines starting with ".", and a 2 MB message.
func TestDovecotFetchExactBytes(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	type delivered struct {
		raw  []byte
		date time.Time
		uid  uint32
	}
	msgs := []delivered{
		{raw: eightBitMessage()},
		{raw: dottedMessage()},
		{raw: bigMessage(2 << 20)},
	}
	for i := range msgs {
		msgs[i].date = time.Date(2026, 3, 2+i, 9, 30, 15, 0, amsterdam)
		msgs[i].uid = d.Append(t, "INBOX", msgs[i].raw, msgs[i].date)
	}
	validity := d.UIDValidity(t, "INBOX")

	rec := newRecorder(nil)
	if err := newPoller(t, d.IMAPConfig(mailbox.TLSNone), rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	got := rec.all()
	if len(got) != len(msgs) {
		t.Fatalf("handler saw %d messages, want %d", len(got), len(msgs))
	}
	for i, f := range got {
		want := msgs[i]
		if f.Mailbox != "INBOX" || f.UIDValidity != validity || f.UID != want.uid {
			t.Errorf("message %d: key (%s, %d, %d), want (INBOX, %d, %d)", i, f.Mailbox, f.UIDValidity, f.UID, validity, want.uid)
		}
		// Maildir keeps the instant (file mtime), not the zone.
		if !f.InternalDate.Equal(want.date) {
			t.Errorf("message %d: InternalDate %v, want %v", i, f.InternalDate, want.date)
		}
		if f.Size != int64(len(want.raw)) {
			t.Errorf("message %d: Size %d, want %d", i, f.Size, len(want.raw))
		}
		if !bytes.Equal(f.Raw, want.raw) {
			t.Errorf("message %d: raw bytes differ (%d bytes, want %d); first difference at %d",
				i, len(f.Raw), len(want.raw), firstDiff(f.Raw, want.raw))
		}
	}
}

// Done messages end up in Processed, which the poller creates along with
// Quarantine; INBOX is empty; nobody's mail client shows them as read.
func TestDovecotDoneMovesToProcessedUnread(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	if f := d.Folders(t); slices.Contains(f, "Processed") || slices.Contains(f, "Quarantine") {
		t.Fatalf("folders exist before the poller ran: %v", f)
	}
	var raws [][]byte
	var dates []time.Time
	for i := range 3 {
		raws = append(raws, testMessage(i))
		dates = append(dates, time.Date(2026, 4, 1, 8, i, 0, 0, time.UTC))
		d.Append(t, "INBOX", raws[i], dates[i])
	}
	cfg := d.IMAPConfig(mailbox.TLSNone)
	cfg.BatchSize = 2 // two FETCH+MOVE batches: Dovecot's EXPUNGEs come between them
	if err := newPoller(t, cfg, newRecorder(nil).handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}

	if f := d.Folders(t); !slices.Contains(f, "Processed") || !slices.Contains(f, "Quarantine") {
		t.Fatalf("poller did not create Processed and Quarantine; folders: %v", f)
	}
	if n := len(d.Messages(t, "INBOX")); n != 0 {
		t.Fatalf("INBOX holds %d messages after the round, want 0", n)
	}
	processed := d.Messages(t, "Processed")
	if len(processed) != len(raws) {
		t.Fatalf("Processed holds %d messages, want %d", len(processed), len(raws))
	}
	for i, m := range processed {
		if !bytes.Equal(m.Raw, raws[i]) {
			t.Errorf("Processed message %d differs:\n got %q\nwant %q", i, m.Raw, raws[i])
		}
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("Processed message %d is marked \\Seen (flags %v)", i, m.Flags)
		}
		if !m.InternalDate.Equal(dates[i]) {
			t.Errorf("Processed message %d has INTERNALDATE %v, want the original %v", i, m.InternalDate, dates[i])
		}
	}
	if n := len(d.Messages(t, "Quarantine")); n != 0 {
		t.Errorf("Quarantine holds %d messages, want 0", n)
	}
}

// Quarantine moves the message to Quarantine; a handler error leaves the
// message unread in INBOX, and the next PollOnce offers it again.
func TestDovecotQuarantineAndRetry(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	bad, later := testMessage(1), testMessage(2)
	badUID := d.Append(t, "INBOX", bad, time.Time{})
	laterUID := d.Append(t, "INBOX", later, time.Time{})
	validity := d.UIDValidity(t, "INBOX")

	rec := newRecorder(func(f mailbox.Fetched) (mailbox.Outcome, error) {
		if f.UID == badUID {
			return mailbox.Quarantine, nil
		}
		return 0, errors.New("database unavailable")
	})
	if err := newPoller(t, d.IMAPConfig(mailbox.TLSNone), rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	assertDovecotRaw(t, d, "Quarantine", bad)
	assertDovecotRaw(t, d, "INBOX", later)
	assertDovecotRaw(t, d, "Processed")
	if m := d.Messages(t, "INBOX")[0]; slices.Contains(m.Flags, imap.FlagSeen) {
		t.Errorf("the failed message is marked \\Seen in INBOX (flags %v)", m.Flags)
	}

	rec2 := newRecorder(nil)
	if err := newPoller(t, d.IMAPConfig(mailbox.TLSNone), rec2.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("second PollOnce: %v", err)
	}
	again := rec2.all()
	if len(again) != 1 || again[0].UID != laterUID || again[0].UIDValidity != validity || !bytes.Equal(again[0].Raw, later) {
		t.Fatalf("second round offered UIDs %v, want only %d under UIDVALIDITY %d", uids(again), laterUID, validity)
	}
	assertDovecotRaw(t, d, "INBOX")
	assertDovecotRaw(t, d, "Processed", later)
	assertDovecotRaw(t, d, "Quarantine", bad)
}

// In a shared mailbox a colleague may delete a message while a round is
// under way: the round goes on without error and handles the rest.
func TestDovecotMessageExpungedMidRound(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	raws := [][]byte{testMessage(1), testMessage(2), testMessage(3)}
	var uidsDelivered []uint32
	for _, raw := range raws {
		uidsDelivered = append(uidsDelivered, d.Append(t, "INBOX", raw, time.Time{}))
	}
	var once sync.Once
	rec := newRecorder(func(mailbox.Fetched) (mailbox.Outcome, error) {
		once.Do(func() { d.Expunge(t, "INBOX", uidsDelivered[1]) })
		return mailbox.Done, nil
	})
	cfg := d.IMAPConfig(mailbox.TLSNone)
	cfg.BatchSize = 1 // the second message is fetched after it is gone
	if err := newPoller(t, cfg, rec.handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	assertDovecotRaw(t, d, "INBOX")
	assertDovecotRaw(t, d, "Processed", raws[0], raws[2])
}

// Run picks up mail delivered while it idles. The poll interval is ten
// minutes, so only Dovecot's IDLE notification can wake it in time; and it
// does so on the connection it already had.
func TestDovecotIdleWakesRun(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	first := testMessage(1)
	d.Append(t, "INBOX", first, time.Time{})
	cfg := d.IMAPConfig(mailbox.TLSNone)
	cfg.PollInterval = 10 * time.Minute
	log, connected := logSignal(t, "imap connected")
	log, roundDone := logSignalOn(log, "imap round done")
	rec := newRecorder(nil)
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
	uid := d.Append(t, "INBOX", second, time.Time{})
	start := time.Now()
	if f := rec.next(t); f.UID != uid || !bytes.Equal(f.Raw, second) {
		t.Fatalf("after delivery while idling: handler got UID %d, want %d", f.UID, uid)
	}
	t.Logf("handled %v after delivery", time.Since(start).Round(time.Millisecond))
	awaitSignal(t, roundDone, "second round")
	stop()
	if n := len(connected); n != 1 {
		t.Errorf("poller connected %d times, want once (IDLE on the kept connection)", n)
	}
	assertDovecotRaw(t, d, "Processed", first, second)
}

// When Dovecot assigns INBOX a new UIDVALIDITY (its index and uidlist
// lost, as after a restore), the messages still there are offered again
// under the new value: none is lost or skipped as "already seen".
func TestDovecotUIDValidityChange(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	raws := [][]byte{testMessage(1), testMessage(2)}
	for _, raw := range raws {
		d.Append(t, "INBOX", raw, time.Time{})
	}
	oldValidity := d.UIDValidity(t, "INBOX")

	var failing atomic.Bool
	failing.Store(true)
	rec := newRecorder(func(mailbox.Fetched) (mailbox.Outcome, error) {
		if failing.Load() {
			return 0, errors.New("database unavailable")
		}
		return mailbox.Done, nil
	})
	log, changed := logSignal(t, "imap UIDVALIDITY changed; remaining messages are offered again under new UIDs")
	p, err := mailbox.NewPoller(d.IMAPConfig(mailbox.TLSNone), rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	for _, f := range rec.all() {
		if f.UIDValidity != oldValidity {
			t.Fatalf("first round: UIDVALIDITY %d, want %d", f.UIDValidity, oldValidity)
		}
	}

	d.Restart(func() {
		// The uidlist holds UIDVALIDITY and the UIDs; the indexes cache
		// them. Without them Dovecot numbers the maildir anew.
		for _, pattern := range []string{"dovecot-uidlist*", "dovecot.index*", "dovecot.list.index*"} {
			files, _ := filepath.Glob(filepath.Join(d.Maildir("INBOX"), pattern))
			for _, f := range files {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	newValidity := d.UIDValidity(t, "INBOX")
	if newValidity == oldValidity {
		t.Fatalf("Dovecot kept UIDVALIDITY %d; the test could not force a change", oldValidity)
	}

	failing.Store(false)
	first := len(rec.all())
	if err := p.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce after the change: %v", err)
	}
	again := rec.all()[first:]
	var gotRaw [][]byte
	for _, f := range again {
		if f.UIDValidity != newValidity {
			t.Errorf("re-offered UID %d under UIDVALIDITY %d, want %d", f.UID, f.UIDValidity, newValidity)
		}
		gotRaw = append(gotRaw, f.Raw)
	}
	if !sameMessages(gotRaw, raws) {
		t.Fatalf("after the UIDVALIDITY change the handler was offered %d messages, want the %d still in INBOX", len(again), len(raws))
	}
	awaitSignal(t, changed, "a log warning about the changed UIDVALIDITY")
	assertDovecotRaw(t, d, "INBOX")
	if got := d.Messages(t, "Processed"); len(got) != len(raws) {
		t.Fatalf("Processed holds %d messages, want %d", len(got), len(raws))
	}
}

// Dovecot restarts while Run idles on its connection; Run reconnects (after
// its 1 s backoff) and handles mail delivered after the restart.
func TestDovecotRestartMidSession(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	first := testMessage(1)
	d.Append(t, "INBOX", first, time.Time{})
	cfg := d.IMAPConfig(mailbox.TLSNone)
	cfg.PollInterval = 10 * time.Minute
	log, connected := logSignal(t, "imap connected")
	log, roundDone := logSignalOn(log, "imap round done")
	rec := newRecorder(nil)
	p, err := mailbox.NewPoller(cfg, rec.handle, log)
	if err != nil {
		t.Fatal(err)
	}
	stop := runPoller(t, p)
	rec.next(t)
	awaitSignal(t, connected, "first connection")
	awaitSignal(t, roundDone, "first round")

	start := time.Now()
	d.Restart(nil)
	second := testMessage(2)
	d.Append(t, "INBOX", second, time.Time{})
	select {
	case f := <-rec.calls:
		if !bytes.Equal(f.Raw, second) {
			t.Fatalf("after the restart the handler got %q", f.Raw)
		}
	case <-time.After(peers.DovecotFailAfter):
		t.Fatalf("message delivered after the restart not handled within %v", peers.DovecotFailAfter)
	}
	t.Logf("handled %v after the restart began", time.Since(start).Round(time.Millisecond))
	awaitSignal(t, connected, "reconnection")
	awaitSignal(t, roundDone, "round after reconnection")
	stop()
	assertDovecotRaw(t, d, "Processed", first, second)
}

// STARTTLS and implicit TLS work with the test CA in RootCAs; with the
// system pool the certificate is refused.
func TestDovecotTLS(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{TLS: true})
	for i, mode := range []string{mailbox.TLSStartTLS, mailbox.TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			raw := testMessage(10 + i)
			uid := d.Append(t, "INBOX", raw, time.Time{})
			rec := newRecorder(nil)
			p := newPoller(t, d.IMAPConfig(mode), rec.handle)
			summary, err := p.Check(t.Context())
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			transport := map[string]string{mailbox.TLSStartTLS: "over STARTTLS", mailbox.TLSImplicit: "over implicit TLS"}[mode]
			// The capabilities are the ones Dovecot announces after login
			// (MOVE and UIDPLUS are not in its pre-login list).
			for _, want := range []string{transport, "certificate verified for 127.0.0.1", "IDLE yes, MOVE yes, UIDPLUS yes"} {
				if !strings.Contains(summary, want) {
					t.Errorf("Check summary lacks %q:\n%s", want, summary)
				}
			}
			if err := p.PollOnce(t.Context()); err != nil {
				t.Fatalf("PollOnce: %v", err)
			}
			if got := rec.all(); len(got) != 1 || got[0].UID != uid || !bytes.Equal(got[0].Raw, raw) {
				t.Fatalf("handler saw UIDs %v, want only %d with the delivered bytes", uids(got), uid)
			}
		})
		t.Run(mode+"/system roots", func(t *testing.T) {
			cfg := d.IMAPConfig(mode)
			cfg.RootCAs = nil
			err := newPoller(t, cfg, newRecorder(nil).handle).PollOnce(t.Context())
			var verr *tls.CertificateVerificationError
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &verr) && !errors.As(err, &unknown) {
				t.Fatalf("PollOnce with the system pool = %v, want a certificate verification error", err)
			}
		})
	}
}

// Dovecot's imap process stops answering mid-session (SIGSTOP): PollOnce
// gives up after CommandTimeout instead of hanging, and no message is lost.
func TestDovecotSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	d := peers.StartDovecot(t, peers.DovecotOptions{})
	raws := [][]byte{testMessage(1), testMessage(2)}
	for _, raw := range raws {
		d.Append(t, "INBOX", raw, time.Time{})
	}
	var (
		once    sync.Once
		mu      sync.Mutex
		stopped []int
	)
	resume := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, pid := range stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	rec := newRecorder(func(mailbox.Fetched) (mailbox.Outcome, error) {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			stopped = d.IMAPPIDs()
			for _, pid := range stopped {
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
		})
		return mailbox.Done, nil
	})
	cfg := d.IMAPConfig(mailbox.TLSNone)
	// Far above what a loaded machine (or -race) needs for LOGIN and FETCH:
	// with 500 ms the round timed out before the first message was handled
	// under load, and nothing was ever stopped.
	cfg.CommandTimeout = 3 * time.Second
	done := make(chan error, 1)
	go func() { done <- newPoller(t, cfg, rec.handle).PollOnce(t.Context()) }()
	select {
	case err := <-done:
		if !errors.Is(err, mailbox.ErrIMAPTimeout) {
			t.Fatalf("PollOnce = %v, want ErrIMAPTimeout", err)
		}
	case <-time.After(failAfter):
		t.Fatal("PollOnce hangs on a silent Dovecot")
	}
	mu.Lock()
	n := len(stopped)
	mu.Unlock()
	if n == 0 {
		t.Fatal("found no Dovecot imap process to stop")
	}

	// Resumed, the stopped process may still carry out the MOVE it had
	// received; wait until it has finished and exited, then a new round
	// must leave every message in Processed.
	resume()
	peers.WaitExited(t, stopped)
	if err := newPoller(t, d.IMAPConfig(mailbox.TLSNone), newRecorder(nil).handle).PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce after resuming: %v", err)
	}
	assertDovecotRaw(t, d, "INBOX")
	var got [][]byte
	for _, m := range d.Messages(t, "Processed") {
		got = append(got, m.Raw)
	}
	if !sameMessages(got, raws) {
		t.Fatalf("Processed holds %d messages, want both delivered ones", len(got))
	}
}

func assertDovecotRaw(t *testing.T, d *peers.Dovecot, mbox string, want ...[]byte) {
	t.Helper()
	got := d.Messages(t, mbox)
	if len(got) != len(want) {
		t.Fatalf("%s holds %d messages, want %d", mbox, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Raw, want[i]) {
			t.Errorf("%s message %d differs:\n got %q\nwant %q", mbox, i, got[i].Raw, want[i])
		}
	}
}

// sameMessages compares two lists of messages regardless of order.
func sameMessages(a, b [][]byte) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, bytes.Compare)
	slices.SortFunc(b, bytes.Compare)
	return slices.EqualFunc(a, b, bytes.Equal)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func eightBitMessage() []byte {
	return []byte("From: Ëlla Çoşkun <ella@example.nl>\r\n" +
		"To: klachten@kinderopvang.example\r\n" +
		"Subject: =?utf-8?q?Klacht_over_de_opvang?=\r\n" +
		"Message-ID: <utf8@example.nl>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"Geachte heer/mevrouw — één klacht: crèche, café, naïef, Ørsted, Łódź, 日本語, 🚸.\r\n" +
		"Met vriendelijke groet,\r\nËlla\r\n")
}

func dottedMessage() []byte {
	return []byte("From: Ouder <ouder@example.nl>\r\n" +
		"To: klachten@kinderopvang.example\r\n" +
		"Subject: punten\r\n" +
		"Message-ID: <dots@example.nl>\r\n" +
		"\r\n" +
		".Deze regel begint met een punt.\r\n" +
		".\r\n" +
		"..\r\n" +
		". \r\n" +
		"A001 OK looks like a tagged response\r\n" +
		"* 1 EXISTS\r\n" +
		"Einde.\r\n")
}

// bigMessage is a plain-text message of about n bytes whose every line is
// distinct, so a lost or repeated chunk shows.
func bigMessage(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Ouder <groot@example.nl>\r\n" +
		"To: klachten@kinderopvang.example\r\n" +
		"Subject: groot bericht\r\n" +
		"Message-ID: <big@example.nl>\r\n" +
		"\r\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "regel %07d: de klacht gaat verder, en verder, en verder, tot de bijlage vol is.\r\n", i)
	}
	return b.Bytes()
}
