package mailtest_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
)

func TestIMAPServerStoresDeliveredMail(t *testing.T) {
	srv, err := mailtest.StartIMAP(mailtest.IMAPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	date := time.Date(2026, 1, 5, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	raw := []byte("Subject: hallo\r\n\r\nbody\r\n")
	uid, err := srv.Deliver("INBOX", raw, date, `\Flagged`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Deliver("Nope", raw, date); err == nil {
		t.Fatal("Deliver to a missing mailbox succeeded")
	}
	for _, name := range []string{"INBOX", "Processed", "Quarantine"} {
		if _, err := srv.UIDValidity(name); err != nil {
			t.Errorf("mailbox %s missing: %v", name, err)
		}
	}
	msgs, err := srv.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].UID != uid || !bytes.Equal(msgs[0].Raw, raw) ||
		!msgs[0].InternalDate.Equal(date) || !slices.Contains(msgs[0].Flags, `\Flagged`) {
		t.Fatalf("Messages = %+v", msgs)
	}

	// Recreate: same contents, flags and dates, new UIDVALIDITY.
	before, _ := srv.UIDValidity("INBOX")
	if err := srv.RecreateMailbox("INBOX"); err != nil {
		t.Fatal(err)
	}
	after, _ := srv.UIDValidity("INBOX")
	if after == before {
		t.Fatalf("UIDVALIDITY unchanged (%d)", after)
	}
	again, err := srv.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || !bytes.Equal(again[0].Raw, raw) || !again[0].InternalDate.Equal(date) ||
		!slices.Contains(again[0].Flags, `\Flagged`) {
		t.Fatalf("after RecreateMailbox: %+v", again)
	}
}

func TestIMAPOptionsChecked(t *testing.T) {
	if _, err := mailtest.StartIMAP(mailtest.IMAPOptions{TLS: "starttls", NoIdle: true}); err == nil {
		t.Error("NoIdle with STARTTLS accepted")
	}
	if _, err := mailtest.StartIMAP(mailtest.IMAPOptions{TLS: "ssl"}); err == nil {
		t.Error("unknown TLS mode accepted")
	}
	if _, err := mailtest.StartSMTP(mailtest.SMTPOptions{Username: "u"}); err == nil {
		t.Error("SMTP username without password accepted")
	}
	srv, err := mailtest.StartIMAP(mailtest.IMAPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.RootCAs() != nil {
		t.Error("plaintext server has RootCAs")
	}
}

func TestSMTPWaitEndsWithContext(t *testing.T) {
	srv, err := mailtest.StartSMTP(mailtest.SMTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := srv.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	msgs, err := srv.Wait(t.Context(), 0)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("Wait(0) = %v, %v", msgs, err)
	}
}

func TestSilentServerNeverAnswers(t *testing.T) {
	addr, closeFn, err := mailtest.StartSilent()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("EHLO x\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		t.Fatalf("Read = %d, %v; want a timeout", n, err)
	}
	closeFn()
	closeFn() // idempotent
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
