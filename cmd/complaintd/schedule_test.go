package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// at moves the test clock to a moment and runs the scheduler and the outbox,
// as the daemon does every minute.
func (h *harness) at(t time.Time) {
	h.t.Helper()
	h.clock.Set(t)
	if _, err := h.c.wf.RunDue(h.ctx); err != nil {
		h.t.Fatalf("scheduler at %s: %v", t, err)
	}
	h.flush()
}

// kinds counts outgoing messages of a kind (to anyone).
func (h *harness) kinds(kind string) int {
	h.t.Helper()
	return h.countRows("outbox", "kind = ?", kind)
}

// received is when the harness's first complaint arrives.
var received = time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)

func TestOneCaseThroughSixWeeks(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		day := func(d int, hh, mm int) time.Time {
			y, m, dd := received.Date()
			return time.Date(y, m, dd+d, hh, mm, 0, 0, amsterdam)
		}

		// A progress message to the parent after 14 quiet days, once.
		h.at(day(14, 21, 47))
		if n := h.kinds(workflow.MsgProgress); n != 0 {
			t.Fatalf("progress message after 13 days 23 hours: %d", n)
		}
		h.at(day(14, 21, 48))
		h.at(day(15, 9, 0))
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 2 {
			t.Fatalf("the parent got %d mails by day 15, want the confirmation and one progress message", n)
		}
		if p := lastTo(t, h, "sanne.jansen@example.nl"); !strings.Contains(p.text, "donderdag 31 december 2026") || !strings.Contains(p.text, "uiterlijk op donderdag 17 december 2026") {
			t.Errorf("the progress message lacks the latest judgment date or the next message's date:\n%s", p.text)
		}

		// Reminders to both handlers at 4 and 5 weeks, each exactly once,
		// across a restart and repeated runs.
		h.at(day(28, 21, 47))
		if n := h.kinds(workflow.MsgReminder); n != 0 {
			t.Fatalf("%d reminders before 4 weeks", n)
		}
		h.at(day(28, 21, 48))
		h.restart()
		h.at(day(28, 22, 0))
		h.at(day(30, 8, 0))
		if n := h.kinds(workflow.MsgReminder); n != 2 {
			t.Fatalf("%d reminders after 4 weeks, want one to each handler", n)
		}
		h.at(day(35, 21, 48))
		h.at(day(36, 0, 0))
		if n := h.kinds(workflow.MsgReminder); n != 4 {
			t.Fatalf("%d reminders after 5 weeks, want two to each handler", n)
		}
		rem := h.sentTo("anna.devries@vlinder.example")
		if last := rem[len(rem)-1]; !strings.Contains(last.msg.Subject(), "KL-2026-0001") {
			t.Errorf("reminder subject %q", last.msg.Subject())
		}

		// The deadline: the end of Thursday 31 December, Amsterdam time.
		h.at(time.Date(2026, 12, 31, 23, 59, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgDeadlinePassed); n != 0 {
			t.Fatalf("deadline notice on the last day itself")
		}
		// Two schedulers on one database at the moment it passes: once.
		// (An SQLite file takes one daemon: the second is refused.)
		schedulers := []*workflow.Workflow{h.c.wf}
		other, err := build(h.ctx, h.cfg, testLog(t), options{clock: h.clock})
		switch {
		case h.c.db.Dialect() == store.SQLite && errors.Is(err, store.ErrInUse):
		case err != nil:
			t.Fatal(err)
		default:
			defer other.close()
			schedulers = append(schedulers, other.wf)
		}
		if h.c.db.Dialect() == store.SQLite && len(schedulers) > 1 {
			t.Fatal("a second daemon opened the SQLite file")
		}
		h.clock.Set(time.Date(2027, 1, 1, 0, 0, 0, 0, amsterdam))
		var wg sync.WaitGroup
		for _, wf := range schedulers {
			wg.Go(func() {
				if _, err := wf.RunDue(h.ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		h.restart()
		h.at(time.Date(2027, 1, 1, 9, 0, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgDeadlinePassed); n != 1 {
			t.Fatalf("%d deadline notices to the parent, want 1", n)
		}
		for _, who := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example", "ilse.kramer@vlinder.example", "directie@vlinder.example"} {
			if n := h.countRows("outbox", "kind = ? AND rcpt_to = ?", workflow.MsgDeadlinePassedStaff, who); n != 1 {
				t.Errorf("%s got %d deadline notices, want 1", who, n)
			}
		}
		notice := h.sentTo("sanne.jansen@example.nl")
		last := notice[len(notice)-1]
		for _, want := range []string{"KL-2026-0001", "Geschillencommissie", "31 december 2026"} {
			if !strings.Contains(last.text, want) {
				t.Errorf("deadline notice lacks %q:\n%s", want, last.text)
			}
		}
		if c := h.caseByRef("KL-2026-0001"); !c.DeadlineExceeded || !c.Open() {
			t.Errorf("case %s exceeded=%v: want flagged and still open", c.Status, c.DeadlineExceeded)
		}
		// A late judgment: the flag stays, for the annual report.
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nGegrond, met excuses voor de late reactie.")
		if c := h.caseByRef("KL-2026-0001"); !c.DeadlineExceeded || c.Status != workflow.StatusDecided {
			t.Errorf("after a late judgment: %s exceeded=%v", c.Status, c.DeadlineExceeded)
		}
	})
}

// A daemon that was down for weeks catches up with what is current: the
// deadline notice, not a stale progress message or old reminders beside it.
func TestDowntimeCatchesUpWithOneCurrentMessage(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.restart()
		h.at(received.AddDate(0, 0, 45))
		parent := h.sentTo("sanne.jansen@example.nl")
		if len(parent) != 2 || h.kinds(workflow.MsgDeadlinePassed) != 1 || h.kinds(workflow.MsgProgress) != 0 {
			t.Fatalf("after the downtime the parent got %d mails (%d deadline notices, %d progress), want the confirmation and the deadline notice",
				len(parent), h.kinds(workflow.MsgDeadlinePassed), h.kinds(workflow.MsgProgress))
		}
		if n := h.kinds(workflow.MsgReminder); n != 0 {
			t.Errorf("%d stale reminders sent beside the deadline notice", n)
		}
		// Handling goes on: 14 quiet days after the notice, a progress
		// message that says the term passed and where the parent can go.
		h.at(received.AddDate(0, 0, 45+13))
		if n := h.kinds(workflow.MsgProgress); n != 0 {
			t.Fatalf("progress message 13 days after the deadline notice")
		}
		h.at(received.AddDate(0, 0, 45+14))
		last := lastTo(t, h, "sanne.jansen@example.nl")
		if h.kinds(workflow.MsgProgress) != 1 || !strings.Contains(last.text, "Geschillencommissie") {
			t.Errorf("progress message after the deadline: %d sent, last text:\n%s", h.kinds(workflow.MsgProgress), last.text)
		}
	})
}

// A progress message that would fall on the evening before the deadline
// would promise a date about to pass: the parent reads the deadline notice
// instead.
func TestNoProgressMessageJustBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := newHarnessWith(t, storetest.URL(t, "sqlite"), inLanguage(lang))
			const parent = "sanne.jansen@example.nl"
			progress := pick(lang, "Stand van zaken van uw klacht", "Progress of your complaint")
			confirmationOf(t, h) // received 19 November 21:48; deadline 31 December 24:00
			h.at(received.AddDate(0, 0, 14))
			h.at(received.AddDate(0, 0, 28))
			if n := strings.Count(strings.Join(subjects(h, parent), "\n"), progress); n != 2 {
				t.Fatalf("%d progress messages by day 28, want 2: %q", n, subjects(h, parent))
			}
			h.at(received.AddDate(0, 0, 42)) // 31 December 21:48
			if n := strings.Count(strings.Join(subjects(h, parent), "\n"), progress); n != 2 {
				t.Errorf("a progress message went out hours before the deadline: %q", subjects(h, parent))
			}
			h.at(time.Date(2027, 1, 1, 0, 0, 0, 0, amsterdam))
			mustContain(t, "Sanne", lastTo(t, h, parent), pick(lang, "De termijn voor ons oordeel is verstreken", "The term for our judgment has passed"))
			if n := len(h.sentTo(parent)); n != 4 {
				t.Errorf("the parent has %q, want the confirmation, two progress messages and the deadline notice", subjects(h, parent))
			}
		})
	}
}

func TestJudgmentBeforeSixWeeksStopsTheClockAndMeasuresComeDue(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.at(received.AddDate(0, 0, 20))
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n#maatregel 2027-01-05 Het ophaalprotocol wordt opnieuw doorgenomen.\n\nGegrond.")
		for d := 21; d <= 60; d++ {
			h.at(received.AddDate(0, 0, d))
		}
		for _, k := range []string{workflow.MsgReminder, workflow.MsgDeadlinePassed, workflow.MsgDeadlinePassedStaff} {
			if n := h.kinds(k); n != 0 {
				t.Errorf("%d %s messages after the judgment", n, k)
			}
		}
		if n := h.countRows("outbox", "kind = ? AND created_at > ?", workflow.MsgProgress, received.AddDate(0, 0, 20)); n != 0 {
			t.Errorf("%d progress messages after the judgment", n)
		}
		if n := h.kinds(workflow.MsgMeasureDue); n != 1 {
			t.Fatalf("%d measure reminders, want one, to Anna: her judgment made her the case's handler", n)
		}
		var at time.Time
		if err := h.c.db.Get(h.ctx, &at, `SELECT created_at FROM outbox WHERE kind = ? ORDER BY id LIMIT 1`, workflow.MsgMeasureDue); err != nil {
			t.Fatal(err)
		}
		if got := at.In(amsterdam).Format(time.DateOnly); got != "2027-01-05" {
			t.Errorf("measure reminder on %s, want on its date 2027-01-05", got)
		}
	})
}

// A measure that cannot be done in time gets a new date from the handler's
// answer to its reminder: the parent is told the new date and the reason,
// the digest stops calling it late, and the reminder comes again on the
// new date.
func TestMeasureGetsANewDate(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.at(received.AddDate(0, 0, 10))
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n#maatregel 2027-01-05 Het ophaalprotocol wordt met het hele team opnieuw doorgenomen.\n"+
			"#maatregel 2027-02-01 Nieuwe ophaallijsten op alle groepen.\n\nGegrond.")
		h.at(time.Date(2027, 1, 5, 9, 0, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgMeasureDue); n != 1 {
			t.Fatalf("%d measure reminders on 5 January, want one, to Anna (her judgment made her the handler)", n)
		}
		due := lastTo(t, h, "anna.devries@vlinder.example")
		if !strings.Contains(due.text, "#maatregel JJJJ-MM-DD Het ophaalprotocol wordt met het hele team opnieuw doorgenomen.") {
			t.Errorf("the reminder does not show the line that gives a new date:\n%s", due.text)
		}
		// Anna retypes the description loosely; her mail client wraps it.
		annaAnswers(t, h, "#maatregel 2027-01-20 het ophaalprotocol wordt met het hele\nteam opnieuw doorgenomen\n\nDe teamleider is ziek; het teamoverleg is verplaatst.")
		result := lastTo(t, h, "anna.devries@vlinder.example")
		if !strings.Contains(result.msg.Subject(), "Verwerkt") {
			t.Fatalf("the new date was not applied:\n%s", result.text)
		}
		parent := lastTo(t, h, "sanne.jansen@example.nl")
		for _, want := range []string{"5 januari 2027", "20 januari 2027", "De teamleider is ziek", "Geschillencommissie"} {
			if !strings.Contains(parent.text, want) {
				t.Errorf("the parent's message about the new date lacks %q:\n%s", want, parent.text)
			}
		}
		if strings.Contains(parent.text, "team opnieuw doorgenomen\n\n  De teamleider") || strings.Contains(parent.text, "  team opnieuw") {
			t.Errorf("the wrapped end of Anna's command line reached the parent as her explanation:\n%s", parent.text)
		}
		if n := h.countRows("measures", ""); n != 2 {
			t.Errorf("%d measures, want still 2 (the date moved, no measure added)", n)
		}
		m, _ := h.c.wf.Manager("directie@vlinder.example")
		v, err := h.c.wf.BuildDigest(h.ctx, m, time.Date(2027, 1, 10, 7, 30, 0, 0, amsterdam))
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Measures) != 0 {
			t.Errorf("the digest of 10 January lists %d late measures; the moved one is not late", len(v.Measures))
		}
		h.at(time.Date(2027, 1, 19, 23, 59, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgMeasureDue); n != 1 {
			t.Fatalf("%d measure reminders before the new date, want 1", n)
		}
		h.at(time.Date(2027, 1, 20, 0, 0, 0, 0, amsterdam))
		h.restart()
		h.at(time.Date(2027, 1, 21, 9, 0, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgMeasureDue); n != 2 {
			t.Errorf("%d measure reminders after the new date, want 2 (one on each date)", n)
		}
	})
}

// Deadlines are counted in calendar days in Europe/Amsterdam: a complaint
// received in winter time has its term end at midnight summer time.
func TestDeadlineAcrossDaylightSavingChange(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.clock.Set(time.Date(2026, 3, 10, 10, 0, 0, 0, amsterdam)) // CET
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		conf := h.sentTo("sanne.jansen@example.nl")[0]
		if !strings.Contains(conf.text, "dinsdag 21 april 2026") {
			t.Errorf("confirmation does not name Tuesday 21 April 2026 as the latest date:\n%s", conf.text)
		}
		// Days left are calendar days on both sides of the change to summer
		// time (29 March, 02:00 → 03:00), and the digest shows them so.
		c := h.caseByRef("KL-2026-0001")
		for _, at := range []struct {
			t    time.Time
			left int
		}{
			{time.Date(2026, 3, 28, 23, 30, 0, 0, amsterdam), 24},
			{time.Date(2026, 3, 30, 0, 30, 0, 0, amsterdam), 22},
			{time.Date(2026, 4, 20, 7, 30, 0, 0, amsterdam), 1},
		} {
			if got := workflow.DaysLeft(c, at.t, amsterdam); got != at.left {
				t.Errorf("at %s: %d days left, want %d", at.t, got, at.left)
			}
		}
		m, _ := h.c.wf.Manager("directie@vlinder.example")
		v, err := h.c.wf.BuildDigest(h.ctx, m, time.Date(2026, 4, 20, 7, 30, 0, 0, amsterdam))
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Warning) != 1 || v.Warning[0].DaysLeft != 1 || v.Warning[0].Deadline.Format(time.DateOnly) != "2026-04-21" || !v.Warning[0].Urgent {
			t.Errorf("digest of 20 April: warning rows %+v, want the case, urgent, 1 day left until 2026-04-21", v.Warning)
		}
		h.at(time.Date(2026, 4, 21, 21, 59, 0, 0, time.UTC)) // 23:59 CEST on the last day
		if n := h.kinds(workflow.MsgDeadlinePassed); n != 0 {
			t.Fatal("deadline notice before the last day ended")
		}
		h.at(time.Date(2026, 4, 21, 22, 0, 0, 0, time.UTC)) // 00:00 CEST
		if n := h.kinds(workflow.MsgDeadlinePassed); n != 1 {
			t.Fatalf("%d deadline notices at midnight after the last day, want 1", n)
		}
	})
}

// openCaseAt delivers a complaint at a moment and gives it a location.
func openCaseAt(t *testing.T, h *harness, at time.Time, from, location string) string {
	t.Helper()
	h.clock.Set(at)
	h.deliver(rawMail(mailOpts{from: from, subject: "Klacht " + location, body: "Er ging iets mis.\n"}))
	h.poll()
	h.flush()
	cases := h.cases()
	var ref string
	for _, c := range cases {
		if strings.Contains(from, c.ComplainantEmail) {
			ref = c.Reference
		}
	}
	if location != "" {
		annaAnswers(t, h, "#locatie "+location)
	}
	return ref
}

func TestDigestPerManagerAndLocation(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		base := time.Date(2026, 11, 2, 10, 0, 0, 0, amsterdam)
		bso := openCaseAt(t, h, base, "Ouder BSO <bso@example.nl>", "BSO De Springplank")              // old: within 14 days by the end
		rups := openCaseAt(t, h, base.AddDate(0, 0, 1), "Ouder Rups <rups@example.nl>", "KDV De Rups") // old
		late := openCaseAt(t, h, base.AddDate(0, -2, 0), "Ouder Laat <laat@example.nl>", "BSO De Springplank")
		fresh := openCaseAt(t, h, time.Date(2026, 11, 30, 15, 0, 0, 0, amsterdam), "Ouder Nieuw <nieuw@example.nl>", "")
		h.at(time.Date(2026, 12, 1, 7, 29, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgDigest); n != 0 {
			t.Fatalf("%d digests before 07:30", n)
		}
		h.at(time.Date(2026, 12, 1, 7, 30, 0, 0, amsterdam))
		h.restart()
		h.at(time.Date(2026, 12, 1, 12, 0, 0, 0, amsterdam))
		if n := h.kinds(workflow.MsgDigest); n != 2 {
			t.Fatalf("%d digests on 1 December, want one per manager", n)
		}
		ilse := lastTo(t, h, "ilse.kramer@vlinder.example")
		directie := lastTo(t, h, "directie@vlinder.example")
		for _, want := range []string{bso, late, fresh} {
			if !strings.Contains(ilse.text, want) {
				t.Errorf("Ilse's digest (BSO) lacks %s:\n%s", want, ilse.text)
			}
		}
		if strings.Contains(ilse.text, rups) {
			t.Errorf("Ilse's digest (BSO) shows %s of KDV De Rups", rups)
		}
		for _, want := range []string{bso, rups, late, fresh} {
			if !strings.Contains(directie.text, want) {
				t.Errorf("the directie's digest lacks %s", want)
			}
		}
		// Sections: the two-months-old case is overdue; the new one is new.
		overdue, warning, newer := section(ilse.text, late), section(ilse.text, bso), section(ilse.text, fresh)
		if !(overdue < warning && warning < newer) {
			t.Errorf("sections out of place (overdue %d, warning %d, new %d):\n%s", overdue, warning, newer, ilse.text)
		}
		if !strings.Contains(ilse.msg.HTML(), "<table") {
			t.Errorf("the digest has no HTML table")
		}

		// An empty day sends nothing: all cases decided, nothing new.
		for _, ref := range []string{bso, rups, late, fresh} {
			h.deliver(rawMail(mailOpts{from: anna, subject: "[" + ref + "]", id: ref + "@vlinder.example", body: "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nOngegrond.",
				extra: []string{"Authentication-Results: mx.vlinder.example; dmarc=pass header.from=vlinder.example"}}))
		}
		h.clock.Set(time.Date(2026, 12, 1, 13, 0, 0, 0, amsterdam))
		h.poll()
		h.flush()
		h.at(time.Date(2026, 12, 3, 7, 30, 0, 0, amsterdam))
		if n := h.countRows("outbox", "kind = ? AND created_at > ?", workflow.MsgDigest, time.Date(2026, 12, 3, 0, 0, 0, 0, amsterdam)); n != 0 {
			t.Errorf("%d digests on a day with nothing to report", n)
		}
		if n := h.countRows("scheduled", "kind = 'digest' AND note LIKE 'not sent%'"); n != 2 {
			t.Errorf("%d empty digests recorded, want 2 (so they are not tried again that day)", n)
		}
	})
}

func lastTo(t *testing.T, h *harness, addr string) sentMail {
	t.Helper()
	got := h.sentTo(addr)
	if len(got) == 0 {
		t.Fatalf("nothing was sent to %s", addr)
	}
	return got[len(got)-1]
}

// section is where ref first appears in a digest's text.
func section(text, ref string) int { return strings.Index(text, ref) }

func TestDueAndDigestCommands(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) { testDueAndDigestCommands(t, url) })
}

func testDueAndDigestCommands(t *testing.T, url string) {
	h := newHarness(t, url)
	confirmationOf(t, h)
	config := writeHarnessConfig(t, h.cfg)
	out, _, err := run(t, h.ctx, "due", "-config", config, "-at", "2026-12-28T09:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"handler(s), 35 days after receipt", "KL-2026-0001", "digest to Ilse Kramer"} {
		if !strings.Contains(out, want) {
			t.Errorf("due on 28 December lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "nothing to report") {
		t.Errorf("due on 28 December calls a digest with a case 3 days before its deadline empty:\n%s", out)
	}
	if strings.Contains(out, "28 days") {
		t.Errorf("due lists the 4-week reminder beside the 5-week one; only the latest is sent:\n%s", out)
	}
	// A quiet day: the digests are listed as recorded but not sent.
	out, _, err = run(t, h.ctx, "due", "-config", config, "-at", "2026-11-25T09:00")
	if err != nil || strings.Count(out, "(nothing to report: recorded, not sent)") != 2 {
		t.Errorf("due on a quiet day: want both digests marked as nothing to report: %v\n%s", err, out)
	}
	// Past the deadline, the notice replaces the reminders.
	out, _, err = run(t, h.ctx, "due", "-config", config, "-at", "2027-01-01T09:00")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "deadline passed") || strings.Contains(out, "reminder") {
		t.Errorf("due on 1 January: want the deadline notice and no reminder:\n%s", out)
	}
	if n := h.countRows("scheduled", ""); n != 0 {
		t.Errorf("due recorded %d items; it must only look", n)
	}
	out, _, err = run(t, h.ctx, "digest", "-config", config, "-at", "2027-01-01T09:00", "-manager", "directie@vlinder.example")
	if err != nil || !strings.Contains(out, "KL-2026-0001") || !strings.Contains(out, "Subject:") {
		t.Errorf("digest: %v\n%s", err, out)
	}
	// -send works on today: a complaint that came in just now is news.
	if _, _, err := run(t, h.ctx, "digest", "-config", config, "-at", "2027-01-01T09:00", "-send"); err == nil {
		t.Error("digest -send -at another day was accepted; it would block that day's digest")
	}
	h.clock.Set(time.Now())
	h.deliver(rawMail(mailOpts{from: "Pieter Visser <pieter.visser@example.nl>", subject: "Klacht over de BSO", body: "De bus kwam niet."}))
	h.poll()
	h.flush()
	before := len(h.sent())
	out, _, err = run(t, h.ctx, "digest", "-config", config, "-send")
	if err != nil {
		t.Fatal(err)
	}
	// On SQLite the harness's daemon holds the file: -send queues the
	// digests beside it and that daemon sends them.
	result := "sent"
	if h.c.db.Dialect() == store.SQLite {
		result = "queued; the running daemon sends it"
		h.clock.Set(time.Now()) // queued at the command's time, due from then
		h.flush()
	}
	if got := len(h.sent()) - before; got != 2 || !strings.Contains(out, "Ilse Kramer <ilse.kramer@vlinder.example>: "+result) {
		t.Errorf("digest -send sent %d mails, want 2 (%s):\n%s", got, result, out)
	}
	out, _, _ = run(t, h.ctx, "digest", "-config", config, "-send")
	if got := len(h.sent()) - before; got != 2 || !strings.Contains(out, "already done today") {
		t.Errorf("a second digest -send on the same day sent again (%d):\n%s", got, out)
	}
	fmt.Fprint(t.Output(), out)
}

// Once a case is assigned, its reminders go to the assigned handler only;
// the deadline notice still goes to every handler of the case.
func TestRemindersGoToTheAssignee(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	confirmationOf(t, h)
	annaAnswers(t, h, "#toewijzen Marco Bos")
	h.at(received.AddDate(0, 0, 28))
	if n := h.kinds(workflow.MsgReminder); n != 1 || h.countRows("outbox", "kind = ? AND rcpt_to = ?", workflow.MsgReminder, "marco.bos@vlinder.example") != 1 {
		t.Errorf("%d reminders, want one, to Marco", n)
	}
	h.at(time.Date(2027, 1, 1, 0, 0, 0, 0, amsterdam))
	if n := h.kinds(workflow.MsgDeadlinePassedStaff); n != 4 {
		t.Errorf("%d staff deadline notices, want both handlers and both managers", n)
	}
}
