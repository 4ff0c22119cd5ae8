package main

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// Mail to the parent answers our last message to them, never their
// out-of-office reply (issue 8 item 6).
func TestMailToTheParentAnswersOurLastMessageNotHerOutOfOffice(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Automatisch antwoord: " + conf.msg.Subject(), id: "ooo-1@mail.example.nl",
			inReplyTo: conf.msg.MessageID(), extra: []string{"Auto-Submitted: auto-replied"},
			body: "Ik ben tot 1 december afwezig.",
		}))
		h.poll()
		h.flush()
		annaAnswers(t, h, "Beste Sanne,\n\nIk bel je na je vakantie.\n\nAnna")
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 {
			t.Fatalf("the parent got %d mails, want the confirmation and the answer", len(got))
		}
		answer := got[1]
		if v := answer.header("In-Reply-To"); v != "<"+conf.msg.MessageID()+">" {
			t.Errorf("In-Reply-To %q, want our confirmation <%s>", v, conf.msg.MessageID())
		}
		if refs := answer.header("References"); strings.Contains(refs, "ooo-1@") || !strings.Contains(refs, conf.msg.MessageID()) {
			t.Errorf("References %q: want our confirmation, not the out-of-office", refs)
		}

		// And the next one answers that answer.
		annaAnswers(t, h, "Beste Sanne,\n\nNog een vraag: wie haalde Noah op?\n\nAnna")
		got = h.sentTo("sanne.jansen@example.nl")
		if v := got[2].header("In-Reply-To"); v != "<"+answer.msg.MessageID()+">" {
			t.Errorf("second answer In-Reply-To %q, want our first answer <%s>", v, answer.msg.MessageID())
		}
	})
}

// Notices to staff about a case (reminders, deadline notices, bounce
// notices) answer the case's first notification to that handler.
func TestStaffNoticesAnswerTheCasesFirstNotification(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		first := map[string]sentMail{}
		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			first[handler] = h.sentTo(handler)[0]
		}
		// A parent's reply adds a second notification to each thread.
		h.deliver(rawMail(mailOpts{from: sanne, subject: "Re: " + conf.msg.Subject(), id: "r1@mail.example.nl",
			inReplyTo: conf.msg.MessageID(), body: "Nog een aanvulling."}))
		h.poll()
		h.flush()

		// The bounce of mail to the parent.
		h.deliver(dsnFor(conf, "sanne.jansen@example.nl"))
		h.poll()
		h.flush()
		// The four-week reminder and the deadline notice.
		h.at(received.AddDate(0, 0, 28).Add(time.Minute))
		h.at(received.AddDate(0, 0, 43))

		for handler, root := range first {
			kinds := map[string]bool{}
			for _, m := range h.sentTo(handler)[1:] {
				kinds[m.msg.Subject()] = true
				if v := m.header("In-Reply-To"); v != "<"+root.msg.MessageID()+">" && !strings.Contains(m.msg.Subject(), "Nieuw bericht") {
					t.Errorf("%s: %q answers %q, want the first notification <%s>", handler, m.msg.Subject(), v, root.msg.MessageID())
				}
				if refs := m.header("References"); !strings.Contains(refs, root.msg.MessageID()) {
					t.Errorf("%s: %q References %q lack the first notification", handler, m.msg.Subject(), refs)
				}
			}
			if len(kinds) < 4 {
				t.Errorf("%s got %d different notices, want reply notice, bounce notice, reminder, deadline notice: %v", handler, len(kinds), kinds)
			}
		}
		for _, k := range []string{workflow.MsgBounceNotice, workflow.MsgReminder, workflow.MsgDeadlinePassedStaff} {
			if h.kinds(k) == 0 {
				t.Errorf("no %s was sent", k)
			}
		}
	})
}

// A spoof alert about a case answers the case's first notification to the
// handler whose name was used.
func TestSpoofAlertAnswersTheFirstNotification(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		first := h.sentTo("anna.devries@vlinder.example")[0]
		// In Anna's name, in the parent's thread: no token of Anna's, no
		// Authentication-Results.
		h.deliver(rawMail(mailOpts{from: anna, subject: "Re: " + conf.msg.Subject(), id: "spoof1@evil.example",
			inReplyTo: conf.msg.MessageID(), body: "#ingetrokken"}))
		h.poll()
		h.flush()
		got := h.sentTo("anna.devries@vlinder.example")
		alert := got[len(got)-1]
		if h.kinds(workflow.MsgSpoofAlert) != 1 {
			t.Fatalf("%d spoof alerts", h.kinds(workflow.MsgSpoofAlert))
		}
		if v := alert.header("In-Reply-To"); v != "<"+first.msg.MessageID()+">" {
			t.Errorf("spoof alert answers %q, want the first notification <%s>", v, first.msg.MessageID())
		}
	})
}

// The reminder that a measure's date has come answers the case's first
// notification; the parent's letter about a new date answers our last
// message to her (the judgment), not her out-of-office.
func TestMeasureMailThreads(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		first := h.sentTo("anna.devries@vlinder.example")[0]
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n#maatregel 2026-12-01 Het ophaalprotocol wordt opnieuw doorgenomen.\n\nGegrond.")
		parent := h.sentTo("sanne.jansen@example.nl")
		judgment := parent[len(parent)-1]
		h.deliver(rawMail(mailOpts{from: sanne, subject: "Afwezig: " + judgment.msg.Subject(), id: "ooo-2@mail.example.nl",
			inReplyTo: judgment.msg.MessageID(), extra: []string{"Auto-Submitted: auto-replied"}, body: "Ik ben afwezig."}))
		h.poll()
		h.flush()
		h.at(received.AddDate(0, 0, 13))
		if h.kinds(workflow.MsgMeasureDue) == 0 {
			t.Fatal("no measure reminder")
		}
		due := h.sentTo("anna.devries@vlinder.example")
		reminder := due[len(due)-1]
		if v := reminder.header("In-Reply-To"); v != "<"+first.msg.MessageID()+">" {
			t.Errorf("measure reminder %q answers %q, want the first notification", reminder.msg.Subject(), v)
		}
		annaAnswers(t, h, "#maatregel 2026-12-15 Het ophaalprotocol wordt opnieuw doorgenomen.\n\nDe training is verschoven.")
		parent = h.sentTo("sanne.jansen@example.nl")
		delayed := parent[len(parent)-1]
		if h.kinds(workflow.MsgMeasureDelayed) != 1 {
			t.Fatalf("%d measure_delayed mails", h.kinds(workflow.MsgMeasureDelayed))
		}
		if v := delayed.header("In-Reply-To"); v != "<"+judgment.msg.MessageID()+">" {
			t.Errorf("measure_delayed answers %q, want the judgment <%s>", v, judgment.msg.MessageID())
		}
	})
}
