package workflow_test

import (
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// Golden files: every message, in every language, rendered with realistic
// data and compared with testdata/golden/LANG/CASE.golden. After a deliberate
// change to a template, rewrite them with
//
//	go test ./workflow/ -run Golden -update
//
// and read every changed file before committing it: they are what parents
// and handlers will receive.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the templates")

// goldenLangs are the languages every message exists in.
var goldenLangs = []string{"nl", "en"}

var goldenZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// goldenAt is a moment in the organisation's zone.
func goldenAt(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, goldenZone)
}

// The sample case: received on Thursday 19 November 2026 at 21:48, so the
// judgment is due on Thursday 31 December 2026 and the Geschillencommissie
// window ends on 19 November 2027.
var (
	goldenReceived  = goldenAt(2026, time.November, 19, 21, 48)
	goldenDeadline  = goldenAt(2026, time.December, 31, 0, 0)
	goldenWindowEnd = goldenAt(2027, time.November, 19, 0, 0)
	goldenJudged    = goldenAt(2026, time.December, 10, 0, 0)
	goldenDue1      = goldenAt(2027, time.January, 15, 0, 0)
	goldenDue2      = goldenAt(2027, time.March, 1, 0, 0)
)

const goldenRef = "KL-2026-0042"

// goldenPick returns nl or en for lang: the words people write differ by
// language, the structure of the data does not.
func goldenPick(lang, nl, en string) string {
	if lang == "en" {
		return en
	}
	return nl
}

// goldenDaysLeft counts the calendar days from now to the deadline, as the
// workflow does: 0 on the last day, negative once it has passed.
func goldenDaysLeft(now time.Time) int {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	return int(day(goldenDeadline).Sub(day(now)).Hours() / 24)
}

// goldenLetter is the common part of every sample: the organisation, its
// escalation routes and the case in status on the day now.
func goldenLetter(lang, status string, now time.Time) workflow.Letter {
	return workflow.Letter{
		Org: workflow.Organisation{
			Name: "Kinderopvang De Vlinder", Address: "klachten@vlinder.example", Host: "klachten.vlinder.example",
			Location: goldenZone, Language: lang,
			ProcedureURL: "https://www.vlinder.example/klachtenregeling",
			PrivacyURL:   "https://www.vlinder.example/privacy",
			ProgressDays: 14,
		},
		Escalation: workflow.EscalationView{
			Klachtenloket:       "Klachtenloket Kinderopvang\nwww.klachtenloket-kinderopvang.nl\ninfo@klachtenloket-kinderopvang.nl\n0900 1877",
			Geschillencommissie: "De Geschillencommissie\nPostbus 90600, 2509 LP Den Haag\nwww.degeschillencommissie.nl\n070 310 53 10",
			Fee:                 "€ 25",
			WindowMonths:        12,
			WindowEnd:           goldenWindowEnd,
		},
		Case: workflow.CaseView{
			Reference:        goldenRef,
			Subject:          goldenPick(lang, "Klacht over het ophalen van Noah", "Complaint about Noah's pick-up"),
			Status:           status,
			Kind:             workflow.KindParent,
			Location:         "KDV De Rups",
			Handler:          "Anna de Vries",
			ComplainantName:  "Sanne Jansen",
			ComplainantEmail: "sanne.jansen@example.nl",
			ReceivedAt:       goldenReceived,
			Deadline:         goldenDeadline,
			DaysLeft:         goldenDaysLeft(now),
		},
		To: "Sanne Jansen",
	}
}

// goldenJoint turns l into a joint complaint of a parent committee.
func goldenJoint(l workflow.Letter) workflow.Letter {
	l.Case.Kind, l.Case.Joint, l.Case.Committee = workflow.KindCommittee, true, "Oudercommissie KDV De Rups"
	l.Case.ComplainantName, l.Case.ComplainantEmail = "Fatima el Amrani", "oc.derups@example.nl"
	l.Case.Subject = goldenPick(l.Org.Language, "Wisselingen in de vaste gezichten", "Changes in the regular staff")
	l.To = "Fatima el Amrani"
	return l
}

func goldenComplaint(lang string) string {
	return goldenPick(lang, `Beste medewerkers van De Vlinder,

Afgelopen dinsdag is mijn zoon Noah (groep Rupsen, KDV De Rups) aan het
eind van de dag meegegeven aan mijn buurvrouw. Zij staat niet op de
ophaallijst en niemand heeft mij gebeld om dit na te gaan.

Ik wil graag weten hoe dit heeft kunnen gebeuren.

Met vriendelijke groet,
Sanne Jansen`, `Dear staff of De Vlinder,

Last Tuesday my son Noah (group Rupsen, KDV De Rups) was handed over to my
neighbour at the end of the day. She is not on the pick-up list and nobody
called me to check.

I would like to know how this could happen.

Kind regards,
Sanne Jansen`)
}

// goldenSpoofWhy is why a message in Anna's name failed verification, as
// the workflow tells her in her language.
func goldenSpoofWhy(lang string) string {
	return goldenPick(lang, "het bericht draagt geen antwoordkenmerk van anna.devries@vlinder.example: het is geen antwoord op een e-mail van ons aan jou; "+
		"onze mailserver kon niet bevestigen dat het bericht echt van het domein vlinder.example komt (technisch: dmarc=fail header.from=vlinder.example)",
		"the message carries no reply token of anna.devries@vlinder.example: it is not a reply to an email from us to you; "+
			"our mail server could not confirm that the message really comes from the domain vlinder.example (technical: dmarc=fail header.from=vlinder.example)")
}

func goldenJudgmentText(lang string) string {
	return goldenPick(lang, `Je klacht gaat over twee dingen: dat Noah is meegegeven aan iemand die
niet op de ophaallijst stond, en dat niemand je daarover heeft gebeld.

We hebben gesproken met de twee pedagogisch medewerkers die die middag
werkten en met de locatiemanager, en we hebben de ophaallijst en het
overdrachtsschrift bekeken.

Meegeven aan je buurvrouw: gegrond. Volgens ons protocol mag een kind
alleen mee met iemand die op de ophaallijst staat, of na een telefoontje
met een ouder. Dat is niet gebeurd.

Niet gebeld: gegrond. De medewerker heeft geprobeerd je te bellen, maar
gebruikte een oud telefoonnummer. Dat hadden we moeten controleren.`,
		`Your complaint is about two things: that Noah was handed over to someone
who was not on the pick-up list, and that nobody called you about it.

We spoke with the two pedagogical staff members who worked that afternoon
and with the location manager, and we examined the pick-up list and the
handover notes.

Handing Noah over to your neighbour: upheld. Under our protocol a child may
only leave with someone on the pick-up list, or after a call with a parent.
That did not happen.

Not calling you: upheld. The staff member tried to call you, but used an
old phone number. We should have checked it.`)
}

func goldenMeasures(lang string, done bool) []workflow.MeasureView {
	return []workflow.MeasureView{
		{Description: goldenPick(lang, "Alle medewerkers van KDV De Rups volgen een training over het ophaalprotocol.",
			"All staff of KDV De Rups will be trained in the pick-up protocol."), Due: goldenDue1, Done: done},
		{Description: goldenPick(lang, "We controleren de contactgegevens en ophaallijsten van alle kinderen op de locatie.",
			"We will check the contact details and pick-up lists of every child at the location."), Due: goldenDue2, Done: done},
	}
}

type goldenCase struct {
	name     string // file name without .golden
	template string
	letter   func(lang string) workflow.Letter
}

// goldenCases is every message with realistic data, several in more than
// one variant. A template without a case here fails the test.
var goldenCases = []goldenCase{
	{"report_reminder", "report_reminder", goldenReportReminder},
	{"report_reminder_missing", "report_reminder", goldenReportReminderMissing},
	{"report_reply", "report_reply", goldenReportReply("")},
	{"report_reply_unverified", "report_reply", goldenReportReply("unverified")},
	{"report_reply_early", "report_reply", goldenReportReply("early")},
	{"report_reply_missing", "report_reply", goldenReportReply("missing")},
	{"confirmation", "confirmation", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusReceived, goldenReceived)
		l.Text = goldenComplaint(lang)
		return l
	}},
	{"confirmation_joint", "confirmation", func(lang string) workflow.Letter {
		l := goldenJoint(goldenLetter(lang, workflow.StatusReceived, goldenReceived))
		l.Case.Handler = ""
		l.Text = goldenPick(lang, "Namens de oudercommissie van KDV De Rups:\n\nOuders worden niet op tijd ingelicht over wisselingen in de vaste gezichten.",
			"On behalf of the parent committee of KDV De Rups:\n\nParents are not told in time about changes in the regular staff.")
		return l
	}},
	{"new_case", "new_case", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusAcknowledged, goldenReceived)
		l.To, l.From, l.At = "Anna de Vries", "Sanne Jansen <sanne.jansen@example.nl>", goldenReceived
		l.Text = goldenComplaint(lang)
		l.Attachments = []string{"ophaallijst.pdf (application/pdf, 182 kB)"}
		l.Original, l.OriginalSize = true, "214 kB"
		return l
	}},
	{"case_reply", "case_reply", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 24, 8, 5))
		l.To, l.From, l.FromName, l.At = "Anna de Vries", "Sanne Jansen <sanne.jansen@example.nl>", "Sanne Jansen", goldenAt(2026, time.November, 24, 8, 5)
		l.Text = goldenPick(lang, "Nog een aanvulling: het was rond 17:30 uur.\n\nSanne", "One more thing: it was around 17:30.\n\nSanne")
		l.Attachments = []string{"foto.jpg (image/jpeg, 2.4 MB)", goldenPick(lang, "(naamloos)", "(unnamed)") + " (text/plain, 312 bytes)"}
		l.OriginalSize = "12.6 MB"
		return l
	}},
	{"case_reply_unverified", "case_reply", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 24, 8, 5))
		l.To, l.From, l.FromName, l.At = "Anna de Vries", "Sanne Jansen <sanne.jansen@example.nl>", "Sanne Jansen", goldenAt(2026, time.November, 24, 8, 5)
		l.Text = goldenPick(lang, "Ik trek mijn klacht in. Stuur alle stukken naar mijn nieuwe adres.", "I withdraw my complaint. Send all papers to my new address.")
		l.Original, l.OriginalSize, l.Unverified = true, "4 kB", true
		return l
	}},
	{"new_case_unverified", "new_case", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusAcknowledged, goldenReceived)
		l.To, l.From, l.At = "Anna de Vries", "Sanne Jansen <sanne.jansen@example.nl>", goldenReceived
		l.Text = goldenComplaint(lang)
		l.Original, l.OriginalSize, l.Unverified = true, "6 kB", true
		return l
	}},
	{"bounce_notice", "bounce_notice", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusAcknowledged, goldenReceived)
		l.To, l.From, l.FromName, l.At = "Anna de Vries", "sanne.jansen@example.nl", "Sanne Jansen", goldenAt(2026, time.November, 19, 21, 52)
		l.Subject = "[" + goldenRef + "] " + goldenPick(lang, "Ontvangstbevestiging van je klacht", "We have received your complaint")
		l.Text = "550 5.1.1 <sanne.jansen@example.nl>: Recipient address rejected:\nUser unknown in virtual mailbox table"
		return l
	}},
	{"which_case", "which_case", func(lang string) workflow.Letter {
		l := goldenLetter(lang, "", goldenAt(2026, time.November, 25, 9, 30))
		l.Case = workflow.CaseView{Subject: goldenPick(lang, "Vraag over het rooster", "Question about the roster")}
		l.To, l.At = "Anna de Vries", goldenAt(2026, time.November, 25, 9, 30)
		l.Text = goldenPick(lang, "#status in-behandeling\n\nIk kijk er morgen naar.", "#status in-progress\n\nI will look at it tomorrow.")
		return l
	}},
	{"relay", "relay", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.December, 3, 14, 2))
		l.Writer, l.At = "Anna de Vries", goldenAt(2026, time.December, 3, 14, 2)
		// The workflow takes the handler's own greeting and sign-off out
		// (withoutSalutation): the letter has its own.
		l.Text = goldenPick(lang, `Dank je wel voor je aanvulling. Ik heb deze week met beide medewerkers
gesproken. Mag ik je volgende week bellen om je vragen door te nemen?`, `Thank you for the extra information. I spoke with both staff members this
week. May I call you next week to go through your questions?`)
		return l
	}},
	{"relay_overdue", "relay", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2027, time.January, 4, 11, 0))
		l.Writer = "Anna de Vries"
		l.Text = goldenPick(lang, "Het spijt me dat ons oordeel later komt. Je krijgt het uiterlijk vrijdag.",
			"I am sorry our judgment is late. You will have it by Friday.")
		return l
	}},
	{"relay_after_judgment", "relay", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenAt(2026, time.December, 14, 9, 0))
		l.Writer = ""
		l.Text = goldenPick(lang, "De training staat gepland op 12 januari.", "The training is planned for 12 January.")
		return l
	}},
	{"judgment", "judgment", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenJudged)
		l.Writer, l.Text = "Anna de Vries", goldenJudgmentText(lang)
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: goldenMeasures(lang, false), Verdict: workflow.VerdictUpheld}
		return l
	}},
	// The same letters for an organisation that writes "je" (organisation.address_form).
	{"confirmation_je", "confirmation", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusReceived, goldenReceived)
		l.Org.AddressForm, l.Text = "je", goldenComplaint(lang)
		return l
	}},
	{"judgment_je", "judgment", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenJudged)
		l.Org.AddressForm, l.Writer, l.Text = "je", "Anna de Vries", goldenJudgmentText(lang)
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: goldenMeasures(lang, false), Verdict: workflow.VerdictPartly}
		return l
	}},
	{"judgment_joint_no_measures", "judgment", func(lang string) workflow.Letter {
		l := goldenJoint(goldenLetter(lang, workflow.StatusDecided, goldenJudged))
		l.Writer = "Anna de Vries"
		l.Text = goldenPick(lang, `Jullie klacht gaat over het laat informeren van ouders over wisselingen
in de vaste gezichten.

Ongegrond. In de periode waar de klacht over gaat, hebben we ouders steeds
uiterlijk een week van tevoren via de app ingelicht. Dat is wat we in ons
pedagogisch beleid hebben afgesproken. Daarom nemen we geen maatregelen.`,
			`Your complaint is about informing parents late about changes in the
regular staff.

Not upheld. In the period the complaint is about, we informed parents
through the app at least a week in advance each time. That is what our
pedagogical policy sets out. We therefore take no measures.`)
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, NoMeasures: true, Verdict: workflow.VerdictNotUpheld}
		return l
	}},
	{"withdrawn", "withdrawn", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusWithdrawn, goldenAt(2026, time.December, 3, 10, 15))
		l.Writer, l.At = "Anna de Vries", goldenAt(2026, time.December, 3, 10, 15)
		l.Text = goldenPick(lang, "Fijn dat we het telefonisch samen hebben kunnen oplossen.",
			"I am glad we could settle this together on the phone.")
		return l
	}},
	{"withdrawn_no_note", "withdrawn", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusWithdrawn, goldenAt(2026, time.December, 3, 10, 15))
		l.Writer, l.At = "Anna de Vries", goldenAt(2026, time.December, 3, 10, 15)
		return l
	}},
	{"closed", "closed", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusClosed, goldenAt(2027, time.February, 26, 16, 40))
		l.Writer, l.At = "Anna de Vries", goldenAt(2027, time.February, 26, 16, 40)
		l.Text = goldenPick(lang, "De training is op 12 januari gegeven; alle ophaallijsten zijn nagelopen en bijgewerkt.",
			"The training took place on 12 January; every pick-up list has been checked and updated.")
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: goldenMeasures(lang, true)}
		return l
	}},
	{"closed_no_measures", "closed", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusClosed, goldenAt(2026, time.December, 18, 9, 0))
		l.Writer, l.At = "Anna de Vries", goldenAt(2026, time.December, 18, 9, 0)
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, NoMeasures: true}
		return l
	}},
	{"command_result_applied", "command_result", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 23, 9, 12))
		l.To = "Anna de Vries"
		l.Commands = &workflow.CommandsView{
			Applied: []string{
				goldenPick(lang, "status gezet op in behandeling", "status set to in_progress"),
				goldenPick(lang, "locatie gezet op KDV De Rups", "location set to KDV De Rups"),
			},
			NoteKept: true,
		}
		return l
	}},
	{"command_result_empty_answer", "command_result", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 23, 9, 12))
		l.To = "Anna de Vries"
		l.Commands = &workflow.CommandsView{EmptyAnswer: true}
		return l
	}},
	{"command_result_judgment", "command_result", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenJudged)
		l.To = "Anna de Vries"
		l.Commands = &workflow.CommandsView{
			Applied: []string{fmt.Sprintf(workflow.Phrasebook(lang)["applied.judgment"], fmt.Sprintf(workflow.Phrasebook(lang)["count.measures"], 2))},
			Sent:    []string{goldenPick(lang, "het oordeel", "the judgment")},
		}
		return l
	}},
	{"command_result_refused", "command_result", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenJudged)
		l.To = "Anna de Vries"
		l.Commands = &workflow.CommandsView{Refused: []workflow.Refusal{
			{Line: goldenPick(lang, "#maatregel 2027-13-01 Training ophaalprotocol", "#measure 2027-13-01 Training in the pick-up protocol"), Why: goldenPick(lang,
				`"2027-13-01" is geen datum in de vorm JJJJ-MM-DD (bijvoorbeeld 2027-01-10)`,
				`"2027-13-01" is not a date written as YYYY-MM-DD (e.g. 2027-01-10)`)},
			{Line: goldenPick(lang, "#oordeel", "#judgment"), Why: workflow.Phrasebook(lang)["refuse.no_measures"]},
		}}
		return l
	}},
	{"spoof_alert", "spoof_alert", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 26, 3, 17))
		l.To = "Anna de Vries"
		l.Spoof = &workflow.SpoofView{
			Claimed: "anna.devries@vlinder.example",
			At:      goldenAt(2026, time.November, 26, 3, 17),
			Subject: "Re: [" + goldenRef + "] " + l.Case.Subject,
			Why:     goldenSpoofWhy(lang),
		}
		return l
	}},
	{"spoof_alert_no_case", "spoof_alert", func(lang string) workflow.Letter {
		l := goldenLetter(lang, "", goldenAt(2026, time.November, 26, 3, 17))
		l.Case = workflow.CaseView{}
		l.To = "Anna de Vries"
		l.Spoof = &workflow.SpoofView{
			Claimed: "anna.devries@vlinder.example",
			At:      goldenAt(2026, time.November, 26, 3, 17),
			Subject: goldenPick(lang, "Betaalgegevens gewijzigd", "Payment details changed"),
			Why:     goldenSpoofWhy(lang),
		}
		return l
	}},
	{"spoof_alert_suppressed", "spoof_alert", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 26, 4, 30))
		l.To = "Anna de Vries"
		l.Spoof = &workflow.SpoofView{
			Claimed:    "anna.devries@vlinder.example",
			At:         goldenAt(2026, time.November, 26, 4, 30),
			Subject:    "Re: [" + goldenRef + "] " + l.Case.Subject,
			Why:        goldenSpoofWhy(lang),
			Suppressed: 99, Previous: goldenAt(2026, time.November, 26, 3, 17),
		}
		return l
	}},
	{"flood_notice", "flood_notice", func(lang string) workflow.Letter {
		l := goldenLetter(lang, "", goldenAt(2026, time.November, 26, 3, 17))
		l.Case = workflow.CaseView{}
		l.To = "Anna de Vries"
		l.Flood = &workflow.FloodView{Sender: "flood@attacker.example", Limit: 5, Window: goldenPick(lang, "24 uur", "24 hours"),
			Until: goldenAt(2026, time.November, 27, 3, 17)}
		return l
	}},
	{"flood_notice_unverified", "flood_notice", func(lang string) workflow.Letter {
		l := goldenLetter(lang, "", goldenAt(2026, time.November, 26, 3, 17))
		l.Case = workflow.CaseView{}
		l.To, l.Unverified = "Anna de Vries", true
		l.Flood = &workflow.FloodView{Sender: "sanne.jansen@example.nl", Limit: 5, Window: goldenPick(lang, "24 uur", "24 hours"),
			Until: goldenAt(2026, time.November, 27, 3, 17)}
		return l
	}},
	{"case_reply_forged_handler", "case_reply", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.November, 24, 8, 5))
		l.To, l.From, l.FromName, l.At = "Marco Bos", "Anna de Vries <anna.devries@vlinder.example>", "Anna de Vries", goldenAt(2026, time.November, 24, 8, 5)
		l.Text = goldenPick(lang, "#afgerond\n\nDe klacht is opgelost, stuur de ouder niets meer.", "#close\n\nThe complaint is resolved, send the parent nothing more.")
		l.Original, l.OriginalSize, l.Unverified, l.ClaimedHandler = true, "3 kB", true, "Anna de Vries"
		return l
	}},
	{"confirmation_withheld", "confirmation", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusReceived, goldenReceived)
		l.To, l.Withheld = "", true
		return l
	}},
	{"reminder", "reminder", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.December, 17, 7, 0))
		l.To = "Anna de Vries"
		return l
	}},
	{"reminder_unassigned", "reminder", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusAcknowledged, goldenAt(2026, time.December, 17, 7, 0))
		l.Case.Handler, l.To = "", "Mark Bakker"
		return l
	}},
	// Issue 13: a case without a category is reminded of one; a new
	// complaint naming a handler suggests #betreft; a judgment held for four
	// eyes asks the other handlers for #akkoord.
	{"reminder_no_category", "reminder", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.December, 17, 7, 0))
		l.To = "Anna de Vries"
		l.Record = &workflow.RecordView{NeedCategory: true, Categories: workflow.DefaultCategories()}
		return l
	}},
	{"new_case_concerns", "new_case", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusAcknowledged, goldenReceived)
		l.To, l.From, l.At = "Anna de Vries", "Sanne Jansen <sanne.jansen@example.nl>", goldenReceived
		l.Text = goldenPick(lang, "Marco Bos heeft Noah meegegeven aan een onbekende.", "Marco Bos let a stranger take Noah home.")
		l.Original, l.OriginalSize = true, "6 kB"
		l.Record = &workflow.RecordView{Suggest: []workflow.Suggestion{{Name: "Marco Bos", Email: "marco.bos@vlinder.example"}}}
		return l
	}},
	{"case_reply_waiting", "case_reply", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.December, 10, 9, 0))
		l.To, l.From, l.FromName, l.At = "Marco Bos", "Anna de Vries <anna.devries@vlinder.example>", "Anna de Vries", goldenAt(2026, time.December, 10, 9, 0)
		l.Text = goldenPick(lang, "#oordeel gegrond\n#geen-maatregelen\n\nJe klacht is terecht.", "#judgment upheld\n#no-measures\n\nYour complaint is justified.")
		l.Original, l.OriginalSize = true, "3 kB"
		l.Record = &workflow.RecordView{Waiting: &workflow.PendingView{Author: "Anna de Vries", Verdict: workflow.VerdictUpheld}}
		return l
	}},
	{"progress", "progress", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2026, time.December, 3, 7, 0))
		l.NextUpdate = goldenAt(2026, time.December, 17, 7, 0)
		return l
	}},
	{"progress_overdue", "progress", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2027, time.January, 14, 7, 0))
		l.Case.Handler = ""
		return l
	}},
	{"deadline_passed", "deadline_passed", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2027, time.January, 1, 0, 5))
		l.ExpectedJudgment = goldenDeadline.AddDate(0, 0, 14)
		l.Escalation.Management = "Mark Bakker, " + goldenPick(lang, "directeur", "director") + "\n020 123 45 67\nm.bakker@vlinder.example"
		return l
	}},
	{"deadline_passed_staff", "deadline_passed_staff", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2027, time.January, 1, 0, 5))
		l.To = "Anna de Vries"
		l.ExpectedJudgment = goldenDeadline.AddDate(0, 0, 14)
		return l
	}},
	{"deadline_passed_staff_manager", "deadline_passed_staff", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusInProgress, goldenAt(2027, time.January, 1, 0, 5))
		l.To, l.ForManager, l.Case.HandlerEmail = "Mark Bakker", true, "anna.devries@vlinder.example"
		l.ExpectedJudgment = goldenDeadline.AddDate(0, 0, 14)
		return l
	}},
	{"deadline_passed_staff_unassigned", "deadline_passed_staff", func(lang string) workflow.Letter {
		l := goldenJoint(goldenLetter(lang, workflow.StatusAcknowledged, goldenAt(2027, time.January, 1, 0, 5)))
		l.Case.Handler, l.Case.Location, l.To = "", "", "Mark Bakker"
		return l
	}},
	{"measure_due", "measure_due", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenDue1)
		l.To = "Anna de Vries"
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: goldenMeasures(lang, false)}
		l.Measure = &l.Judgment.Measures[0]
		return l
	}},
	{"measure_delayed", "measure_delayed", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenDue1)
		l.Writer, l.At = "Anna de Vries", goldenDue1
		l.Text = goldenPick(lang, "De trainer is ziek geworden; de training is verplaatst naar begin februari.",
			"The trainer fell ill; the training has moved to early February.")
		ms := goldenMeasures(lang, false)
		ms[0].Due = goldenAt(2027, time.February, 5, 0, 0)
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: ms}
		moved := ms[0]
		moved.MovedFrom = goldenDue1
		l.Moved = []workflow.MeasureView{moved}
		return l
	}},
	{"measure_delayed_added", "measure_delayed", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenDue1)
		l.Writer, l.At = "Anna de Vries", goldenDue1
		l.Text = goldenPick(lang, "Na ons gesprek willen we alle ouders uitleggen wat er verandert.",
			"After our talk we want to explain to all parents what changes.")
		added := workflow.MeasureView{Description: goldenPick(lang, "We houden een ouderavond over het ophaalprotocol.",
			"We will hold a parents' evening about the pick-up protocol."), Due: goldenAt(2027, time.February, 15, 0, 0)}
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: append(goldenMeasures(lang, false), added)}
		l.Added = []workflow.MeasureView{added}
		return l
	}},
	{"measure_done", "measure_done", func(lang string) workflow.Letter {
		l := goldenLetter(lang, workflow.StatusDecided, goldenDue1)
		l.Writer, l.At = "Anna de Vries", goldenDue1
		l.Text = goldenPick(lang, "Op 11 januari hebben alle medewerkers de training gevolgd.",
			"On 11 January all staff took the training.")
		ms := goldenMeasures(lang, false)
		ms[0].Done = true
		l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: ms}
		l.Done = []workflow.MeasureView{ms[0]}
		return l
	}},
	{"digest", "digest", func(lang string) workflow.Letter {
		l := goldenLetter(lang, "", goldenDigestDate)
		l.Case, l.To = workflow.CaseView{}, "Mark Bakker"
		l.Digest = goldenDigest(lang)
		return l
	}},
	{"digest_new_only", "digest", func(lang string) workflow.Letter {
		l := goldenLetter(lang, "", goldenAt(2026, time.November, 20, 7, 0))
		l.Case, l.To = workflow.CaseView{}, "Mark Bakker"
		l.Digest = goldenDigestNewOnly(lang)
		return l
	}},
	// Issue 13, safeguarding: signal words in a new complaint tell the
	// managers (and the handlers) at once; a handler's #signaal with a note;
	// a false alarm cleared with its reason.
	{"safeguarding_notice", "safeguarding_notice", func(lang string) workflow.Letter {
		l := goldenSafeguarding(lang, workflow.SafeguardingView{Words: []string{goldenPick(lang, "geslagen", "slapped"), goldenPick(lang, "blauwe plekken", "bruises")}})
		l.Text = goldenPick(lang, "Mijn dochter zegt dat juf M. haar heeft geslagen. Ze had blauwe plekken op haar arm.",
			"My daughter says teacher M. slapped her. She had bruises on her arm.")
		return l
	}},
	{"safeguarding_notice_handler", "safeguarding_notice", func(lang string) workflow.Letter {
		l := goldenSafeguarding(lang, workflow.SafeguardingView{Words: []string{goldenPick(lang, "geslagen", "slapped")}})
		l.ForManager, l.To = false, "Marco Bos"
		l.Text = goldenPick(lang, "Mijn dochter zegt dat juf M. haar heeft geslagen.", "My daughter says teacher M. slapped her.")
		return l
	}},
	{"safeguarding_notice_command", "safeguarding_notice", func(lang string) workflow.Letter {
		l := goldenSafeguarding(lang, workflow.SafeguardingView{By: "Anna de Vries"})
		l.Writer = "Anna de Vries"
		l.Text = goldenPick(lang, "De ouder vertelde aan de telefoon dat Noah thuis over een hardhandige medewerker praat.",
			"On the phone the parent said Noah talks at home about a rough member of staff.")
		return l
	}},
	{"safeguarding_notice_cleared", "safeguarding_notice", func(lang string) workflow.Letter {
		l := goldenSafeguarding(lang, workflow.SafeguardingView{By: "Anna de Vries", Cleared: true,
			Reason: goldenPick(lang, "de blauwe plek komt van een val op het klimrek; de ouder bevestigt dat", "the bruise is from a fall off the climbing frame; the parent confirms it")})
		return l
	}},
}

// goldenSafeguarding is the safeguarding notice to a manager, with the
// contact blocks an organisation configures.
func goldenSafeguarding(lang string, v workflow.SafeguardingView) workflow.Letter {
	l := goldenLetter(lang, workflow.StatusAcknowledged, goldenReceived)
	l.To, l.ForManager = "Mark Bakker", true
	v.Inspector = "Vertrouwensinspecteurs Inspectie van het Onderwijs\n0900 111 3 111"
	v.Police = goldenPick(lang, "Politie (aangifte, geen spoed)\n0900 8844", "Police (report, no emergency)\n0900 8844")
	v.Meldcode = goldenPick(lang, "Meldcode en aandachtsfunctionaris: Petra de Wit, 06 1234 5678\nhttps://www.vlinder.example/meldcode",
		"Meldcode and designated officer: Petra de Wit, 06 1234 5678\nhttps://www.vlinder.example/meldcode")
	l.Safeguarding = &v
	return l
}

// goldenDigestDate is the day of the sample digest: Tuesday 22 December 2026.
var goldenDigestDate = goldenAt(2026, time.December, 22, 0, 0)

// goldenDigest is a manager's overview with every section filled: an
// overdue case, a case two days before its deadline (urgent) and one with
// nine days left, two measures (one four days late, one due today), a new
// case without location or handler, and an unreachable complainant (the
// urgent case again).
func goldenDigest(lang string) *workflow.DigestView {
	urgent := workflow.DigestRow{
		Reference: "KL-2026-0038", Subject: goldenPick(lang, "Wennen op de BSO", "Settling in at after-school care"),
		Location: "BSO De Kikker", Status: workflow.StatusAcknowledged,
		Deadline: goldenAt(2026, time.December, 24, 0, 0), DaysLeft: 2, Urgent: true, Open: true,
	}
	return &workflow.DigestView{
		Date:        goldenDigestDate,
		Locations:   []string{"KDV De Rups", "BSO De Kikker"},
		WarningDays: 14,
		Overdue: []workflow.DigestRow{{
			Reference: "KL-2026-0031", Subject: goldenPick(lang, "Medicijn niet gegeven", "Medicine not given"),
			Location: "KDV De Rups", Handler: "Anna de Vries", HandlerEmail: "anna.devries@vlinder.example", Status: workflow.StatusInProgress,
			Deadline: goldenAt(2026, time.December, 17, 0, 0), DaysLeft: -5, Urgent: true, Open: true, Joint: true,
		}},
		Warning: []workflow.DigestRow{urgent, {
			Safeguarding: true,
			Reference:    goldenRef, Subject: goldenPick(lang, "Klacht over het ophalen van Noah", "Complaint about Noah's pick-up"),
			Location: "KDV De Rups", Handler: "Anna de Vries", HandlerEmail: "anna.devries@vlinder.example", Status: workflow.StatusInProgress,
			Deadline: goldenDeadline, DaysLeft: 9, Open: true,
		}},
		Measures: []workflow.MeasureRow{
			{Reference: "KL-2026-0017", Location: "KDV De Rups", Handler: "Anna de Vries",
				Description: goldenPick(lang, "Nieuwe ophaallijsten op alle groepen ophangen.", "Put up new pick-up lists in every group."),
				Due:         goldenAt(2026, time.December, 18, 0, 0), DaysOverdue: 4},
			{Reference: "KL-2026-0023", Location: "BSO De Kikker", Handler: "Joris Smit",
				Description: goldenPick(lang, "Een extra medewerker bij het buitenspelen op woensdagmiddag.", "An extra staff member for outdoor play on Wednesday afternoons."),
				Due:         goldenDigestDate, DaysOverdue: 0},
		},
		New: []workflow.DigestRow{{
			Reference: "KL-2026-0045", Subject: goldenPick(lang, "Factuur klopt niet", "Invoice is wrong"),
			Status:   workflow.StatusReceived,
			Deadline: goldenAt(2027, time.February, 1, 0, 0), DaysLeft: 41, Open: true,
		}},
		Unreachable: []workflow.DigestRow{urgent},
		Since:       goldenAt(2026, time.December, 21, 7, 0),
	}
}

// goldenDigestNewOnly is the first overview (no previous one) of a manager of
// every location, with only new cases in it.
func goldenDigestNewOnly(lang string) *workflow.DigestView {
	return &workflow.DigestView{
		Date:        goldenAt(2026, time.November, 20, 0, 0),
		WarningDays: 14,
		New: []workflow.DigestRow{{
			Reference: goldenRef, Subject: goldenPick(lang, "Klacht over het ophalen van Noah", "Complaint about Noah's pick-up"),
			Location: "KDV De Rups", Handler: "Anna de Vries", Status: workflow.StatusAcknowledged,
			Deadline: goldenDeadline, DaysLeft: 41, Open: true,
		}, {
			// Decided on its first day: days left no longer matter.
			Reference: "KL-2026-0043", Subject: goldenPick(lang, "Factuur klopt niet", "Invoice is wrong"),
			Location: "Gastouderbureau De Vlinder", Handler: "Anna de Vries", Status: workflow.StatusDecided,
			Deadline: goldenDeadline, DaysLeft: 41,
		}},
	}
}

// goldenTemplateNames lists the messages by reading the template folder, so
// that a new template without a golden case fails the test.
func goldenTemplateNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("..", "templates", "mail", "nl"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".tmpl")
		if ok && !strings.HasPrefix(name, "_") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Fatal("no templates found in ../templates/mail/nl")
	}
	return names
}

func goldenSet(t *testing.T) *templates.Set {
	t.Helper()
	set, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// rendered is one message as a golden file holds it.
type rendered struct{ subject, text, html string }

func (r rendered) String() string {
	return r.subject + "\n\n--- text ---\n" + r.text + "\n--- html ---\n" + r.html
}

func goldenRender(t *testing.T, set *templates.Set, template, lang string, l workflow.Letter) rendered {
	t.Helper()
	subject, text, html, err := set.Render(template, lang, l)
	if err != nil {
		t.Fatalf("render %s/%s: %v", lang, template, err)
	}
	return rendered{subject, text, html}
}

func TestGoldenEveryTemplateHasACase(t *testing.T) {
	covered := map[string]bool{}
	seen := map[string]bool{}
	for _, c := range goldenCases {
		if seen[c.name] {
			t.Errorf("golden case %q is listed twice", c.name)
		}
		seen[c.name] = true
		covered[c.template] = true
	}
	names := goldenTemplateNames(t)
	for _, name := range names {
		if !covered[name] {
			t.Errorf("template %s.tmpl has no golden case: add one to goldenCases in workflow/golden_test.go", name)
		}
	}
	for name := range covered {
		if !slices.Contains(names, name) {
			t.Errorf("golden cases use template %q, which does not exist", name)
		}
	}
}

func TestGoldenMessages(t *testing.T) {
	set := goldenSet(t)
	for _, lang := range goldenLangs {
		dir := filepath.Join("testdata", "golden", lang)
		want := map[string]bool{}
		for _, c := range goldenCases {
			want[c.name+".golden"] = true
			t.Run(lang+"/"+c.name, func(t *testing.T) {
				got := goldenRender(t, set, c.template, lang, c.letter(lang)).String()
				file := filepath.Join(dir, c.name+".golden")
				if *update {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./workflow/ -run Golden -update, then read the new file)", err)
				}
				if string(b) != got {
					t.Errorf("%s differs from the rendered message (after a deliberate change: -update, then review the diff)\n%s", file, goldenDiff(string(b), got))
				}
			})
		}
		// A golden file without a case is left over from a renamed case.
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if want[e.Name()] {
				continue
			}
			if *update {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					t.Error(err)
				}
				continue
			}
			t.Errorf("%s has no golden case; remove it or run -update", filepath.Join(dir, e.Name()))
		}
	}
}

// goldenDiff shows the first differing line of want and got.
func goldenDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "first difference at line " + strconv.Itoa(i+1) + ":\n  golden: " + wl + "\n  now:    " + gl
		}
	}
	return ""
}

// required is content the law or the procedure demands in a message: it must
// appear in the plain text and in the HTML (read as text, entities decoded).
type required struct {
	what string
	nl   string
	en   string
}

func (r required) in(lang string) string {
	if lang == "en" {
		return r.en
	}
	return r.nl
}

// Parts that every parent-facing message with escalation routes shares.
var (
	reqReference     = required{"case reference", goldenRef, goldenRef}
	reqKlachtenloket = required{"Klachtenloket Kinderopvang (contact block)", "www.klachtenloket-kinderopvang.nl", "www.klachtenloket-kinderopvang.nl"}
	reqKlachtenInfo  = required{"Klachtenloket: free advice and mediation", "gratis informatie en advies", "free information and advice"}
	reqGCK           = required{"Geschillencommissie (contact block)", "www.degeschillencommissie.nl", "www.degeschillencommissie.nl"}
	reqGCKFee        = required{"Geschillencommissie fee note", "klachtengeld (€ 25)", "complaint fee (€ 25)"}
	reqWindowEnd     = required{"Geschillencommissie filing window end", "uiterlijk 19 november 2027", "no later than 19 November 2027"}
	reqReceiptDate   = required{"date of receipt", "19 november 2026", "19 November 2026"}
	reqDeadlineDay   = required{"latest date of the judgment, with weekday", "donderdag 31 december 2026", "Thursday 31 December 2026"}
)

// legalContent lists, per golden case, what must be in it whatever the
// wording (complaint-law.md 9.1-9.5).
func legalContent(name, lang string) []required {
	escalation := []required{reqReference, reqKlachtenloket, reqKlachtenInfo, reqGCK, reqGCKFee, reqWindowEnd}
	measures := func(done bool) []required {
		var out []required
		for _, m := range goldenMeasures(lang, done) {
			nl := m.Description + "\n  Uiterlijk uitgevoerd op: " + map[time.Month]string{time.January: "vrijdag 15 januari 2027", time.March: "maandag 1 maart 2027"}[m.Due.Month()]
			en := m.Description + "\n  To be done by: " + map[time.Month]string{time.January: "Friday 15 January 2027", time.March: "Monday 1 March 2027"}[m.Due.Month()]
			if done {
				nl = m.Description + "\n  Uitgevoerd (afgesproken: uiterlijk " + map[time.Month]string{time.January: "15 januari 2027", time.March: "1 maart 2027"}[m.Due.Month()] + ")"
				en = m.Description + "\n  Done (promised by " + map[time.Month]string{time.January: "15 January 2027", time.March: "1 March 2027"}[m.Due.Month()] + ")"
			}
			out = append(out, required{"measure with its date", nl, en})
		}
		return out
	}
	switch name {
	case "confirmation_joint":
		return append(legalContent("confirmation", lang),
			required{"the committee addressed as a committee", "Beste leden van Oudercommissie KDV De Rups,", "Dear members of Oudercommissie KDV De Rups,"},
			required{"the person who wrote on its behalf (9.1 item 10)", "ingediend door Fatima el Amrani (oc.derups@example.nl)", "on the committee's behalf by Fatima el Amrani (oc.derups@example.nl)"})
	case "confirmation", "confirmation_withheld":
		return append(escalation,
			required{"date and time of receipt", "19 november 2026 om 21:48", "19 November 2026 at 21:48"},
			reqDeadlineDay,
			required{"written, reasoned judgment promised", "schriftelijk en gemotiveerd oordeel", "written, reasoned judgment"},
			required{"progress messages and their interval", "ten minste elke 14 dagen", "at least every 14 days"},
			required{"link to the klachtenregeling", "https://www.vlinder.example/klachtenregeling", "https://www.vlinder.example/klachtenregeling"},
		)
	case "judgment", "judgment_joint_no_measures":
		out := append(escalation,
			reqReceiptDate,
			required{"date of the judgment", "10 december 2026", "10 December 2026"},
			required{"who decided", "Anna de Vries, klachtenfunctionaris", "Anna de Vries, complaints officer"},
			required{"lead to the Geschillencommissie fitting a judgment", "Bent u het niet eens met dit oordeel", "If you disagree with this judgment"},
			required{"confidentiality", "vertrouwelijk", "confidentially"},
			required{"anonymous use in the annual report", "zonder namen of andere gegevens", "without names or other details"},
			required{"link to the klachtenregeling", "https://www.vlinder.example/klachtenregeling", "https://www.vlinder.example/klachtenregeling"},
		)
		if name == "judgment" {
			out = append(out, required{"the handler's reasoned judgment", "Meegeven aan je buurvrouw: gegrond.", "Handing Noah over to your neighbour: upheld."})
			out = append(out, measures(false)...)
			return append(out, required{"how the parent hears that measures are done", "laten we u dat per e-mail weten", "we will let you know by email"})
		}
		return append(out,
			required{"the handler's reasoned judgment", "Daarom nemen we geen maatregelen.", "We therefore take no measures."},
			required{"explicit statement that no measures follow", "Naar aanleiding van uw klacht nemen we geen maatregelen.", "We will not take any measures in response to your complaint."},
			required{"the committee addressed", "namens Oudercommissie KDV De Rups", "on behalf of Oudercommissie KDV De Rups"},
		)
	case "withdrawn", "withdrawn_no_note":
		return append(escalation,
			required{"date of withdrawal", "op 3 december 2026 als ingetrokken", "withdrawn on 3 December 2026"},
			required{"case closed", "het dossier is gesloten", "the case is\nclosed"},
		)
	case "closed":
		return append(append(escalation, measures(true)...),
			required{"case closed", "Daarmee is de behandeling van uw klacht afgerond", "This completes the handling of your complaint"},
			required{"the handler's note", "alle ophaallijsten zijn nagelopen", "every pick-up list has been checked"})
	case "closed_no_measures":
		return append(escalation, required{"handling complete", "De behandeling van uw klacht " + goldenRef + " is afgerond", "The handling of your complaint " + goldenRef + " is complete"})
	case "progress":
		return []required{reqReference, reqReceiptDate, reqDeadlineDay,
			required{"the next update's date", "uiterlijk op donderdag 17 december 2026", "by Thursday 17 December 2026"},
			required{"how to respond", "Beantwoord dan deze e-mail", "reply to\nthis email"}}
	case "progress_overdue":
		return []required{reqReference, reqReceiptDate, reqGCK, reqGCKFee, reqWindowEnd, reqKlachtenloket}
	case "measure_delayed":
		return append(escalation, reqReceiptDate,
			required{"the measure", goldenMeasures("nl", false)[0].Description, goldenMeasures("en", false)[0].Description},
			required{"the date agreed", "Afgesproken: uiterlijk 15 januari 2027", "Agreed: by 15 January 2027"},
			required{"the new date", "Nieuwe datum: uiterlijk vrijdag 5 februari 2027", "New date: by Friday 5 February 2027"},
			required{"the reason", "De trainer is ziek geworden", "The trainer fell ill"},
			required{"how the parent hears that measures are done", "dan laten we u dat per e-mail weten", "we will let you know by email"})
	case "deadline_passed":
		return append(escalation, reqReceiptDate,
			required{"the date that passed", "donderdag 31 december 2026", "Thursday 31 December 2026"},
			required{"the apology", "Het spijt ons", "We are sorry"},
			required{"the new expected date of the judgment", "uiterlijk donderdag 14 januari 2027 te sturen", "send it by Thursday 14 January 2027"},
			required{"the parent may go to the Geschillencommissie now", "mag u uw klacht nu\nrechtstreeks voorleggen", "directly"},
			required{"that management can be reached", "iemand van de directie spreken", "speak to management"},
			required{"the management contact", "Mark Bakker, directeur", "Mark Bakker, director"})
	case "deadline_passed_staff_manager":
		// A manager does not handle cases by mail: who does, how to reach
		// them, what the parent may do now (issue 11).
		return []required{reqReference,
			required{"who handles the case, and how to reach them", "Anna de Vries (anna.devries@vlinder.example)", "Anna de Vries (anna.devries@vlinder.example)"},
			required{"the date the parent was promised", "donderdag 14 januari 2027", "Thursday 14 January 2027"},
			required{"what the law now allows the parent", "rechtstreeks voorleggen aan de Geschillencommissie", "directly to the Geschillencommissie"},
			required{"that a reply does not reach the parent", "niet bij de ouder", "not the parent"}}
	case "measure_delayed_added":
		return append(escalation, reqReceiptDate,
			required{"the new measure", "We houden een ouderavond over het ophaalprotocol.", "We will hold a parents' evening about the pick-up protocol."},
			required{"its date", "Uiterlijk uitgevoerd op: maandag 15 februari 2027", "To be done by: Monday 15 February 2027"},
			required{"the reason", "Na ons gesprek willen we", "After our talk we want"},
			required{"how the parent hears that measures are done", "dan laten we u dat per e-mail weten", "we will let you know by email"})
	case "measure_done":
		return []required{reqReference, reqReceiptDate,
			required{"the measure done", goldenMeasures("nl", false)[0].Description, goldenMeasures("en", false)[0].Description},
			required{"the handler's note", "Op 11 januari hebben alle medewerkers", "On 11 January all staff"},
			required{"the measure still open, with its date", "Uiterlijk uitgevoerd op: maandag 1 maart 2027", "To be done by: Monday 1 March 2027"},
			required{"how the parent hears that all are done", "dan laten we u dat per e-mail weten", "we will let you know by email"}}
	case "relay":
		return []required{reqReference, reqReceiptDate, reqDeadlineDay,
			required{"how to respond", "Beantwoord dan deze e-mail", "reply to this email"}}
	case "relay_overdue":
		return []required{reqReference, reqReceiptDate, reqDeadlineDay}
	}
	return nil
}

func TestGoldenLegalContent(t *testing.T) {
	set := goldenSet(t)
	checked := map[string]bool{}
	for _, lang := range goldenLangs {
		for _, c := range goldenCases {
			reqs := legalContent(c.name, lang)
			if len(reqs) == 0 {
				continue
			}
			checked[c.template] = true
			r := goldenRender(t, set, c.template, lang, c.letter(lang))
			// The HTML read as text: tags dropped, entities decoded.
			page := html.UnescapeString(goldenTags.Replace(r.html))
			for _, req := range reqs {
				want := req.in(lang)
				if !strings.Contains(r.text, want) {
					t.Errorf("%s/%s: plain text lacks the %s (%q)", lang, c.name, req.what, want)
				}
				if !strings.Contains(goldenSpaces(page), goldenSpaces(want)) {
					t.Errorf("%s/%s: HTML lacks the %s (%q)", lang, c.name, req.what, want)
				}
			}
			if !strings.Contains(r.subject, "["+goldenRef+"]") {
				t.Errorf("%s/%s: subject %q lacks [%s]", lang, c.name, r.subject, goldenRef)
			}
		}
	}
	for _, name := range []string{"confirmation", "judgment", "withdrawn", "closed", "relay", "measure_delayed"} {
		if !checked[name] {
			t.Errorf("no legal content checked for %s", name)
		}
	}
}

// goldenTags removes the markup the templates write, so the HTML can be
// searched as text; a line break becomes a space.
var goldenTags = strings.NewReplacer(
	"<br>", " ", "<p>", "", "</p>", "", "<strong>", "", "</strong>", "", "<em>", "", "</em>", "",
	"<li>", "", "</li>", "", "<b>", "", "</b>", "", "</td><td>", " ", "<td>", "", "</td>", "",
)

// goldenSpaces folds runs of white space, so a phrase matches across the
// line breaks of plain text and HTML alike.
func goldenSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Parents' and handlers' words are data in every message: template syntax in
// them is shown, not run; markup is escaped in the HTML; a line break in a
// subject cannot add a header.
func TestGoldenOthersWordsAreData(t *testing.T) {
	set := goldenSet(t)
	const (
		evilText    = "{{.Org.Name}} <script>alert(1)</script>\n\nTweede alinea"
		evilSubject = "Klacht\r\nBcc: iedereen@example.org <script>alert(1)</script>"
	)
	// Messages that do not repeat the words of a message.
	noText := map[string]bool{
		"spoof_alert": true, "command_result": true, "reminder": true, "progress": true, "deadline_passed": true,
		"deadline_passed_staff": true, "measure_due": true, "digest": true, "flood_notice": true, "manager_result": true,
		"report_reminder": true, "report_reply": true,
	}
	for _, lang := range goldenLangs {
		for _, name := range goldenTemplateNames(t) {
			l := goldenLetter(lang, workflow.StatusInProgress, goldenJudged)
			l.Text, l.Case.Subject, l.Subject = evilText, evilSubject, evilSubject
			l.Writer, l.To, l.From = "<b>Anna</b>", "<i>Sanne</i>", "{{.Org.Address}} <x@example.org>"
			l.Case.Committee, l.Case.Joint = "<u>OC</u>", true
			l.Judgment = &workflow.JudgmentView{Date: goldenJudged, Measures: []workflow.MeasureView{{Description: "<script>alert(1)</script> {{.Org.Name}}", Due: goldenDue1}}}
			l.Commands = &workflow.CommandsView{Refused: []workflow.Refusal{{Line: "#oordeel <script>alert(1)</script> {{.Org.Name}}", Why: "<script>alert(1)</script>"}}}
			l.Spoof = &workflow.SpoofView{Claimed: "anna.devries@vlinder.example", At: goldenJudged, Subject: evilSubject, Why: "<script>alert(1)</script>"}
			l.Case.Handler = "<b>Anna</b>"
			l.Flood = &workflow.FloodView{Sender: "<script>alert(1)</script>@x.example", Limit: 5, Window: "24 uur", Until: goldenJudged}
			l.Safeguarding = &workflow.SafeguardingView{Words: []string{"<script>alert(1)</script>"}, By: "<b>Anna</b>", Reason: evilText, Police: "<u>OC</u>"}
			l.Measure = &workflow.MeasureView{Description: "<script>alert(1)</script> {{.Org.Name}}", Due: goldenDue1}
			l.Report = &workflow.ReportLetter{Year: 2026, Deadline: goldenDue1, Example: "#verslag-verzonden <script>alert(1)</script>", Refused: "date"}
			l.Moved = []workflow.MeasureView{{Description: "<script>alert(1)</script> {{.Org.Name}}", Due: goldenDue2, MovedFrom: goldenDue1}}
			evilRow := workflow.DigestRow{Reference: goldenRef, Subject: evilSubject, Location: "<script>alert(1)</script>", Handler: "<b>Anna</b>",
				Status: "<i>open</i>", Deadline: goldenDeadline, DaysLeft: -2, Urgent: true, Open: true}
			l.Digest = &workflow.DigestView{
				Date: goldenJudged, Locations: []string{"<u>OC</u>"}, WarningDays: 14,
				Overdue: []workflow.DigestRow{evilRow}, Warning: []workflow.DigestRow{evilRow}, New: []workflow.DigestRow{evilRow}, Unreachable: []workflow.DigestRow{evilRow},
				Measures: []workflow.MeasureRow{{Reference: goldenRef, Location: "<u>OC</u>", Handler: "<b>Anna</b>", Description: "<script>alert(1)</script> {{.Org.Name}}", Due: goldenDue1}},
			}
			l.Manager = &workflow.ManagerView{Results: []workflow.ManagerResult{{Line: "#dossier <script>alert(1)</script>", Why: workflow.RefuseUnknownCommand}}}
			l.CaseFile = goldenEvilCaseFile(evilText, evilSubject)
			r := goldenRender(t, set, name, lang, l)
			if strings.ContainsAny(r.subject, "\r\n") {
				t.Errorf("%s/%s: subject kept a line break: %q", lang, name, r.subject)
			}
			if strings.Contains(r.html, "<script") || strings.Contains(r.html, "<b>Anna") || strings.Contains(r.html, "<i>Sanne") || strings.Contains(r.html, "<u>OC") || strings.Contains(r.html, "<i>open") {
				t.Errorf("%s/%s: HTML carries markup from the data:\n%s", lang, name, r.html)
			}
			if !strings.Contains(r.html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s/%s: HTML does not show the escaped <script> of the data", lang, name)
			}
			if noText[name] {
				continue
			}
			if !strings.Contains(r.text, "{{.Org.Name}} <script>alert(1)</script>") {
				t.Errorf("%s/%s: plain text does not show the words literally:\n%s", lang, name, r.text)
			}
			if !strings.Contains(r.html, "{{.Org.Name}} &lt;script&gt;") {
				t.Errorf("%s/%s: HTML does not show the words literally:\n%s", lang, name, r.html)
			}
		}
	}
}
