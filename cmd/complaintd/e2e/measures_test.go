package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// Measures one by one (issue 11), through the built daemon, Dovecot and
// Mailpit: Anna's judgment promises two measures; she reports the first
// done with #uitgevoerd and a line for the parent, who reads that measure
// done and the other still open with its date; she reports the last one,
// and the case closes itself with the closing letter.
func TestMeasuresDoneOneByOneEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		t.Parallel()
		w := startWorld(t, url, "")
		c := w.complaint()

		const training, lists = "Alle medewerkers nemen het ophaalprotocol opnieuw door.", "Op elke groep hangt een actuele ophaallijst."
		first := time.Date(c.received.Year(), c.received.Month(), c.received.Day()+20, 0, 0, 0, 0, amsterdam)
		last := time.Date(c.received.Year(), c.received.Month(), c.received.Day()+30, 0, 0, 0, 0, amsterdam)
		at := time.Now()
		w.deliver(thunderbirdReply(t, c.notes[annaAddr], at, "#oordeel gegrond\n#categorie overig\n"+
			"#maatregel "+first.Format(time.DateOnly)+" "+training+"\n#maatregel "+last.Format(time.DateOnly)+" "+lists+
			"\n\nWij vinden uw klacht gegrond: Noah had niet meegegeven mogen worden."), at)
		w.await(parentAddr, "the judgment", c.ref, "Ons oordeel")
		result := w.await(annaAddr, "the judgment's result", c.ref, "Verwerkt")

		// The training is done: Anna answers her result from Thunderbird.
		at = time.Now()
		w.deliver(thunderbirdReply(t, result, at, "#uitgevoerd "+training+"\n\nOp 11 januari hebben alle medewerkers de training gevolgd."), at)
		done := w.await(parentAddr, "the measure done", c.ref, "Een maatregel uit ons oordeel is uitgevoerd")
		for _, want := range []string{training, "Op 11 januari hebben alle medewerkers de training gevolgd.", lists, dutchDayDate(last), "Anna de Vries"} {
			if !strings.Contains(done.text, want) {
				t.Errorf("the parent's measure-done letter lacks %q:\n%s", want, done.text)
			}
		}
		if strings.Contains(done.text, "#uitgevoerd") || strings.Contains(done.text, "\n> ") {
			t.Errorf("the parent reads Anna's command or quoted history:\n%s", done.text)
		}
		result = w.await(annaAddr, "the first #uitgevoerd's result", c.ref, "Verwerkt")
		if show := w.caseShow(c.ref); !strings.Contains(show, "status:        decided") {
			t.Errorf("the case is no longer decided with a measure still open:\n%s", show)
		}

		// The last one, named by nothing: it is the only one open.
		at = time.Now()
		w.deliver(thunderbirdReply(t, result, at, "#uitgevoerd\n\nDe nieuwe lijsten hangen op alle groepen."), at)
		closing := w.await(parentAddr, "the closing letter", c.ref, "Uw klacht is afgerond")
		for _, want := range []string{training, lists, "De nieuwe lijsten hangen op alle groepen.", "Geschillencommissie"} {
			if !strings.Contains(closing.text, want) {
				t.Errorf("the closing letter lacks %q:\n%s", want, closing.text)
			}
		}
		if r := w.await(annaAddr, "the last #uitgevoerd's result", c.ref, "Verwerkt"); !strings.Contains(r.text, "afgesloten") {
			t.Errorf("Anna is not told the case is closed:\n%s", r.text)
		}
		if show := w.caseShow(c.ref); !strings.Contains(show, "status:        closed") {
			t.Errorf("the case did not close itself after its last measure:\n%s", show)
		}
		waitFor(t, "INBOX to be empty", func() bool { return len(w.s.imap.Messages(t, "INBOX")) == 0 })
		w.d.stop()
		if got := w.inbox(parentAddr); len(got) != 4 {
			t.Errorf("Sanne received %d mails, want the confirmation, the judgment, one measure done and the closing letter", len(got))
		}
	})
}
