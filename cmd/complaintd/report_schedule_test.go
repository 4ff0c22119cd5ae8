package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// attachmentOf returns the name and decoded bytes of the first attached
// file of a message, as a mail client saves it.
func attachmentOf(t *testing.T, raw []byte) (string, []byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("not multipart/mixed: %q %v", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			t.Fatal("no attachment")
		}
		if err != nil {
			t.Fatal(err)
		}
		if name := p.FileName(); name != "" {
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
				b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
				if err != nil {
					t.Fatal(err)
				}
			}
			return name, b
		}
	}
}

// On 1 May each manager gets last year's report, attached, with the date
// it must reach the GGD; a reply "#verslag-verzonden DATE" to it is
// recorded and confirmed; the same line in a mail that only claims to be
// the manager's is refused and recorded nowhere.
func TestReportReminderOnFirstMayAndTheManagersConfirmation(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) {
			c.Report.RegulationSummary, c.Report.HowParentsInformed = "Klachten worden binnen zes weken schriftelijk beoordeeld.",
				"Bij de intake en op de website."
		})
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		const ilse, directie = "ilse.kramer@vlinder.example", "directie@vlinder.example"
		reminders := func(to string) []sentMail {
			var out []sentMail
			for _, m := range h.sentTo(to) {
				if strings.HasPrefix(m.msg.Subject(), "Klachtenverslag 2026") {
					out = append(out, m)
				}
			}
			return out
		}
		h.at(time.Date(2027, 4, 30, 12, 0, 0, 0, amsterdam))
		h.at(time.Date(2027, 5, 1, 7, 29, 0, 0, amsterdam))
		if n := len(reminders(ilse)); n != 0 {
			t.Fatalf("%d reminders before 1 May 07:30", n)
		}
		h.at(time.Date(2027, 5, 1, 7, 30, 0, 0, amsterdam))
		h.at(time.Date(2027, 5, 1, 8, 0, 0, 0, amsterdam)) // once only
		for _, to := range []string{ilse, directie} {
			rs := reminders(to)
			if len(rs) != 1 {
				t.Fatalf("%s got %d reminders, want 1", to, len(rs))
			}
			if !strings.Contains(rs[0].msg.Subject(), "vóór 1 juni 2027") || !strings.Contains(rs[0].text, "#verslag-verzonden 2027-05-01") {
				t.Errorf("the reminder does not say when and how:\n%s\n%s", rs[0].msg.Subject(), rs[0].text)
			}
			name, html := attachmentOf(t, rs[0].raw)
			if name != "klachtenverslag-2026.html" || !bytes.Contains(html, []byte("Klachtenverslag 2026")) ||
				!bytes.Contains(html, []byte("Bij de intake en op de website.")) || !bytes.Contains(html, []byte("<svg")) {
				t.Errorf("attachment %q is not the report:\n%.400s", name, html)
			}
			for _, secret := range []string{"Sanne", "sanne.jansen", "KL-2026-0001", "Noah"} {
				if bytes.Contains(html, []byte(secret)) {
					t.Errorf("the attached report shows %q", secret)
				}
			}
		}
		reminder := reminders(ilse)[0]

		// Someone writes in Ilse's name, without her token or a DMARC pass.
		h.clock.Set(time.Date(2027, 5, 20, 10, 0, 0, 0, amsterdam))
		h.deliver(rawMail(mailOpts{from: "Ilse Kramer <" + ilse + ">", subject: "Re: verslag", id: "forged-1@elders.example",
			body: "#verslag-verzonden 2027-05-19\n"}))
		h.poll()
		h.flush()
		if n := h.countRows("report_confirmations", ""); n != 0 {
			t.Fatalf("an unverified confirmation was recorded (%d rows)", n)
		}
		var refused bool
		for _, m := range h.sentTo(ilse) {
			if strings.HasPrefix(m.msg.Subject(), "Niet vastgelegd") && strings.Contains(m.text, "konden niet nagaan") {
				refused = true
			}
		}
		if !refused {
			t.Error("Ilse is not told that a confirmation in her name was refused")
		}

		// The directie thanks for the reminder: no complaint, and the
		// answer says what line records the sending.
		dr := reminders(directie)[0]
		h.deliver(rawMail(mailOpts{from: "Directie De Vlinder <" + directie + ">", subject: "Re: " + dr.msg.Subject(), id: "dir-1@vlinder.example",
			inReplyTo: strings.Trim(dr.header("Message-ID"), "<>"), body: "Dank, ik regel het deze week.\n"}))
		h.poll()
		h.flush()
		var told bool
		for _, m := range h.sentTo(directie) {
			if strings.HasPrefix(m.msg.Subject(), "Niet vastgelegd") && strings.Contains(m.text, "bevat geen regel") {
				told = true
			}
		}
		if !told || h.countRows("report_confirmations", "") != 0 {
			t.Error("an answer to the reminder without the line is not answered, or recorded")
		}

		// Ilse answers the reminder itself from her mail client.
		h.deliver(rawMail(mailOpts{from: "Ilse Kramer <" + ilse + ">", subject: "Re: " + reminder.msg.Subject(), id: "ilse-1@vlinder.example",
			inReplyTo: strings.Trim(reminder.header("Message-ID"), "<>"),
			body:      "#verslag-verzonden 2027-05-20\n\nVandaag naar de GGD gemaild.\n\n> Beste Ilse Kramer,\n"}))
		h.poll()
		h.flush()
		var row struct {
			SentOn      string `db:"sent_on"`
			ConfirmedBy string `db:"confirmed_by"`
		}
		if err := h.c.db.Get(h.ctx, &row, `SELECT sent_on, confirmed_by FROM report_confirmations WHERE year = ? AND location = ''`, 2026); err != nil {
			t.Fatalf("no confirmation recorded: %v", err)
		}
		if row.SentOn != "2027-05-20" || row.ConfirmedBy != ilse {
			t.Errorf("recorded %+v", row)
		}
		var confirmed bool
		for _, m := range h.sentTo(ilse) {
			if m.msg.Subject() == "Vastgelegd: klachtenverslag 2026 verzonden op 20 mei 2027" && strings.Contains(m.text, "alle ouders") {
				confirmed = true
			}
		}
		if !confirmed {
			t.Error("Ilse got no confirmation")
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("the managers' replies opened cases: %d cases", n)
		}
	})
}

// A manager who confirms before 1 May (verified by the receiving server's
// DMARC pass, as trust.policy allows) gets no reminder: the report of the
// year before the date is recorded as sent.
func TestReportConfirmedBeforeMayGetsNoReminder(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		h.clock.Set(time.Date(2027, 4, 15, 9, 0, 0, 0, amsterdam))
		h.deliver(rawMail(mailOpts{from: "Directie De Vlinder <directie@vlinder.example>", subject: "Klachtenverslag", id: "dir-2@vlinder.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; dkim=pass header.d=vlinder.example; dmarc=pass header.from=vlinder.example"},
			body:  "#verslag-verzonden 14-04-2027\n"}))
		h.poll()
		h.flush()
		if n := h.countRows("report_confirmations", "year = ? AND sent_on = ? AND confirmed_by = ?", 2026, "2027-04-14", "directie@vlinder.example"); n != 1 {
			t.Fatalf("the DMARC-verified confirmation was not recorded (%d rows)", n)
		}
		h.at(time.Date(2027, 5, 1, 7, 30, 0, 0, amsterdam))
		if n := h.kinds("report_reminder"); n != 0 {
			t.Errorf("%d reminders after the report was confirmed sent", n)
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("the confirmation opened a case: %d cases", n)
		}
	})
}
