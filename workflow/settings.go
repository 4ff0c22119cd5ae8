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
	// Report is what the record for the annual report offers (issue 13).
	Report Report
	// MaxAttempts is how often processing an inbound message is tried before
	// it is quarantined (default 3).
	MaxAttempts int
	// AttachLimit is the largest original message attached to a handler
	// notification (default 10 MB; negative: never); larger ones stay in the
	// case file only, rather than being copied into the outbox per handler.
	AttachLimit int64
	// SendAttempts is how often an outgoing message is offered to the mail
	// server before it is marked failed (default 12, about a day of backoff).
	SendAttempts int
}

// Organisation describes the organisation and its complaints mailbox.
type Organisation struct {
	Name     string
	Address  string         // the complaints address, e.g. klachten@vlinder.example
	Host     string         // domain of our Message-IDs; default the domain of Address
	Location *time.Location // deadlines are counted in this zone
	Language string         // "nl" or "en"
	// AddressForm is how Dutch messages address the parent: "u" (formal,
	// the default when empty) or "je". English has one form.
	AddressForm string
	// ProcedureURL links the published klachtenregeling (Wko 1.57b(3)).
	ProcedureURL string
	PrivacyURL   string
	// ProgressDays is the promised interval of progress messages (default 14).
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
	Policy     string // TrustToken (default), TrustDMARC or TrustTokenOrDMARC
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
	// reminded of a case without a judgment (default 28 and 35).
	ReminderDays []int
	// DigestTime is the local time of day of the managers' digest
	// (default 07:30), as hours and minutes.
	DigestHour, DigestMinute int
	// DigestTimeSet: DigestHour and DigestMinute were configured, so 0:00
	// is midnight as written rather than "unset, use the default".
	DigestTimeSet bool
	// DigestDays are the weekdays with a digest; empty is every day.
	DigestDays []time.Weekday
	// WarningDays: cases with at most this many days left are listed in the
	// digest (default 14).
	WarningDays int
	// Interval is how often the scheduler looks for due work (default 1m).
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
	PerRecipient int           // automatic messages to one outside address per Window (default 10)
	PerCase      int           // automatic messages about one case per Window (default 50)
	Window       time.Duration // default 24h
}

// Escalation is the independent help every parent is told about (Wko 1.57c).
// The texts are contact blocks from configuration: contact details change and
// must be verified by the organisation, so none are built in.
type Escalation struct {
	Klachtenloket       string
	Geschillencommissie string
	Fee                 string // e.g. "€ 25"; empty leaves the amount out
	WindowMonths        int    // filing window at the Geschillencommissie (default 12)
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

// ValidateAndFillDefaults checks settings and fills in the defaults of what
// is left zero. Errors name the setting.
func (s *Settings) ValidateAndFillDefaults() error {
	var errs []error
	o := &s.Organisation
	if strings.TrimSpace(o.Name) == "" {
		errs = append(errs, errors.New("organisation.name is empty"))
	}
	if a, err := mail.ParseAddress(o.Address); err != nil || a.Address != o.Address {
		errs = append(errs, fmt.Errorf("organisation.address %q is not a plain email address", o.Address))
	} else if o.Host == "" {
		o.Host = o.Address[strings.LastIndex(o.Address, "@")+1:]
	}
	if o.Location == nil {
		errs = append(errs, errors.New("organisation.timezone is not set"))
	}
	if o.Language != "nl" && o.Language != "en" {
		errs = append(errs, fmt.Errorf("organisation.language %q: must be nl or en", o.Language))
	}
	if o.AddressForm != "" && o.AddressForm != "u" && o.AddressForm != "je" {
		errs = append(errs, fmt.Errorf("organisation.address_form %q: must be u or je", o.AddressForm))
	}
	if o.ProgressDays == 0 {
		o.ProgressDays = 14
	}
	if strings.TrimSpace(s.Escalation.Klachtenloket) == "" {
		errs = append(errs, errors.New("escalation.klachtenloket is empty: the contact block of the Klachtenloket Kinderopvang must be in every confirmation"))
	}
	if strings.TrimSpace(s.Escalation.Geschillencommissie) == "" {
		errs = append(errs, errors.New("escalation.geschillencommissie is empty: the contact block of the Geschillencommissie Kinderopvang must be in every judgment"))
	}
	if s.Escalation.WindowMonths == 0 {
		s.Escalation.WindowMonths = 12
	}
	errs = append(errs, s.Safeguarding.fill()...)
	if len(s.Handlers) == 0 {
		errs = append(errs, errors.New("handlers: at least one [[handlers]] entry is needed, or complaints reach no one"))
	}
	for i := range s.Handlers {
		h := &s.Handlers[i]
		a, err := mail.ParseAddress(h.Email)
		if err != nil {
			errs = append(errs, fmt.Errorf("handlers[%d].email %q: %v", i, h.Email, err))
			continue
		}
		h.Email = strings.ToLower(a.Address)
		if h.Name == "" {
			h.Name = a.Name
		}
		if h.Name == "" {
			h.Name = h.Email
		}
	}
	if len(s.Tokens.Secrets) == 0 {
		errs = append(errs, errors.New("tokens: no secret to sign reply tokens with"))
	}
	for i, sec := range s.Tokens.Secrets {
		if len(sec) < 16 {
			errs = append(errs, fmt.Errorf("tokens: secret %d is shorter than 16 bytes", i+1))
		}
	}
	switch s.Trust.Policy {
	case "":
		s.Trust.Policy = TrustToken
	case TrustToken, TrustTokenOrDMARC:
	case TrustDMARC:
		if s.Trust.AuthservID == "" {
			errs = append(errs, errors.New("trust.authserv_id is needed when trust.policy is dmarc"))
		}
	default:
		errs = append(errs, fmt.Errorf("trust.policy %q: must be token, dmarc or token_or_dmarc", s.Trust.Policy))
	}
	for i := range s.Committees {
		c := &s.Committees[i]
		a, err := mail.ParseAddress(c.Address)
		if err != nil {
			errs = append(errs, fmt.Errorf("committees[%d].address %q: %v", i, c.Address, err))
			continue
		}
		c.Address = strings.ToLower(a.Address)
		if strings.TrimSpace(c.Name) == "" {
			errs = append(errs, fmt.Errorf("committees[%d].name is empty", i))
		}
	}
	if len(s.Schedule.ReminderDays) == 0 {
		s.Schedule.ReminderDays = []int{28, 35}
	}
	for _, d := range s.Schedule.ReminderDays {
		if d < 1 || d >= TermDays {
			errs = append(errs, fmt.Errorf("schedule.reminder_days: %d must be between 1 and %d", d, TermDays-1))
		}
	}
	if !s.Schedule.DigestTimeSet && s.Schedule.DigestHour == 0 && s.Schedule.DigestMinute == 0 {
		s.Schedule.DigestHour, s.Schedule.DigestMinute = 7, 30
	}
	if s.Schedule.WarningDays == 0 {
		s.Schedule.WarningDays = 14
	}
	if s.Schedule.Interval == 0 {
		s.Schedule.Interval = time.Minute
	}
	for i := range s.Managers {
		m := &s.Managers[i]
		a, err := mail.ParseAddress(m.Email)
		if err != nil {
			errs = append(errs, fmt.Errorf("managers[%d].email %q: %v", i, m.Email, err))
			continue
		}
		m.Email = strings.ToLower(a.Address)
		if m.Name == "" {
			m.Name = m.Email
		}
	}
	if s.Breaker.PerRecipient == 0 {
		s.Breaker.PerRecipient = 10
	}
	if s.Breaker.PerCase == 0 {
		s.Breaker.PerCase = 50
	}
	if s.Breaker.Window == 0 {
		s.Breaker.Window = 24 * time.Hour
	}
	if s.Flood.NewCasesPerSender == 0 {
		s.Flood.NewCasesPerSender = 5
	}
	if s.Flood.NewCasesWindow == 0 {
		s.Flood.NewCasesWindow = 24 * time.Hour
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 3
	}
	if s.AttachLimit == 0 {
		s.AttachLimit = 10 << 20
	}
	if s.SendAttempts == 0 {
		s.SendAttempts = 12
	}
	errs = append(errs, s.Report.fill()...)
	return errors.Join(errs...)
}

// handler returns the configured handler with this address.
func (s *Settings) handler(email string) (Handler, bool) {
	for _, h := range s.Handlers {
		if h.Email == strings.ToLower(email) {
			return h, true
		}
	}
	return Handler{}, false
}
