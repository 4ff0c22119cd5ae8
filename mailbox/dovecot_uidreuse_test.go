package mailbox_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// Dovecot hands out a UID again under the same UIDVALIDITY when its uid list
// is rebuilt with a lower next UID (as after restoring a mailbox from a
// backup). The new message under the old UID must open its own case, not be
// taken for the complaint processed under that UID and moved away unread.
// Run through the real poller and workflow on both databases.
func TestDovecotReusedUIDOpensItsOwnCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := peers.StartDovecot(t, peers.DovecotOptions{})
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		tpl, err := templates.New("")
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := time.LoadLocation("Europe/Amsterdam")
		wf, err := workflow.New(workflow.Deps{DB: db, Render: tpl, Compose: mailbox.Compose, Log: log,
			Parse: func(raw []byte) (workflow.Mail, error) { return mailbox.Parse(raw) },
			Settings: workflow.Settings{
				Organisation: workflow.Organisation{Name: "Kinderopvang De Vlinder", Address: "klachten@vlinder.example",
					Host: "vlinder.example", Location: loc, Language: "nl", AddressForm: "u", ProgressDays: 14},
				Escalation: workflow.Escalation{Klachtenloket: "www.klachtenloket-kinderopvang.nl", Geschillencommissie: "www.degeschillencommissie.nl",
					WindowMonths: 12},
				Handlers:    []workflow.Handler{{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"}},
				Tokens:      workflow.TokenSettings{Secrets: [][]byte{[]byte("a test secret of enough length")}},
				Trust:       workflow.Trust{Policy: workflow.TrustToken},
				Report:      workflow.Report{Categories: workflow.DefaultCategories()},
				Schedule:    workflow.Schedule{WarningDays: 14, Interval: time.Minute},
				Breaker:     workflow.Breaker{PerRecipient: 10, PerCase: 50, Window: 24 * time.Hour},
				Flood:       workflow.Flood{NewCasesPerSender: 5, NewCasesWindow: 24 * time.Hour},
				MaxAttempts: 3, SendAttempts: 12,
				Privacy: workflow.Privacy{AnonymiseAfterMonths: 24},
			}})
		if err != nil {
			t.Fatal(err)
		}
		handle := func(ctx context.Context, f mailbox.Fetched) (mailbox.Outcome, error) {
			disp, err := wf.Process(ctx, workflow.Delivery{Mailbox: f.Mailbox, UIDValidity: f.UIDValidity, UID: f.UID,
				InternalDate: f.InternalDate, Raw: f.Raw})
			if err != nil {
				return 0, err
			}
			if disp == workflow.Quarantine {
				return mailbox.Quarantine, nil
			}
			return mailbox.Done, nil
		}
		cfg := d.IMAPConfig(mailbox.TLSNone)
		cfg.ProcessedMailbox, cfg.QuarantineMailbox = "Processed", "Quarantine"
		p, err := mailbox.NewPoller(cfg, handle, log)
		if err != nil {
			t.Fatal(err)
		}
		complaint := func(from, id, text string) []byte {
			return []byte(fmt.Sprintf("From: %s\r\nTo: klachten@vlinder.example\r\nSubject: Klacht\r\n"+
				"Date: Thu, 19 Nov 2026 21:40:00 +0100\r\nMessage-ID: <%s>\r\n\r\n%s\r\n", from, id, text))
		}
		first := complaint("Sanne Jansen <sanne.jansen@example.nl>", "first@mail.example.nl", "Noah is meegegeven aan de buurvrouw.")
		uid := d.Append(t, "INBOX", first, time.Time{})
		validity := d.UIDValidity(t, "INBOX")
		if err := p.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(d.Messages(t, "Processed")); n != 1 {
			t.Fatalf("%d messages in Processed after the first round, want 1", n)
		}

		second := complaint("Peter Bakker <peter.bakker@example.nl>", "second@mail.example.nl", "De lunch was koud.")
		d.Restart(func() { reuseUID(t, d, uid, second) })
		got := d.Messages(t, "INBOX")
		if len(got) != 1 || got[0].UID != uid || d.UIDValidity(t, "INBOX") != validity || !bytes.Equal(got[0].Raw, second) {
			t.Fatalf("Dovecot did not reuse UID %d under UIDVALIDITY %d: %+v", uid, validity, got)
		}
		if err := p.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		cases, err := wf.Cases(t.Context(), workflow.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var who []string
		for _, c := range cases {
			who = append(who, c.ComplainantEmail)
		}
		if len(cases) != 2 || !strings.Contains(strings.Join(who, " "), "peter.bakker@example.nl") {
			t.Fatalf("cases for %v, want Sanne's and Peter's: the message under the reused UID was swallowed", who)
		}
		if !strings.Contains(logs.String(), "reused a UID") {
			t.Errorf("no warning about the reused UID in the log:\n%s", logs.String())
		}
		if n := len(d.Messages(t, "Processed")); n != 2 {
			t.Errorf("%d messages in Processed, want both", n)
		}
	})
}

// reuseUID rewrites INBOX's uid list (Dovecot stopped) so that the next
// message gets uid again, keeping UIDVALIDITY, and puts raw in the maildir.
func reuseUID(t *testing.T, d *peers.Dovecot, uid uint32, raw []byte) {
	t.Helper()
	dir := d.Maildir("INBOX")
	list := filepath.Join(dir, "dovecot-uidlist")
	old, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(old), "\n")
	header = regexp.MustCompile(` N\d+`).ReplaceAllString(header, fmt.Sprintf(" N%d", uid))
	if err := os.WriteFile(list, []byte(header+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The indexes cache the next UID too; without them Dovecot reads the list.
	for _, pattern := range []string{"dovecot.index*", "dovecot.list.index*"} {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range files {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	msg := filepath.Join(dir, "new", fmt.Sprintf("%d.M1P1.reused", time.Now().Unix()))
	if err := os.WriteFile(msg, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d.GiveToMailUser(t, list, msg)
}
