package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// The 1 May reminder and the confirmation, read in English by an
// organisation whose language is "en": the report attached under its
// English name and in English; "#report-sent DATE" in the answer records
// the sending, the manager is told so in English, and once recorded no
// further reminder comes that May.
func TestReportReminderAndConfirmationInEnglish(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) {
			c.Organisation.Language = "en"
			c.Report.RegulationSummary, c.Report.HowParentsInformed = "Parents complain in writing and get a reasoned judgment within six weeks.",
				"At the intake and on the website."
		})
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		const ilse = "ilse.kramer@vlinder.example"
		reminders := func() []sentMail {
			var out []sentMail
			for _, m := range h.sentTo(ilse) {
				if strings.HasPrefix(m.msg.Subject(), "Complaints report 2026") {
					out = append(out, m)
				}
			}
			return out
		}
		h.at(time.Date(2027, 5, 1, 7, 30, 0, 0, amsterdam))
		rs := reminders()
		if len(rs) != 1 {
			t.Fatalf("%d English reminders on 1 May, want 1", len(rs))
		}
		r := rs[0]
		if r.msg.Subject() != "Complaints report 2026: to the GGD before 1 June 2027" {
			t.Errorf("subject %q", r.msg.Subject())
		}
		for _, want := range []string{"must reach the GGD", "attached to this email: complaints-report-2026.html",
			"It covers 1 complaint", "#report-sent 2027-05-01"} {
			if !strings.Contains(r.text, want) {
				t.Errorf("the English reminder lacks %q:\n%s", want, r.text)
			}
		}
		name, html := attachmentOf(t, r.raw)
		if name != "complaints-report-2026.html" || !bytes.Contains(html, []byte("Complaints report 2026")) ||
			!bytes.Contains(html, []byte("At the intake and on the website.")) {
			t.Errorf("attachment %q is not the English report:\n%.400s", name, html)
		}
		for _, secret := range []string{"Sanne", "sanne.jansen", "KL-2026-0001", "Noah"} {
			if bytes.Contains(html, []byte(secret)) {
				t.Errorf("the attached report shows %q", secret)
			}
		}

		h.clock.Set(time.Date(2027, 5, 12, 9, 0, 0, 0, amsterdam))
		h.deliver(rawMail(mailOpts{from: "Ilse Kramer <" + ilse + ">", subject: "Re: " + r.msg.Subject(), id: "ilse-en@vlinder.example",
			inReplyTo: strings.Trim(r.header("Message-ID"), "<>"), body: "#report-sent 11-05-2027\n\nSent to the GGD yesterday.\n"}))
		h.poll()
		h.flush()
		if n := h.countRows("report_confirmations", "year = ? AND sent_on = ? AND confirmed_by = ?", 2026, "2027-05-11", ilse); n != 1 {
			t.Fatalf("the confirmation was not recorded (%d rows)", n)
		}
		var confirmed bool
		for _, m := range h.sentTo(ilse) {
			if m.msg.Subject() == "Recorded: complaints report 2026 sent on 11 May 2027" {
				confirmed = true
			}
		}
		if !confirmed {
			t.Error("Ilse got no English confirmation")
		}
		before := h.kinds("report_reminder")
		h.at(time.Date(2027, 5, 20, 7, 30, 0, 0, amsterdam))
		if n := h.kinds("report_reminder"); n != before {
			t.Errorf("%d more reminders after the confirmation", n-before)
		}
		if n := len(h.cases()); n != 1 {
			t.Errorf("the confirmation opened a case: %d cases", n)
		}
	})
}
