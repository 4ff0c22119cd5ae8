package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// The annual report mailed to the manager and confirmed by her reply
// (issue 13), through the built daemon, Dovecot and Mailpit, on SQLite and
// PostgreSQL. The daemon runs on the real clock, so the 1 May reminder
// cannot be waited for: the operator sends the same message now with
// `complaintd report -year Y -mail`, which sends it through the outbox. Sanne's complaint came in in March
// 2025 (the receiving server's date), so the 2025 report has something to
// say, and a confirmation dated 20 May 2026 is neither early nor in the
// future. The manager's mail has the report attached as HTML, without
// Sanne's name, address or reference; she answers it from her own client
// with #verslag-verzonden 2026-05-20 (verified by the reminder's token her
// reply carries back, her server recording no DMARC pass), and the
// confirmation is recorded and confirmed to her.
func TestReportMailedAndConfirmedEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		t.Parallel()
		w := startWorld(t, url, reportConfig)
		received := time.Date(2025, 3, 10, 9, 15, 0, 0, amsterdam)
		w.deliver(rawComplaint(t, "Sanne Jansen", parentAddr, "Klacht over het ophalen van Noah",
			"Vandaag is onze zoon Noah meegegeven aan iemand die niet op de ophaallijst staat.", received), received)
		ref := reference(t, w.await(parentAddr, "the confirmation", "KL-", "Ontvangstbevestiging").subject)

		// With the daemon stopped the command sends the mail itself (beside
		// a daemon holding a SQLite file it queues it for the daemon's next
		// outbox round, up to a minute later).
		w.d.stop()
		if out := w.d.cli("report", "-year", "2025", "-mail"); out != "annual complaints report 2025 for Directie De Vlinder <"+directieAddr+">: sent\n" {
			t.Errorf("report -mail says:\n%s", out)
		}
		w.d.start()
		reminder := w.await(directieAddr, "the report", "Klachtenverslag 2025", "#verslag-verzonden")
		if !strings.Contains(reminder.subject, "vóór 1 juni 2026") {
			t.Errorf("the report mail does not say when it is due at the GGD: %q", reminder.subject)
		}
		name, ctype, page := attachedFile(t, reminder)
		if name != "klachtenverslag-2025.html" || ctype != "text/html" {
			t.Fatalf("the attachment is %q (%s), want klachtenverslag-2025.html (text/html)", name, ctype)
		}
		for _, want := range []string{"<!DOCTYPE html>", "Klachtenverslag 2025", "Bij de intake en op de website."} {
			if !strings.Contains(page, want) {
				t.Errorf("the attached report lacks %q", want)
			}
		}
		for _, secret := range []string{"Sanne", "Jansen", parentAddr, ref, "Noah", "ophaallijst"} {
			if strings.Contains(strings.ToLower(page), strings.ToLower(secret)) {
				t.Errorf("the attached report shows %q", secret)
			}
		}
		if m := regexp.MustCompile(`KL-\d{4}-\d+|[A-Za-z0-9.]+@[A-Za-z0-9.-]+\.[a-z]{2,}`).FindString(page); m != "" {
			t.Errorf("the attached report shows %q", m)
		}

		// The manager answers it from her own mail client.
		at := time.Now()
		w.deliver(managerReply(t, reminder, at, "#verslag-verzonden 2026-05-20\n\nVandaag naar de GGD gestuurd."), at)
		confirmed := w.await(directieAddr, "the confirmation of #verslag-verzonden", "Vastgelegd", "2025")
		if !strings.Contains(confirmed.subject, "klachtenverslag 2025 verzonden op 20 mei 2026") {
			t.Errorf("the manager's confirmation: %q\n%s", confirmed.subject, confirmed.text)
		}
		w.d.stop()

		db, err := store.Open(t.Context(), url, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var row struct {
			SentOn string `db:"sent_on"`
			By     string `db:"confirmed_by"`
		}
		if err := db.Get(t.Context(), &row, `SELECT sent_on, confirmed_by FROM report_confirmations WHERE year = 2025 AND location = ''`); err != nil {
			t.Fatalf("no confirmation of the 2025 report recorded: %v", err)
		}
		if !strings.HasPrefix(row.SentOn, "2026-05-20") || row.By != directieAddr {
			t.Errorf("recorded %+v, want sent on 2026-05-20 by %s", row, directieAddr)
		}
	})
}

// managerReply is the manager's answer to a mail from complaintd, as her
// client writes it: In-Reply-To and References of that mail, her own
// Message-ID, and the mail quoted. Her organisation's MX found no DMARC
// record to pass, so only the reply token of the mail she answers
// verifies her.
func managerReply(t *testing.T, to letter, at time.Time, body string) []byte {
	t.Helper()
	replyTo := to.header.Get("Reply-To")
	if replyTo == "" {
		replyTo = to.header.Get("From")
	}
	refs, _ := to.header.Text("References")
	refs = strings.TrimSpace(refs + " <" + to.messageID() + ">")
	msg := fmt.Sprintf("From: Directie De Vlinder <%s>\nTo: %s\nSubject: Re: %s\nDate: %s\nMessage-ID: <%s@vlinder.example>\n"+
		"In-Reply-To: <%s>\nReferences: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n%s\n\n%s\n",
		directieAddr, replyTo, to.subject, at.Format(time.RFC1123Z), randomToken(t, 12), to.messageID(), refs, body, quoted(to.text))
	return receivedBy(crlf(msg), directieAddr, "dkim=none; spf=pass smtp.mailfrom="+directieAddr+"; dmarc=none header.from=vlinder.example", at)
}
