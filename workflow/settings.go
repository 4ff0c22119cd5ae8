package workflow

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Settings is the organisation-specific configuration the workflow follows.
type Settings struct {
	Organisation Organisation
	Escalation   Escalation
	// Safeguarding is the track for a possible offence against a child.
	Safeguarding Safeguarding
	Handlers     []Handler
	Tokens       TokenSettings
	Breaker      Breaker
	Flood        Flood
	Trust        Trust
	// Committees are parent committees (oudercommissies) whose address
	// files joint complaints.
	Committees []Committee
	Managers   []Manager
	Schedule   Schedule
	Privacy    Privacy
	// Report is what the record for the annual report offers (issue 13).
	Report Report
	// MaxAttempts is how often processing an inbound message is tried before
	// it is quarantined.
	MaxAttempts int
	// AttachLimit is the largest original message, in bytes, attached to a
	// handler notification (0: never attach); larger ones stay in the case
	// file only, rather than being copied into the outbox per handler.
	AttachLimit int64
	// SendAttempts is how often an outgoing message is offered to the mail
	// server before it is marked failed.
	SendAttempts int
}

// Organisation describes the organisation and its complaints mailbox.
type Organisation struct {
	Name     string
	Address  string         // the complaints address, e.g. klachten@vlinder.example
	Host     string         // domain of our Message-IDs
	Location *time.Location // deadlines are counted in this zone
	Language string         // "nl" or "en"
	// AddressForm is how Dutch messages address the parent: "u" (formal)
	// or "je". English has one form.
	AddressForm string
	// ProcedureURL links the published klachtenregeling (Wko 1.57b(3)).
	ProcedureURL string
	PrivacyURL   string
	// ProgressDays is the promised interval of progress messages.
	ProgressDays int
	// PlusAddressing puts the reply token in the Reply-To address too
	// (klachten+TOKEN@…): replies then find their case even from clients that
	// drop In-Reply-To and References. The mail server must deliver
	// plus-addresses to the mailbox.
	PlusAddressing bool
	// Locations are the organisation's locations (kindercentra, the
	// gastouderbureau); when set, #locatie accepts only these.
	Locations []string
}

// TokenSettings are the secrets reply tokens are signed with.
type TokenSettings struct {
	// Secrets: the first signs new tokens; all of them verify, so a secret
	// can be replaced while tokens issued under the old one keep working.
	Secrets [][]byte
	// MaxAge is how long a token is honoured (0: always). An expired token
	// is ignored; the message is matched by its other headers instead.
	MaxAge time.Duration
}

// Trust says what proves a message comes from a handler.
type Trust struct {
	Policy     string // TrustToken, TrustDMARC or TrustTokenOrDMARC
	AuthservID string // the authserv-id of our own receiving server's Authentication-Results
	// JudgmentApproval: a judgment waits for #akkoord of a second handler
	// before it goes to the parent (four eyes, R12).
	JudgmentApproval bool
}

// Manager is someone who gets the digest of the cases of their locations
// and hears when a case's six weeks pass without a judgment.
type Manager struct {
	Name      string
	Email     string
	Locations []string // empty: all
}

// Schedule is when scheduled work falls due.
type Schedule struct {
	// ReminderDays are the days after receipt at which handlers are
	// reminded of a case without a judgment; empty: none.
	ReminderDays []int
	// DigestHour and DigestMinute are the local time of day of the
	// managers' digest: 0:00 is midnight.
	DigestHour, DigestMinute int
	// DigestDays are the weekdays with a digest; empty is every day.
	DigestDays []time.Weekday
	// WarningDays: cases with at most this many days left are listed in the
	// digest.
	WarningDays int
	// Interval is how often the scheduler looks for due work.
	Interval time.Duration
}

// Committee is a parent committee (oudercommissie) that may file joint
// complaints from its address.
type Committee struct {
	Name     string
	Address  string
	Location string
}

// Breaker caps automatic mail, so that a correspondent that answers every
// message automatically (without saying so in its headers) cannot drive an
// endless exchange. What is held back is recorded, never silently dropped.
type Breaker struct {
	PerRecipient int // automatic messages to one outside address per Window
	PerCase      int // automatic messages about one case per Window
	Window       time.Duration
}

// Escalation is the independent help every parent is told about (Wko 1.57c).
// The texts are contact blocks from configuration: contact details change and
// must be verified by the organisation, so none are built in.
type Escalation struct {
	Klachtenloket       string
	Geschillencommissie string
	Fee                 string // e.g. "€ 25"; empty leaves the amount out
	WindowMonths        int    // filing window at the Geschillencommissie
	// Management is a contact in management for a parent whose complaint
	// is late (complaint-law.md 9.4 item 6), shown as written; optional.
	Management string
}

// Handler is a member of staff who handles complaints.
type Handler struct {
	Name      string
	Email     string
	Locations []string
}

// Validate checks the workflow's own invariants on settings taken as given:
// nothing is filled in (cmd/complaintd owns the defaults; zero is never
// "use the default" here). Errors name the setting.
func (s Settings) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	o := s.Organisation
	if strings.TrimSpace(o.Name) == "" {
		bad("organisation.name is empty")
	}
	if !plainAddress(o.Address) {
		bad("organisation.address %q is not a plain email address", o.Address)
	}
	if o.Host == "" {
		bad("organisation.message_id_host is empty")
	}
	if o.Location == nil {
		bad("organisation.timezone is not set")
	}
	if o.Language != "nl" && o.Language != "en" {
		bad("organisation.language %q: must be nl or en", o.Language)
	}
	if o.AddressForm != "u" && o.AddressForm != "je" {
		bad("organisation.address_form %q: must be u or je", o.AddressForm)
	}
	if o.ProgressDays < 1 {
		bad("organisation.progress_days %d: must be at least 1", o.ProgressDays)
	}
	if strings.TrimSpace(s.Escalation.Klachtenloket) == "" {
		bad("escalation.klachtenloket is empty: the contact block of the Klachtenloket Kinderopvang must be in every confirmation")
	}
	if strings.TrimSpace(s.Escalation.Geschillencommissie) == "" {
		bad("escalation.geschillencommissie is empty: the contact block of the Geschillencommissie Kinderopvang must be in every judgment")
	}
	if s.Escalation.WindowMonths < 1 {
		bad("escalation.window_months %d: must be at least 1", s.Escalation.WindowMonths)
	}
	errs = append(errs, s.Safeguarding.problems()...)
	if len(s.Handlers) == 0 {
		bad("handlers: at least one [[handlers]] entry is needed, or complaints reach no one")
	}
	for i, h := range s.Handlers {
		if !plainLowerAddress(h.Email) {
			bad("handlers[%d].email %q is not a plain lower-case email address", i, h.Email)
		}
		if h.Name == "" {
			bad("handlers[%d].name is empty", i)
		}
	}
	if len(s.Tokens.Secrets) == 0 {
		bad("tokens: no secret to sign reply tokens with")
	}
	for i, sec := range s.Tokens.Secrets {
		if len(sec) < 16 {
			bad("tokens: secret %d is shorter than 16 bytes", i+1)
		}
	}
	if s.Tokens.MaxAge < 0 {
		bad("tokens.max_age %v is negative (0: always honoured)", s.Tokens.MaxAge)
	}
	switch s.Trust.Policy {
	case TrustToken, TrustTokenOrDMARC:
	case TrustDMARC:
		if s.Trust.AuthservID == "" {
			bad("trust.authserv_id is needed when trust.policy is dmarc")
		}
	default:
		bad("trust.policy %q: must be token, dmarc or token_or_dmarc", s.Trust.Policy)
	}
	if s.Trust.JudgmentApproval && len(s.Handlers) < 2 {
		bad("trust.judgment_approval needs at least two handlers")
	}
	for i, c := range s.Committees {
		if !plainLowerAddress(c.Address) {
			bad("committees[%d].address %q is not a plain lower-case email address", i, c.Address)
		}
		if strings.TrimSpace(c.Name) == "" {
			bad("committees[%d].name is empty", i)
		}
	}
	for _, d := range s.Schedule.ReminderDays {
		if d < 1 || d >= TermDays {
			bad("schedule.reminder_days: %d must be between 1 and %d", d, TermDays-1)
		}
	}
	if h, m := s.Schedule.DigestHour, s.Schedule.DigestMinute; h < 0 || h > 23 || m < 0 || m > 59 {
		bad("digest.time %02d:%02d is not a time of day", h, m)
	}
	if s.Schedule.WarningDays < 1 {
		bad("digest.warning_days %d: must be at least 1", s.Schedule.WarningDays)
	}
	if s.Schedule.Interval <= 0 {
		bad("schedule.interval %v: must be positive", s.Schedule.Interval)
	}
	for i, m := range s.Managers {
		if !plainLowerAddress(m.Email) {
			bad("managers[%d].email %q is not a plain lower-case email address", i, m.Email)
		}
		if m.Name == "" {
			bad("managers[%d].name is empty", i)
		}
	}
	if s.Breaker.PerRecipient < 1 || s.Breaker.PerCase < 1 || s.Breaker.Window <= 0 {
		bad("limits: per_recipient (%d) and per_case (%d) must be at least 1 and window (%v) positive",
			s.Breaker.PerRecipient, s.Breaker.PerCase, s.Breaker.Window)
	}
	if s.Flood.NewCasesPerSender < 1 || s.Flood.NewCasesWindow <= 0 {
		bad("limits: new_cases_per_sender (%d) must be at least 1 and new_cases_window (%v) positive",
			s.Flood.NewCasesPerSender, s.Flood.NewCasesWindow)
	}
	if s.MaxAttempts < 1 {
		bad("processing.max_attempts %d: must be at least 1", s.MaxAttempts)
	}
	if s.AttachLimit < 0 {
		bad("processing.attach_limit %d is negative (0: never attach)", s.AttachLimit)
	}
	if s.SendAttempts < 1 {
		bad("processing.send_attempts %d: must be at least 1", s.SendAttempts)
	}
	if s.Privacy.AnonymiseAfterMonths < 1 {
		bad("privacy.anonymise_after_months %d: must be at least 1", s.Privacy.AnonymiseAfterMonths)
	}
	errs = append(errs, s.Report.problems()...)
	return errors.Join(errs...)
}

// plainAddress reports whether a is an email address alone, without a
// display name or angle brackets.
func plainAddress(a string) bool {
	p, err := mail.ParseAddress(a)
	return err == nil && p.Address == a
}

// plainLowerAddress is plainAddress in lower case: the form addresses are
// compared in.
func plainLowerAddress(a string) bool { return plainAddress(a) && a == strings.ToLower(a) }

// handler returns the configured handler with this address.
func (s *Settings) handler(email string) (Handler, bool) {
	for _, h := range s.Handlers {
		if h.Email == strings.ToLower(email) {
			return h, true
		}
	}
	return Handler{}, false
}
