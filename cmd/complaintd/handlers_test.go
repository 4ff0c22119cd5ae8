package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

const anna = "Anna de Vries <anna.devries@vlinder.example>"

// annaAnswers writes Anna's reply to her latest notification about the
// case, the way Outlook does: her text, then the quoted notification.
func annaAnswers(t *testing.T, h *harness, text string, extra ...string) {
	t.Helper()
	got := h.sentTo("anna.devries@vlinder.example")
	if len(got) == 0 {
		t.Fatal("Anna has no notification to answer")
	}
	note := got[len(got)-1]
	h.deliver(rawMail(mailOpts{
		from: anna, subject: "RE: " + note.msg.Subject(), inReplyTo: note.msg.MessageID(), extra: extra,
		body: text + "\n\nVan: Kinderopvang De Vlinder <klachten@vlinder.example>\nVerzonden: donderdag 19 november 2026 21:49\n" +
			"Aan: Anna de Vries <anna.devries@vlinder.example>\nOnderwerp: " + note.msg.Subject() + "\n\n" + note.text,
	}))
	h.poll()
	h.flush()
}

func (h *harness) caseByRef(ref string) workflow.Case {
	h.t.Helper()
	c, err := h.c.wf.CaseByReference(h.ctx, ref)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestHandlerReplyReachesTheParentWithoutQuotedHistory(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		conf := confirmationOf(t, h)
		annaAnswers(t, h, "Beste Sanne,\n\nWe hebben met de leidster van de Rupsen gesproken en nemen volgende week contact op.\n\nHartelijke groet,\nAnna")
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 {
			t.Fatalf("parent got %d mails, want the confirmation and the answer", len(got))
		}
		answer := got[1]
		if !strings.Contains(answer.text, "met de leidster van de Rupsen gesproken") {
			t.Errorf("the answer lacks the handler's words:\n%s", answer.text)
		}
		for _, leaked := range []string{"Nieuwe klacht", "Van: Kinderopvang", "anna.devries", "Dossier:"} {
			if strings.Contains(answer.text, leaked) {
				t.Errorf("the parent sees %q from the handler's quoted history:\n%s", leaked, answer.text)
			}
		}
		if answer.header("In-Reply-To") != "<"+conf.msg.MessageID()+">" {
			t.Errorf("answer In-Reply-To %q, want the confirmation (the parent's thread)", answer.header("In-Reply-To"))
		}
		if from := answer.header("From"); !strings.Contains(from, "klachten@vlinder.example") {
			t.Errorf("answer From %q, want the organisation", from)
		}
		if answer.header("Auto-Submitted") != "" {
			t.Errorf("a person's answer is marked Auto-Submitted: %q", answer.header("Auto-Submitted"))
		}
		if c := h.caseByRef("KL-2026-0001"); c.Status != workflow.StatusInProgress {
			t.Errorf("status %s after the first answer, want in_progress", c.Status)
		}
		marco := h.sentTo("marco.bos@vlinder.example")
		if len(marco) != 2 || !strings.Contains(marco[1].text, "met de leidster van de Rupsen gesproken") {
			t.Errorf("the other handler was not told of the answer")
		}
	})
}

func TestInternalNoteReachesOnlyHandlers(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		annaAnswers(t, h, "#intern\n\nDe vaste leidster was die dag ziek; de invalkracht kende het protocol niet.")
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Fatalf("the parent got %d mails, want only the confirmation", n)
		}
		for _, m := range h.sent() {
			if strings.Contains(m.text, "invalkracht kende het protocol niet") && m.to[0] != "marco.bos@vlinder.example" {
				t.Errorf("the internal note went to %v", m.to)
			}
		}
		marco := h.sentTo("marco.bos@vlinder.example")
		if !strings.Contains(marco[len(marco)-1].text, "invalkracht kende het protocol niet") {
			t.Errorf("the other handler did not get the note")
		}
		annaGot := h.sentTo("anna.devries@vlinder.example")
		if res := annaGot[len(annaGot)-1]; !strings.Contains(res.msg.Subject(), "Verwerkt") {
			t.Errorf("Anna got no confirmation: %q", res.msg.Subject())
		}
		if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventNote, "invalkracht") {
			t.Errorf("the note is not on the timeline")
		}
	})
}

func TestStatusAssignAndLocationCommands(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		annaAnswers(t, h, "#status in-behandeling\n\n#toewijzen marco.bos@vlinder.example\n\n#locatie kdv de rups")
		c := h.caseByRef("KL-2026-0001")
		if c.Status != workflow.StatusInProgress || c.Assignee != "marco.bos@vlinder.example" || c.Location != "KDV De Rups" {
			t.Errorf("case after commands: status %s, assignee %q, location %q", c.Status, c.Assignee, c.Location)
		}
		got := h.sentTo("anna.devries@vlinder.example")
		res := got[len(got)-1]
		for _, want := range []string{"Verwerkt", "Marco Bos", "KDV De Rups"} {
			if !strings.Contains(res.msg.Subject()+res.text, want) {
				t.Errorf("confirmation lacks %q:\n%s\n%s", want, res.msg.Subject(), res.text)
			}
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want none beyond the confirmation", n)
		}
	})
}

func TestJudgmentWithTwoMeasuresGoesToTheParent(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n\n#maatregel 2027-01-15 Alle medewerkers nemen het ophaalprotocol opnieuw door.\n\n"+
			"#maatregel 2027-02-01 Op elke groep hangt een actuele ophaallijst.\n\n"+
			"Beste mevrouw Jansen,\n\nWij vinden uw klacht gegrond: Noah is meegegeven zonder dat u werd gebeld.\n\nMet vriendelijke groet,\nAnna de Vries")
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 {
			t.Fatalf("the parent got %d mails, want the confirmation and the judgment", len(got))
		}
		j := got[1]
		for _, want := range []string{"KL-2026-0001", "Wij vinden uw klacht gegrond", "15 januari 2027", "1 februari 2027",
			"ophaalprotocol opnieuw door", "actuele ophaallijst", "19 november 2026", "Klachtenloket Kinderopvang",
			"Geschillencommissie", "19 november 2027", "€ 25"} {
			if !strings.Contains(j.text, want) {
				t.Errorf("judgment lacks %q:\n%s", want, j.text)
			}
		}
		if strings.Contains(j.text, "#maatregel") || strings.Contains(j.text, "#oordeel") {
			t.Errorf("the judgment shows the command lines:\n%s", j.text)
		}
		c := h.caseByRef("KL-2026-0001")
		if c.Status != workflow.StatusDecided || !c.DecidedAt.Valid {
			t.Errorf("case %s decided=%v, want decided", c.Status, c.DecidedAt.Valid)
		}
		ms, err := h.c.wf.Measures(h.ctx, c.ID)
		if err != nil || len(ms) != 2 || ms[0].DueDate != "2027-01-15" || ms[1].DueDate != "2027-02-01" {
			t.Errorf("measures %+v %v", ms, err)
		}
	})
}

func TestJudgmentWithoutMeasuresIsRefused(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n\nWij vinden uw klacht ongegrond.")
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Fatalf("the parent got %d mails, want nothing beyond the confirmation", n)
		}
		got := h.sentTo("anna.devries@vlinder.example")
		res := got[len(got)-1]
		if !strings.Contains(res.msg.Subject(), "Niet uitgevoerd") || !strings.Contains(res.text, "#oordeel") ||
			!strings.Contains(res.text, "#geen-maatregelen") {
			t.Errorf("refusal does not say which line and why:\n%s\n%s", res.msg.Subject(), res.text)
		}
		if c := h.caseByRef("KL-2026-0001"); c.Status == workflow.StatusDecided {
			t.Error("the case was decided")
		}
		// A measure in the past is refused too, and so is everything with it.
		annaAnswers(t, h, "#toewijzen marco.bos@vlinder.example\n#oordeel gegrond\n#categorie overig\n#maatregel 2026-11-01 Te laat.\n\nOordeel.")
		if c := h.caseByRef("KL-2026-0001"); c.Assignee != "" || c.Status == workflow.StatusDecided {
			t.Errorf("part of a refused message was applied: assignee %q status %s", c.Assignee, c.Status)
		}
		got = h.sentTo("anna.devries@vlinder.example")
		if res := got[len(got)-1]; !strings.Contains(res.text, "2026-11-01") {
			t.Errorf("refusal does not name the wrong date:\n%s", res.text)
		}
	})
}

// A message in Anna's name, without her token, that the receiving server
// found failing DMARC: it changes nothing, is flagged, and Anna is told.
func TestForgedHandlerMessageChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: anna, subject: "RE: [KL-2026-0001] Nieuwe klacht", id: "forged@attacker.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; spf=fail smtp.mailfrom=attacker.example; dkim=none; dmarc=fail header.from=vlinder.example"},
			body:  "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nUw klacht is ongegrond.",
		}))
		h.poll()
		h.flush()
		c := h.caseByRef("KL-2026-0001")
		if c.Status == workflow.StatusDecided {
			t.Fatal("a forged judgment was applied")
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails because of a forgery", n)
		}
		if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventSuspectedSpoof, "dmarc=fail") {
			t.Errorf("not flagged: %+v", h.timeline("KL-2026-0001"))
		}
		got := h.sentTo("anna.devries@vlinder.example")
		alert := got[len(got)-1]
		if !strings.Contains(alert.msg.Subject(), "bericht op jouw naam was niet te controleren") || !strings.Contains(alert.text, "dmarc=fail") {
			t.Fatalf("Anna was not told: %q\n%s", alert.msg.Subject(), alert.text)
		}
	})
}

// Without her token, Anna is still recognised when the organisation's own
// receiving server records DMARC pass for her domain.
func TestHandlerVerifiedByDMARC(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		h.deliver(rawMail(mailOpts{
			from: anna, subject: "Over [KL-2026-0001]", id: "anna-phone@vlinder.example",
			extra: []string{
				"Authentication-Results: mx.vlinder.example; dkim=pass header.d=vlinder.example; dmarc=pass (p=quarantine) header.from=vlinder.example",
				// Lower down, something claiming to be our server: never read.
				"Authentication-Results: mx.vlinder.example; dmarc=fail header.from=vlinder.example",
			},
			body: "#locatie BSO De Springplank",
		}))
		h.poll()
		h.flush()
		if c := h.caseByRef("KL-2026-0001"); c.Location != "BSO De Springplank" {
			t.Errorf("location %q: the DMARC-verified command was not applied", c.Location)
		}
	})
}

func TestJointComplaintFromCommittee(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(readCorpus(t, filepath.Join(corpusDir(t), "nl", "samsung-html-only-joint-complaint.eml")))
		h.poll()
		h.flush()
		cases := h.cases()
		if len(cases) != 1 || cases[0].Kind != workflow.KindCommittee || cases[0].Committee != "Oudercommissie KDV De Rups" ||
			cases[0].Location != "KDV De Rups" {
			t.Fatalf("cases %+v: want one joint complaint of the committee at KDV De Rups", cases)
		}
		conf := h.sentTo("oudercommissie.derups@gmail.example")
		if len(conf) != 1 || !strings.Contains(conf[0].text, "gezamenlijke klacht van Oudercommissie KDV De Rups") {
			t.Errorf("the confirmation does not say it is a joint complaint")
		}
		out, _, _ := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), cases[0].Reference)
		if !strings.Contains(out, "joint complaint of Oudercommissie KDV De Rups") {
			t.Errorf("cases show does not mark it joint:\n%s", out)
		}
	})
}

func TestWithdrawnAndClosedNotifyTheParent(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		annaAnswers(t, h, "#ingetrokken\n\nZoals telefonisch besproken ronden we je klacht af.")
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 || !strings.Contains(got[1].text, "KL-2026-0001") || !strings.Contains(got[1].text, "telefonisch besproken") {
			t.Fatalf("no withdrawal confirmation to the parent (%d mails)", len(got))
		}
		if c := h.caseByRef("KL-2026-0001"); c.Status != workflow.StatusWithdrawn {
			t.Errorf("status %s", c.Status)
		}

		// A second case: judged with a measure, then closed when it is done.
		h.deliver(rawMail(mailOpts{from: "Peter Hoekstra <p.hoekstra@example.org>", subject: "Facturen", body: "Nog steeds facturen.\n"}))
		h.poll()
		h.flush()
		annaAnswers(t, h, "#oordeel gegrond\n#categorie overig\n#maatregel 2027-01-10 De facturen worden gecrediteerd.\n\nGegrond.")
		annaAnswers(t, h, "#afgerond\n\nDe creditnota is verstuurd.")
		got = h.sentTo("p.hoekstra@example.org")
		if len(got) != 3 || !strings.Contains(got[2].text, "De facturen worden gecrediteerd") {
			t.Fatalf("no closing message listing the measure (%d mails)", len(got))
		}
		c := h.caseByRef("KL-2026-0002")
		ms, _ := h.c.wf.Measures(h.ctx, c.ID)
		if c.Status != workflow.StatusClosed || len(ms) != 1 || !ms[0].DoneAt.Valid {
			t.Errorf("case %s, measures %+v", c.Status, ms)
		}
	})
}

// The corpus's Outlook reply of a klachtenfunctionaris: verified by the
// trusted server's DMARC pass (its token is random), the judgment with two
// measures goes out, and the command lines in its quoted part do nothing.
func TestCorpusStaffReplyWithJudgment(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{from: "Ouder Jansen <m.jansen@example.nl>", subject: "Daan meegegeven", body: "Daan is meegegeven aan iemand die niet op de lijst staat.\n"}))
		h.poll()
		h.flush()
		raw, err := os.ReadFile(filepath.Join(corpusDir(t), "nl", "outlook-staff-reply-oordeel.eml"))
		if err != nil {
			t.Fatal(err)
		}
		// The corpus's reply predates verdicts and categories (issue 13):
		// Anna's first command line now says what the judgment decides.
		text := strings.ReplaceAll(string(raw), "KL-2026-0041", "KL-2026-0001")
		for _, nl := range []string{"\r\n", "\n"} {
			text = strings.Replace(text, nl+"#oordeel"+nl, nl+"#oordeel gegrond"+nl+"#categorie pedagogisch handelen"+nl, 1)
		}
		h.deliver([]byte(text))
		h.poll()
		h.flush()
		c := h.caseByRef("KL-2026-0001")
		if c.Status != workflow.StatusDecided {
			t.Fatalf("status %s: the verified judgment was not applied (timeline %+v)", c.Status, h.timeline("KL-2026-0001"))
		}
		got := h.sentTo("m.jansen@example.nl")
		j := got[len(got)-1]
		if !strings.Contains(j.text, "15 januari 2027") || !strings.Contains(j.text, "Wij vinden uw klacht daarom gegrond") {
			t.Errorf("judgment:\n%s", j.text)
		}
		for _, e := range h.timeline("KL-2026-0001") {
			if e.Kind == workflow.EventCommand && (strings.Contains(e.Detail, "#intern") || strings.Contains(e.Detail, "#status")) {
				t.Errorf("a command from the quoted part was applied: %s", e.Detail)
			}
		}
	})
}
