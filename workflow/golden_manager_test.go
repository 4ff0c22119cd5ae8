package workflow_test

import (
	"time"

	"github.com/complaintd/complaintd/workflow"
)

// The managers' messages (issue 11): the answer to their commands and the
// case file they ask for.
func init() {
	goldenCases = append(goldenCases,
		goldenCase{"manager_result_casefile", "manager_result", func(lang string) workflow.Letter {
			l := goldenManagerLetter(lang)
			l.Manager = &workflow.ManagerView{Results: []workflow.ManagerResult{
				{Line: goldenPick(lang, "#dossier ", "#casefile ") + goldenRef, Command: "dossier", Reference: goldenRef, Done: true, File: "dossier-" + goldenRef + ".html"},
				{Line: goldenPick(lang, "#dossier", "#casefile") + " KL-2026-0077", Command: "dossier", Reference: "KL-2026-0077", Why: workflow.RefuseNotYours, Detail: "KDV De Rups"},
				{Line: goldenPick(lang, "#dossier", "#casefile") + " KL-2026-9999", Command: "dossier", Reference: "KL-2026-9999", Why: workflow.RefuseUnknownCase},
			}}
			return l
		}},
		goldenCase{"manager_result_assign", "manager_result", func(lang string) workflow.Letter {
			l := goldenManagerLetter(lang)
			l.Manager = &workflow.ManagerView{Results: []workflow.ManagerResult{
				{Line: goldenPick(lang, "#toewijzen ", "#assign ") + goldenRef + " anna.devries@vlinder.example", Command: "toewijzen", Reference: goldenRef, Done: true, Note: "Anna de Vries <anna.devries@vlinder.example>"},
				{Line: goldenPick(lang, "#intern ", "#internal ") + goldenRef, Command: "intern", Reference: goldenRef, Done: true},
				{Line: goldenPick(lang, "#oordeel", "#judgment"), Why: workflow.RefuseUnknownCommand},
			}}
			return l
		}},
		goldenCase{"manager_result_unverified", "manager_result", func(lang string) workflow.Letter {
			l := goldenManagerLetter(lang)
			l.Manager = &workflow.ManagerView{Unverified: true}
			return l
		}},
		goldenCase{"manager_result_no_command", "manager_result", func(lang string) workflow.Letter {
			l := goldenManagerLetter(lang)
			l.Subject = goldenPick(lang, "Vraag over het overzicht", "Question about the digest")
			l.Manager = &workflow.ManagerView{NoCommand: true}
			return l
		}},
		goldenCase{"case_file", "case_file", func(lang string) workflow.Letter {
			l := goldenLetter(lang, workflow.StatusDecided, goldenJudged)
			l.To = "Mark Bakker"
			l.CaseFile = goldenCaseFile(lang)
			return l
		}},
		goldenCase{"command_result_relay_files", "command_result", func(lang string) workflow.Letter {
			l := goldenLetter(lang, workflow.StatusInProgress, goldenJudged)
			l.To = "Anna de Vries"
			l.Commands = &workflow.CommandsView{Relayed: true, Files: []workflow.FileNote{
				{Name: "verslag-gesprek.pdf", Size: "120 kB"},
				{Name: "filmpje.mp4", Size: "24.0 MB", Why: workflow.FileTooLarge},
				{Name: "rooster.exe", Size: "2 MB", Why: workflow.FileRefused},
			}}
			return l
		}},
	)
}

func goldenManagerLetter(lang string) workflow.Letter {
	l := goldenLetter(lang, workflow.StatusInProgress, goldenJudged)
	l.To = "Mark Bakker"
	l.Subject = "Re: " + goldenPick(lang, "Klachtenoverzicht 10 december 2026", "Complaints overview 10 December 2026")
	return l
}

func goldenCaseFile(lang string) *workflow.CaseFileView {
	at := func(d, h, m int) time.Time { return goldenAt(2026, time.Month(11+(d-1)/30), (d-1)%30+1, h, m) }
	return &workflow.CaseFileView{
		Made: goldenAt(2026, time.December, 11, 9, 15), For: "Mark Bakker",
		Flags:    workflow.CaseFlags{Decided: goldenJudged},
		Measures: []workflow.CaseFileMeasure{{Description: goldenPick(lang, "Ophaalprotocol met het team doorgenomen", "Pick-up protocol reviewed with the team"), Due: goldenDue1, Done: goldenAt(2026, time.December, 20, 0, 0)}},
		// What buildCaseFile makes of the stored timeline, in each language.
		Timeline: []workflow.CaseFileEntry{
			{At: goldenReceived, Kind: "in", What: goldenPick(lang, "bericht ontvangen", "message received"), Actor: "sanne.jansen@example.nl",
				Detail: goldenPick(lang, "klacht: Klacht over het ophalen van Noah", "complaint: Complaint about Noah's pick-up")},
			{At: goldenReceived, Kind: "opened", What: goldenPick(lang, "klacht geopend", "case opened"), Actor: "sanne.jansen@example.nl",
				Detail: goldenPick(lang, "klacht ontvangen 2026-11-19 21:48, oordeel uiterlijk 2026-12-31", "complaint received 2026-11-19 21:48, judgment due by 2026-12-31")},
			{At: goldenReceived, Kind: "out", What: goldenPick(lang, "bericht verstuurd", "message sent"), Actor: "sanne.jansen@example.nl",
				Detail:   goldenPick(lang, "ontvangstbevestiging aan sanne.jansen@example.nl: [KL-2026-0042] Ontvangstbevestiging", "confirmation to sanne.jansen@example.nl: [KL-2026-0042] Confirmation of receipt"),
				Delivery: goldenPick(lang, "afgeleverd bij de mailserver 2026-11-19 21:49", "delivered to the mail server 2026-11-19 21:49")},
			{At: goldenReceived, Kind: "status", What: "status",
				Detail: goldenPick(lang, "ontvangen → ontvangst bevestigd (ontvangstbevestiging verstuurd)", "received → receipt confirmed (confirmation sent)")},
			{At: at(20, 9, 5), Kind: "note", What: goldenPick(lang, "interne notitie", "internal note"), Actor: "anna.devries@vlinder.example", Text: goldenPick(lang, "Gebeld met de pedagogisch medewerker.", "Called the pedagogical employee.")},
		},
		Messages: []workflow.CaseFileMessage{
			{At: goldenReceived, In: true, Kind: "complaint", From: "sanne.jansen@example.nl", To: "klachten@vlinder.example",
				Subject: goldenPick(lang, "Klacht over het ophalen van Noah", "Complaint about Noah's pick-up"), Text: goldenComplaint(lang)},
			{At: goldenReceived, Kind: "confirmation", From: "klachten@vlinder.example", To: "sanne.jansen@example.nl",
				Subject: "[" + goldenRef + "] " + goldenPick(lang, "Ontvangstbevestiging", "Confirmation of receipt"), Text: goldenPick(lang, "Beste Sanne Jansen,\n\nWe hebben je klacht ontvangen.", "Dear Sanne Jansen,\n\nWe have received your complaint."),
				State:    goldenPick(lang, "afgeleverd bij de mailserver", "delivered to the mail server"),
				Attempts: []workflow.DeliveryAttempt{{Attempt: 1, At: goldenReceived, Outcome: goldenPick(lang, "aangenomen", "accepted"), Answer: "250 2.0.0 Ok: queued as 4F2A1"}}},
		},
	}
}

// goldenEvilCaseFile fills a case file with hostile words, for
// TestGoldenOthersWordsAreData.
func goldenEvilCaseFile(text, subject string) *workflow.CaseFileView {
	return &workflow.CaseFileView{
		Made: goldenJudged, For: "<i>Sanne</i>",
		Measures: []workflow.CaseFileMeasure{{Description: "<script>alert(1)</script> {{.Org.Name}}", Due: goldenDue1}},
		Timeline: []workflow.CaseFileEntry{{At: goldenJudged, Kind: "<b>Anna</b>", What: "<b>Anna</b>", Actor: "<i>Sanne</i>", Detail: subject, Text: text}},
		Messages: []workflow.CaseFileMessage{{At: goldenJudged, In: true, From: "<i>Sanne</i>", Subject: subject, Text: text, Attachments: []string{"<script>alert(1)</script>.pdf"}}},
	}
}
