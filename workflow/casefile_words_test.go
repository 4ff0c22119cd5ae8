package workflow_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// The case file a manager gets (#dossier) says its timeline and delivery
// states in the organisation's language, also for entries stored before
// this was so (their stored texts are English): a Dutch manager reads
// Dutch, an English one English. What a person wrote is shown as written.
func TestCaseFileSpeaksTheReadersLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		workflows := map[string]*workflow.Workflow{}
		clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
		for _, lang := range []string{"nl", "en"} {
			set := testSettings()
			set.Organisation.Language = lang
			w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
				Clock: clock, Settings: set})
			if err != nil {
				t.Fatal(err)
			}
			workflows[lang] = w
		}
		if _, err := workflows["nl"].Process(ctx, delivery(1, clock.Now())); err != nil {
			t.Fatal(err)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// The confirmation went out; the timeline has entries as earlier
		// versions stored them.
		sent := clock.Now().Add(time.Minute)
		exec(`UPDATE outbox SET state = ?, sent_at = ? WHERE kind = ?`, workflow.OutboxSent, sent, workflow.MsgConfirmation)
		exec(`INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome, answer)
			SELECT id, 1, 1, ?, ?, '250 2.0.0 Ok' FROM outbox WHERE kind = ?`, sent, workflow.AttemptAccepted, workflow.MsgConfirmation)
		later := func(days int) time.Time { return clock.Now().AddDate(0, 0, days) }
		for _, e := range []struct {
			at           time.Time
			kind, detail string
		}{
			{sent, workflow.EventStatus, "received → acknowledged (confirmation sent)"},
			{later(1), workflow.EventNote, "Gebeld met de leidster van de Rupsen."},
			{later(1), workflow.EventCommand, "#categorie veiligheid en gezondheid (verified by token)"},
			{later(1), workflow.EventCategory, "veiligheid en gezondheid"},
			{later(14), workflow.EventScheduled, "progress message to the complainant"},
			{later(28), workflow.EventScheduled, "reminder to the handlers: 14 days left"},
			{later(43), workflow.EventDeadlineExceeded, "six weeks passed without a judgment; the complainant, the handlers and the managers were told"},
			{later(44), workflow.EventManagerRequest, "refused (not_yours): #toewijzen KL-2026-0001 anna (verified by dmarc)"},
			{later(44), workflow.EventScheduled, "a form of an older version nobody reads"},
		} {
			exec(`INSERT INTO events (case_id, at, kind, actor, detail) VALUES (1, ?, ?, 'anna.devries@vlinder.example', ?)`, e.at, e.kind, e.detail)
		}

		for lang, want := range map[string][]string{
			"nl": {"klacht ontvangen 2026-11-19 21:48, oordeel uiterlijk", "ontvangstbevestiging aan sanne.jansen@example.nl",
				"afgeleverd bij de mailserver 2026-11-19 21:49", "ontvangen → ontvangst bevestigd (ontvangstbevestiging verstuurd)",
				"#categorie veiligheid en gezondheid (geverifieerd: antwoordkenmerk)", "voortgangsbericht aan de ouder",
				"herinnering aan de behandelaars: nog 14 dagen", "geweigerd (klacht van een andere locatie): #toewijzen KL-2026-0001 anna (geverifieerd: DMARC)", "zes weken voorbij zonder oordeel", "termijn overschreden",
				"Gebeld met de leidster van de Rupsen."},
			"en": {"complaint received 2026-11-19 21:48, judgment due by", "confirmation to sanne.jansen@example.nl",
				"delivered to the mail server 2026-11-19 21:49", "received → receipt confirmed (confirmation sent)",
				"#categorie veiligheid en gezondheid (verified by reply token)", "progress message to the parent",
				"reminder to the handlers: 14 days left", "refused (a case of another location): #toewijzen KL-2026-0001 anna (verified by DMARC)", "six weeks passed without a judgment", "deadline exceeded",
				"Gebeld met de leidster van de Rupsen."},
		} {
			text, html, err := workflow.CaseFileText(ctx, workflows[lang], "KL-2026-0001", "Mark Bakker")
			if err != nil {
				t.Fatal(err)
			}
			attempt := map[string]string{"nl": "poging 1, aangenomen: 250 2.0.0 Ok", "en": "attempt 1, accepted: 250 2.0.0 Ok"}[lang]
			if !strings.Contains(html, attempt) { // the attempts are in the HTML only
				t.Errorf("%s: the case file lacks %q:\n%s", lang, attempt, html)
			}
			for _, doc := range []string{text, html} {
				for _, w := range want {
					if !strings.Contains(doc, w) {
						t.Errorf("%s: the case file lacks %q:\n%s", lang, w, doc)
					}
				}
				if strings.Contains(doc, "older version") {
					t.Errorf("%s: a stored text of unknown form is shown as stored:\n%s", lang, doc)
				}
			}
			if lang != "nl" {
				continue
			}
			for _, english := range []string{"complaint received", "judgment due", "confirmation to", "[sent", ">sent ", "accepted",
				"progress message", "reminder to the handlers", "six weeks passed", "verified by", "internal note", "delivered to", "not_yours"} {
				if strings.Contains(text, english) || strings.Contains(html, english) {
					t.Errorf("the Dutch case file says %q", english)
				}
			}
		}
	})
}

// The case file's phrasebook names every kind of timeline entry, message,
// delivery state and attempt, in both languages.
func TestCaseFilePhrasebookIsComplete(t *testing.T) {
	nl, en := workflow.CaseFilePhrasebook("nl"), workflow.CaseFilePhrasebook("en")
	for k, v := range nl {
		if e, ok := en[k]; !ok || e == "" || v == "" {
			t.Errorf("phrase %q is missing or empty in one language", k)
		} else if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(e, -1); !slices.Equal(a, b) {
			t.Errorf("phrase %q fills in %v in Dutch but %v in English", k, a, b)
		}
	}
	for k := range en {
		if _, ok := nl[k]; !ok {
			t.Errorf("phrase %q is in English only", k)
		}
	}
	var keys []string
	for _, k := range []string{workflow.DirIn, workflow.DirOut, workflow.EventOpened, workflow.EventMessage, workflow.EventStatus,
		workflow.EventDeliveryFailed, workflow.EventForgedToken, workflow.EventHeld, workflow.EventAutoReply, workflow.EventBounce,
		workflow.EventCommand, workflow.EventCommandsRefused, workflow.EventNote, workflow.EventRelay, workflow.EventSuspectedSpoof,
		workflow.EventScheduled, workflow.EventDeadlineExceeded, workflow.EventWithheld, workflow.EventOwnAddress,
		workflow.EventManagerRequest, workflow.EventAnonymised, workflow.EventReachable, workflow.EventSafeguarding,
		workflow.EventCategory, workflow.EventEscalation, workflow.EventReportLine, workflow.EventConcerns,
		workflow.EventJudgmentHeld, workflow.EventJudgmentApproved, "assignee", "location"} {
		keys = append(keys, "file.kind."+k)
	}
	for _, s := range workflow.OutboxStates {
		keys = append(keys, "file.state."+s)
	}
	for _, a := range []string{workflow.AttemptSending, workflow.AttemptAccepted, workflow.AttemptDeferred, workflow.AttemptHeld,
		workflow.AttemptRefused, workflow.AttemptUnknown} {
		keys = append(keys, "file.attempt."+a)
	}
	for _, m := range []string{workflow.MsgComplaint, workflow.MsgReply, workflow.MsgConfirmation, workflow.MsgNewCase, workflow.MsgCaseReply,
		workflow.MsgAutoReply, workflow.MsgBounce, workflow.MsgBounceNotice, workflow.MsgWhichCase, workflow.MsgHandlerReply, workflow.MsgRelay,
		workflow.MsgJudgment, workflow.MsgWithdrawn, workflow.MsgClosed, workflow.MsgCommandResult, workflow.MsgSpoofAlert, workflow.MsgReminder,
		workflow.MsgProgress, workflow.MsgDeadlinePassed, workflow.MsgDeadlinePassedStaff, workflow.MsgMeasureDue, workflow.MsgMeasureDelayed,
		workflow.MsgMeasureDone, workflow.MsgDigest, workflow.MsgFloodNotice, workflow.MsgManagerRequest, workflow.MsgManagerResult,
		workflow.MsgReportReminder, workflow.MsgReportReply, workflow.MsgSafeguarding} {
		keys = append(keys, "file.msg."+m)
	}
	for _, r := range []string{workflow.RefuseUnknownCommand, workflow.RefuseNoCase, workflow.RefuseUnknownCase, workflow.RefuseNotYours,
		workflow.RefuseUnknownHandler, workflow.RefuseClosed, workflow.RefuseEmpty} {
		keys = append(keys, "file.refuse."+r)
	}
	for _, k := range keys {
		if nl[k] == "" {
			t.Errorf("the case file has no words for %q", k)
		}
	}
}
