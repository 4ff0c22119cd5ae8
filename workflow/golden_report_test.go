package workflow_test

import (
	"time"

	"github.com/complaintd/complaintd/workflow"
)

// Golden cases of the annual report's mails to a manager (listed in
// goldenCases).

func goldenReportLetter(lang string) workflow.Letter {
	l := goldenLetter(lang, workflow.StatusDecided, goldenAt(2027, time.May, 1, 7, 30))
	l.To = "Ilse Kramer"
	command := goldenPick(lang, "#verslag-verzonden", "#report-sent")
	l.Report = &workflow.ReportLetter{Year: 2026, Deadline: goldenAt(2027, time.June, 1, 0, 0), Total: 19, Disputes: 5,
		Example: command + " 2027-05-01"}
	return l
}

func goldenReportReminder(lang string) workflow.Letter {
	l := goldenReportLetter(lang)
	l.Report.Attached = goldenPick(lang, "klachtenverslag-2026.html", "complaints-report-2026.html")
	return l
}

// The reminder without an attachment, and with the report's configuration
// still incomplete.
func goldenReportReminderMissing(lang string) workflow.Letter {
	l := goldenReportLetter(lang)
	l.Report.Total, l.Report.Disputes = 1, 1
	l.Report.Missing = []string{"report.regulation_summary", "report.how_parents_informed"}
	return l
}

func goldenReportReply(refused string) func(lang string) workflow.Letter {
	return func(lang string) workflow.Letter {
		l := goldenReportLetter(lang)
		l.Report.Refused = refused
		if refused == "" {
			l.Report.SentOn = goldenAt(2027, time.May, 20, 0, 0)
		}
		return l
	}
}
