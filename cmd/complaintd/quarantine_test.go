package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// A message nobody can answer (no From, no Reply-To) is quarantined; the
// operator lists it, reads why and where it is, and releases it; the
// daemon's next round processes it again, once.
func TestQuarantineListShowRelease(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		raw := []byte("To: klachten@vlinder.example\r\nSubject: =?utf-8?q?Geen_afzender_=1B[2J?=\r\n" +
			"Message-ID: <nofrom@mail.example.nl>\r\nDate: Thu, 19 Nov 2026 21:40:00 +0100\r\n\r\nWie ben ik?\r\n")
		h.deliver(raw)
		h.poll()
		if n := len(h.folder("Quarantine")); n != 1 {
			t.Fatalf("%d messages in the Quarantine folder, want 1", n)
		}
		config := writeHarnessConfig(t, h.cfg)

		list, _, err := run(t, h.ctx, "quarantine", "list", "-config", config)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"ID", "REASON", "quarantined", "Geen afzender", "no sender address"} {
			if !strings.Contains(list, want) {
				t.Errorf("quarantine list lacks %q:\n%s", want, list)
			}
		}
		if strings.Contains(list, "\x1b") {
			t.Errorf("quarantine list printed an escape raw:\n%s", list)
		}
		var id string
		for _, l := range strings.Split(list, "\n") {
			if strings.Contains(l, "quarantined") {
				id = strings.Fields(l)[0]
			}
		}

		rawFile := filepath.Join(t.TempDir(), "message.eml")
		show, _, err := run(t, h.ctx, "quarantine", "show", "-config", config, "-raw", rawFile, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"message #" + id, "reason:        no sender address", `IMAP folder "Quarantine"`,
			"ledger as entry #" + id, "Message-ID: <nofrom@mail.example.nl>", "UID 1"} {
			if !strings.Contains(show, want) {
				t.Errorf("quarantine show lacks %q:\n%s", want, show)
			}
		}
		if got, err := os.ReadFile(rawFile); err != nil || !bytes.Equal(got, raw) {
			t.Errorf("-raw wrote %q (%v), want the message byte for byte", got, err)
		}
		if st, err := os.Stat(rawFile); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("-raw file mode %v (%v), want 0600", st.Mode().Perm(), err)
		}

		out, _, err := run(t, h.ctx, "quarantine", "release", "-config", config, id)
		if err != nil || !strings.Contains(out, "released") {
			t.Fatalf("release: %v\n%s", err, out)
		}
		if _, _, err := run(t, h.ctx, "quarantine", "release", "-config", config, id); err == nil || !strings.Contains(err.Error(), "not in quarantine") {
			t.Errorf("second release: %v", err)
		}
		if _, _, err := run(t, h.ctx, "quarantine", "show", "-config", config, "4711"); err == nil || !strings.Contains(err.Error(), "no message #4711") {
			t.Errorf("show of an unknown id: %v", err)
		}
		list, _, _ = run(t, h.ctx, "quarantine", "list", "-config", config)
		if !strings.Contains(list, "released") {
			t.Errorf("a released message waiting for the next round is not listed as released:\n%s", list)
		}

		// The daemon's next round: processed again exactly once. Nobody can
		// be answered still, so it is quarantined again, with its reason.
		if n, err := h.c.wf.ProcessReleased(h.ctx); err != nil || n != 1 {
			t.Fatalf("next round took %d released messages (%v), want 1", n, err)
		}
		if n, err := h.c.wf.ProcessReleased(h.ctx); err != nil || n != 0 {
			t.Fatalf("the round after took %d (%v), want 0", n, err)
		}
		if n := h.countRows("ledger", "state = 'quarantined' AND released_at IS NOT NULL AND attempts = 1"); n != 1 {
			t.Errorf("released message not processed once (%d rows)", n)
		}
	})
}
