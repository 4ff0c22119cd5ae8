package main

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// digestSays is the subject and text of the directie's digest right now, as
// the manager would read it.
func digestSays(t *testing.T, h *harness) string {
	t.Helper()
	m, _ := h.c.wf.Manager("directie@vlinder.example")
	_, subject, text, err := h.c.wf.RenderDigest(h.ctx, m, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return subject + "\n" + text
}

// bounceLast returns the parent's newest mail to us as undeliverable.
func bounceLast(t *testing.T, h *harness) {
	t.Helper()
	h.deliver(dsnFor(lastTo(t, h, "sanne.jansen@example.nl"), "sanne.jansen@example.nl"))
	h.poll()
	h.flush()
	if !h.caseByRef("KL-2026-0001").Unreachable {
		t.Fatal("the bounce did not flag the parent unreachable")
	}
}

// The flag complainant-unreachable follows the facts: it clears when the
// parent writes, when a handler says so with #bereikbaar, and when mail to
// the parent is accepted again and does not come back within a day. The
// managers' digest stops listing the parent as unreachable.
func TestUnreachableFlagFollowsTheFacts(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		unreachable := pick("niet bereikbaar", "unreachable")
		conf := confirmationOf(t, h)
		bounceLast(t, h)
		if !strings.Contains(digestSays(t, h), unreachable) {
			t.Fatalf("the digest does not list the unreachable parent:\n%s", digestSays(t, h))
		}
		// 1. The parent writes.
		h.deliver(rawMail(mailOpts{from: sanne, subject: "RE: " + conf.msg.Subject(), inReplyTo: conf.msg.MessageID(),
			body: "Ik had een tikfout in mijn adres gemaakt, dit is het goede.\n"}))
		h.poll()
		h.flush()
		if h.caseByRef("KL-2026-0001").Unreachable {
			t.Error("the parent wrote, and is still flagged unreachable")
		}
		if s := digestSays(t, h); strings.Contains(s, unreachable) {
			t.Errorf("the digest still lists the parent as unreachable after she wrote:\n%s", s)
		}
		if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventReachable, "sanne.jansen@example.nl") {
			t.Error("the timeline does not say why the flag was cleared")
		}

		// 2. A handler's #bereikbaar, after a phone call; refused when
		// there is no flag.
		annaAnswers(t, h, "Beste Sanne,\n\nWe spreken morgen met de leidster.\n\nAnna")
		bounceLast(t, h)
		annaAnswers(t, h, pick("#bereikbaar", "#reachable")+"\n\nTelefonisch gesproken: haar mailbox was vol.")
		res := lastTo(t, h, "anna.devries@vlinder.example")
		mustContain(t, "Anna", res, pick("Verwerkt", "Applied"), pick("weer per e-mail bereikbaar", "can be reached by email again"))
		if h.caseByRef("KL-2026-0001").Unreachable {
			t.Error("#bereikbaar did not clear the flag")
		}
		annaAnswers(t, h, pick("#bereikbaar", "#reachable"))
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
			pick("niet als onbereikbaar gemarkeerd", "not flagged unreachable"))

		// 3. Mail accepted again and not returned within a day.
		annaAnswers(t, h, "Beste Sanne,\n\nHet gesprek is geweest.\n\nAnna")
		bounceLast(t, h)
		h.at(h.clock.Now().Add(time.Hour))
		annaAnswers(t, h, "Beste Sanne,\n\nProbeer ik het nog eens.\n\nAnna")
		sent := h.clock.Now()
		h.at(sent.Add(23 * time.Hour))
		if !h.caseByRef("KL-2026-0001").Unreachable {
			t.Fatal("the flag was cleared before the mail had a day to come back")
		}
		h.at(sent.Add(25 * time.Hour))
		if h.caseByRef("KL-2026-0001").Unreachable {
			t.Error("mail to the parent was accepted a day ago and did not come back; still flagged unreachable")
		}
		if s := digestSays(t, h); strings.Contains(s, unreachable) {
			t.Errorf("the digest still lists the parent as unreachable:\n%s", s)
		}
	})
}

// A handler who sends the judgment on a case nobody was assigned to
// becomes its handler: the judgment names them, and so does the digest.
func TestJudgmentOnAnUnassignedCaseAssignsItsSender(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		if c := h.caseByRef("KL-2026-0001"); c.Assignee != "" {
			t.Fatalf("assigned before the judgment: %q", c.Assignee)
		}
		annaAnswers(t, h, pick("#oordeel gegrond\n#categorie overig", "#judgment upheld\n#category overig")+"\n"+pick("#geen-maatregelen", "#no-measures")+"\n\nWij vinden uw klacht ongegrond.")
		if c := h.caseByRef("KL-2026-0001"); c.Assignee != "anna.devries@vlinder.example" {
			t.Errorf("assignee %q after Anna's judgment, want her", c.Assignee)
		}
		mustContain(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("jij bent het nu", "you are its handler now"))
		mustContain(t, "Sanne", lastTo(t, h, "sanne.jansen@example.nl"), "Anna de Vries")
		if d := digestSays(t, h); !strings.Contains(d, "Anna de Vries (anna.devries@vlinder.example)") || strings.Contains(d, pick("· niemand toegewezen ·", "· nobody assigned ·")) {
			t.Errorf("the digest does not name Anna as the case's handler:\n%s", d)
		}
	})
}

// subjects lists the subjects of the mail sent to addr, oldest first.
func subjects(h *harness, addr string) []string {
	var out []string
	for _, m := range h.sentTo(addr) {
		out = append(out, m.msg.Subject())
	}
	return out
}

// After a downtime the scheduler catches up, but never with a progress
// message in the two days before the deadline: it would promise a date
// about to pass. The parent reads the deadline notice at the deadline,
// and nothing in between.
func TestNoProgressMessageOnCatchUpJustBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		const parent = "sanne.jansen@example.nl"
		progress := pick("Stand van zaken van uw klacht", "Progress of your complaint")
		confirmationOf(t, h) // received 19 November 21:48; deadline 31 December 24:00
		h.at(received.AddDate(0, 0, 14))
		mustContain(t, "Sanne", lastTo(t, h, parent), "[KL-2026-0001] "+progress, pick("donderdag 31 december 2026", "Thursday 31 December 2026"))
		before := subjects(h, parent)
		h.restart() // down from day 14 until the morning of 31 December
		h.at(time.Date(2026, 12, 31, 8, 0, 0, 0, amsterdam))
		if got := subjects(h, parent); len(got) != len(before) {
			t.Errorf("catching up on the last day, the parent got %q; want nothing until the deadline notice", got[len(before):])
		}
		h.at(time.Date(2027, 1, 1, 0, 0, 0, 0, amsterdam))
		got := h.sentTo(parent)
		if len(got) != len(before)+1 {
			t.Fatalf("at the deadline the parent has %q, want one more: the deadline notice", subjects(h, parent))
		}
		mustContain(t, "Sanne", got[len(before)], pick("De termijn voor ons oordeel is verstreken", "The term for our judgment has passed"),
			"Geschillencommissie")
	})
}

// digest.time = "00:00" means midnight, as written: the manager gets the
// digest of the new day at its first minute, not a minute before.
func TestDigestAtMidnight(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := newHarnessWith(t, storetest.URL(t, "sqlite"), func(c *Config) {
				c.Digest.Time = "00:00"
				c.Organisation.Language = lang
			})
			h.at(received.Add(-time.Hour)) // the scheduler's round before the complaint: nothing to report yet
			h.clock.Set(received)
			confirmationOf(t, h) // 19 November 21:48
			h.at(time.Date(2026, 11, 19, 23, 59, 0, 0, amsterdam))
			if got := subjects(h, "directie@vlinder.example"); len(got) != 0 {
				t.Fatalf("a digest before midnight: %q", got)
			}
			h.at(time.Date(2026, 11, 20, 0, 0, 0, 0, amsterdam))
			got := h.sentTo("directie@vlinder.example")
			if len(got) != 1 {
				t.Fatalf("%d digests at midnight, want 1", len(got))
			}
			mustContain(t, "the manager", got[0], pick(lang, "Klachtenoverzicht 20 november 2026: 1 nieuw", "Complaints overview 20 November 2026: 1 new"),
				"KL-2026-0001")
			if at := got[0].header("Date"); !strings.Contains(at, "00:00:00") {
				t.Errorf("the digest is dated %s, want midnight", at)
			}
		})
	}
}
