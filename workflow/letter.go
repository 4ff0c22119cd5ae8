package workflow

import (
	"fmt"
	"strings"
	"time"
)

// Letter is the data every message template receives. Text and the case's
// subject are other people's words: templates show them, never run them.
type Letter struct {
	Org        Organisation
	Escalation EscalationView
	Case       CaseView
	To         string // the recipient's name, for the greeting
	From       string // who wrote the message being passed on ("Name <address>")
	// FromName is that person as a subject names them: their name, or
	// their address when the message gave no name (issue 11: never
	// "Name <address>" in a subject line).
	FromName    string
	At          time.Time // when that message arrived
	Text        string    // the words of the message being confirmed or passed on
	Subject     string    // the subject of the message a notice is about (a bounced mail)
	Attachments []string  // "name (type, size)" of that message's attachments
	Original    bool      // the original message is attached
	// OriginalSize is the size of the original message, for the note that it
	// was too large to attach.
	OriginalSize string
	// Withheld: the confirmation does not repeat the complaint's words
	// (Reply-To named another address, or the sender failed DMARC).
	Withheld bool
	// Unverified: our receiving server said the message failed DMARC for
	// its sender's domain, so From may be forged; handler notifications say
	// so (issue 9).
	Unverified bool
	// ClaimedHandler is the name of the handler whose address an
	// unverified message used: other handlers read that it is not from them
	// and that nothing it asked was done.
	ClaimedHandler string

	// Writer is the name of the handler whose words a message carries (a
	// relayed answer, a judgment, a withdrawal or closing note).
	Writer string
	// Judgment is the judgment of a case: set in the judgment itself and in
	// the closing message.
	Judgment *JudgmentView
	// Commands is the outcome of a handler's command lines, for the reply
	// that confirms or refuses them.
	Commands *CommandsView
	// Spoof describes a message that claimed to come from a handler but
	// could not be verified, for the alert to that handler.
	Spoof *SpoofView
	// Flood is the notice that a sender's new complaints are over the limit.
	Flood *FloodView
	// Safeguarding is the notice that a case may reveal an offence against
	// a child, or that this was a false alarm.
	Safeguarding *SafeguardingView
	// Measure is the measure a measure-due reminder is about.
	Measure *MeasureView
	// Moved are the measures that got a later date, for the message that
	// tells the parent.
	Moved []MeasureView
	// Added are measures added to a decided case's judgment, each with its
	// date, for the same message.
	Added []MeasureView
	// Done are the measures just carried out, for the message that tells
	// the parent while others are still open.
	Done []MeasureView
	// NextUpdate is the latest date of the next progress message, when it
	// comes before the judgment is due (zero otherwise).
	NextUpdate time.Time
	// ExpectedJudgment is the date by which the parent may now expect the
	// judgment, in the deadline-passed notice (complaint-law.md 9.4).
	ExpectedJudgment time.Time
	// ForManager: the message goes to a manager, who does not handle cases
	// by mail; staff notices then say who does and what the parent may do.
	ForManager bool
	// Digest is a manager's overview.
	Digest *DigestView
	// Report is the annual report's reminder or reply to a manager.
	Report *ReportLetter
	// Manager is what came of a manager's request by mail (#dossier,
	// #toewijzen, #intern), for the answer to them.
	Manager *ManagerView
	// CaseFile is the whole record of a case, for the case file (#dossier).
	CaseFile *CaseFileView
	// Record is what the record for the annual report asks of handlers, or
	// suggests to them (issue 13).
	Record *RecordView
}

// AddressForm is how the letter addresses its reader in Dutch: the
// organisation's form ("u" or "je", issue 11), except that a parent
// committee is addressed as a body, always with "u", which is singular and
// plural alike ("je" would address one parent).
func (l Letter) AddressForm() string {
	if l.Case.Joint || l.Org.AddressForm == "" {
		return "u"
	}
	return l.Org.AddressForm
}

// DigestView is a manager's overview of the cases of their locations at one
// moment. Every list is sorted by days left, the most urgent first.
type DigestView struct {
	Date        time.Time   // the day of the digest, in the organisation's zone
	Locations   []string    // the manager's locations; empty means all
	WarningDays int         // "within the warning window" means at most this many days left
	Overdue     []DigestRow // open cases whose six weeks have passed without a judgment
	Warning     []DigestRow // open cases with at most WarningDays days left
	Measures    []MeasureRow
	New         []DigestRow // cases received since the previous digest
	Unreachable []DigestRow // complainants whose mail bounced or was refused
	Since       time.Time   // when the previous digest was made (zero: none)

	// PrivacyRequests are requests for access or erasure (AVG) not yet
	// marked done, the first due first.
	PrivacyRequests []PrivacyRequestRow
}

// References are the cases the digest names, for the access log.
func (v *DigestView) References() []string {
	var refs []string
	for _, rows := range [][]DigestRow{v.Overdue, v.Warning, v.New, v.Unreachable} {
		for _, r := range rows {
			refs = append(refs, r.Reference)
		}
	}
	for _, m := range v.Measures {
		refs = append(refs, m.Reference)
	}
	return refs
}

// DigestRow is one case in a digest.
type DigestRow struct {
	Reference string
	Subject   string
	Location  string // "" when not yet known
	Handler   string // the assigned handler's name, "" when nobody is assigned
	// HandlerEmail is how a manager reaches that handler.
	HandlerEmail string
	// Joint marks a joint complaint of a parent committee.
	Joint bool
	// Safeguarding marks a case flagged as a possible offence against a
	// child (signal words, #signaal).
	Safeguarding bool
	Status       string // a case state, shown with the status function
	Deadline     time.Time
	DaysLeft     int  // negative once the deadline has passed
	Urgent       bool // overdue, or at most 3 days left: marked in the table
	Open         bool // no judgment yet: only then do the days left matter
}

// MeasureRow is a measure due or overdue in a digest.
type MeasureRow struct {
	Reference   string
	Location    string
	Handler     string
	Description string
	Due         time.Time
	DaysOverdue int // 0 when due today
}

// JudgmentView is the written, reasoned judgment (Wko 1.57b(2)(e)-(f)).
type JudgmentView struct {
	Date       time.Time     // the date of the judgment, in the organisation's zone
	Measures   []MeasureView // each with the date by which it will be realised
	NoMeasures bool          // the handler stated that no measures follow
	// Verdict: gegrond, deels-gegrond or ongegrond (R8); the templates
	// word it for the parent.
	Verdict string
}

// MeasureView is one measure and the date by which it will be realised.
type MeasureView struct {
	Description string
	Due         time.Time // a date (midnight) in the organisation's zone
	Done        bool
	MovedFrom   time.Time // the earlier date, for a measure given a new one
}

// CommandsView is what came of a handler's command lines: everything was
// applied, or nothing was and Refused says which lines are wrong and why.
type CommandsView struct {
	Applied []string  // one human-readable line per applied command, in order
	Refused []Refusal // empty when applied
	// NoteKept: text below the commands was kept as an internal note rather
	// than sent to the parent (only #oordeel, #ingetrokken and #afgerond
	// send their text to the parent).
	NoteKept bool
	// EmptyAnswer: a handler's message without commands held no new text
	// (all quote, or an answer below the quote), so nothing was relayed.
	EmptyAnswer bool
	// Sent lists what went to the complainant because of these commands,
	// e.g. "the judgment", "the confirmation of the withdrawal".
	Sent []string
	// Relayed: the handler's answer went to the parent (no commands); the
	// result is sent only to list its files.
	Relayed bool
	// Files are the handler's attachments: those passed on to the parent
	// and those left out, with why.
	Files []FileNote
}

// Refusal is one command line that cannot be applied, and why.
type Refusal struct {
	Line string
	Why  string
}

// SpoofView describes an unverified message in a handler's name.
type SpoofView struct {
	Claimed string    // the handler address in its From
	At      time.Time // when it arrived
	Subject string
	Why     string // why it failed verification, e.g. "no reply token of yours and Authentication-Results dmarc=fail"
	Applied bool   // always false: nothing it asked for was done; kept for the template's wording
	// Suppressed counts the messages in the handler's name that failed
	// verification since Previous, the last alert, without an alert of
	// their own (at most one alert per hour is sent).
	Suppressed int
	Previous   time.Time
}

// FloodView describes a sender whose new complaints went over the limit.
type FloodView struct {
	Sender string    // the From address
	Limit  int       // new cases one sender may open per window
	Window string    // the window, in words: "24 uur", "1 hour"
	Until  time.Time // when new complaints from the sender open cases again, at the latest
}

// EscalationView is Escalation with the filing window worked out for a case.
// It repeats Escalation's fields rather than embedding it: text/template
// finds a promoted field with a search that allocates, at every use in
// every message (TestEscalationViewHasEveryEscalationField keeps the two
// alike).
type EscalationView struct {
	Klachtenloket       string
	Geschillencommissie string
	Fee                 string
	WindowMonths        int
	Management          string
	WindowEnd           time.Time
}

// escalationView is e with the filing window ending at windowEnd.
func escalationView(e Escalation, windowEnd time.Time) EscalationView {
	return EscalationView{
		Klachtenloket: e.Klachtenloket, Geschillencommissie: e.Geschillencommissie, Fee: e.Fee,
		WindowMonths: e.WindowMonths, Management: e.Management, WindowEnd: windowEnd,
	}
}

// CaseView is a case as messages describe it, dates in the organisation's zone.
type CaseView struct {
	Reference        string
	Subject          string
	Status           string
	Kind             string
	Joint            bool
	Committee        string
	Location         string
	Handler          string // name of the assigned handler, if any
	HandlerEmail     string // and their address, for managers who want to reach them
	ComplainantName  string
	ComplainantEmail string
	ReceivedAt       time.Time
	Deadline         time.Time // the last day of the term
	DaysLeft         int
}

// Open reports whether the case still awaits its judgment: only then do
// the days left mean something.
func (c CaseView) Open() bool { return Case{Status: c.Status}.Open() }

// maxQuotedText bounds how much of a message is repeated in a notification.
const maxQuotedText = 20000

// letter builds the common part of a Letter for c.
func (w *Workflow) letter(c *Case, to string) Letter {
	loc := w.set.Organisation.Location
	handler := ""
	if h, ok := w.set.handler(c.Assignee); ok {
		handler = h.Name
	}
	return Letter{
		Org:        w.set.Organisation,
		Escalation: escalationView(w.set.Escalation, windowEnd(c.ReceivedAt, w.set.Escalation.WindowMonths, loc)),
		Case: CaseView{
			Reference:        c.Reference,
			Subject:          c.Subject,
			Status:           c.Status,
			Kind:             c.Kind,
			Joint:            c.Kind == KindCommittee,
			Committee:        c.Committee,
			Location:         c.Location,
			Handler:          handler,
			HandlerEmail:     c.Assignee,
			ComplainantName:  c.ComplainantName,
			ComplainantEmail: c.ComplainantEmail,
			ReceivedAt:       c.ReceivedAt.In(loc),
			Deadline:         LastDay(c.DeadlineAt, loc),
			DaysLeft:         daysBetween(w.clock.Now(), LastDay(c.DeadlineAt, loc), loc),
		},
		To: to,
	}
}

// excerpt shortens text to what a notification should repeat.
func excerpt(text string) string {
	if len(text) <= maxQuotedText {
		return text
	}
	cut := strings.LastIndex(text[:maxQuotedText], "\n")
	if cut < maxQuotedText/2 {
		cut = maxQuotedText
	}
	return strings.ToValidUTF8(text[:cut], "") + "\n[…]"
}

// attachmentList describes a message's attachments for a notification.
func (w *Workflow) attachmentList(m Mail) []string {
	var out []string
	for i := range m.AttachmentCount() {
		name, typ, size := m.Attachment(i)
		if name == "" {
			name = w.phrase("attachment.unnamed")
		}
		out = append(out, fmt.Sprintf("%s (%s, %s)", name, typ, humanSize(size)))
	}
	return out
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d kB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
