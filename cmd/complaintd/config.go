package main

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/complaintd/complaintd/workflow"
)

// Config is the whole configuration file. Every key can be overridden by an
// environment variable COMPLAINTD_<SECTION>_<KEY> (e.g. COMPLAINTD_IMAP_PASSWORD),
// and by COMPLAINTD_<SECTION>_<KEY>_FILE naming a file that holds the value,
// for secrets kept out of the environment. Lists of tables ([[handlers]])
// come from the file only.
type Config struct {
	Organisation OrganisationConfig `toml:"organisation"`
	Database     DatabaseConfig     `toml:"database"`
	IMAP         IMAPConfig         `toml:"imap"`
	SMTP         SMTPConfig         `toml:"smtp"`
	Handlers     []HandlerConfig    `toml:"handlers"`
	Committees   []CommitteeConfig  `toml:"committees"`
	Managers     []ManagerConfig    `toml:"managers"`
	Schedule     ScheduleConfig     `toml:"schedule"`
	Digest       DigestConfig       `toml:"digest"`
	Trust        TrustConfig        `toml:"trust"`
	Escalation   EscalationConfig   `toml:"escalation"`
	Report       ReportConfig       `toml:"report"`
	Tokens       TokensConfig       `toml:"tokens"`
	Limits       LimitsConfig       `toml:"limits"`
	Templates    TemplatesConfig    `toml:"templates"`
	Processing   ProcessingConfig   `toml:"processing"`
	Log          LogConfig          `toml:"log"`
	HTTP         HTTPConfig         `toml:"http"`
	OAuth2       OAuth2Config       `toml:"oauth2"`
	Safeguarding SafeguardingConfig `toml:"safeguarding"`
}

type OrganisationConfig struct {
	Name     string `toml:"name"`
	Address  string `toml:"address"`
	Timezone string `toml:"timezone"`
	Language string `toml:"language"`
	// AddressForm is how Dutch messages address the parent: "u" or "je".
	AddressForm  string `toml:"address_form"`
	ProcedureURL string `toml:"procedure_url"`
	PrivacyURL   string `toml:"privacy_url"`
	MessageHost  string `toml:"message_id_host"`
	ProgressDays int    `toml:"progress_days"`
	// PlusAddressing puts reply tokens in the Reply-To address.
	PlusAddressing bool     `toml:"plus_addressing"`
	Locations      []string `toml:"locations"`
}

type CommitteeConfig struct {
	Name     string `toml:"name"`
	Address  string `toml:"address"`
	Location string `toml:"location"`
}

type ManagerConfig struct {
	Name      string   `toml:"name"`
	Email     string   `toml:"email"`
	Locations []string `toml:"locations"`
}

type ScheduleConfig struct {
	ReminderDays []int         `toml:"reminder_days"`
	Interval     time.Duration `toml:"interval"`
}

type DigestConfig struct {
	Time        string   `toml:"time"`
	Days        []string `toml:"days"`
	WarningDays int      `toml:"warning_days"`
}

type TrustConfig struct {
	Policy     string `toml:"policy"`
	AuthservID string `toml:"authserv_id"`
	// JudgmentApproval: a judgment waits for #akkoord of a second handler.
	JudgmentApproval bool `toml:"judgment_approval"`
}

type TokensConfig struct {
	Secret          string   `toml:"secret" secret:"true"`
	PreviousSecrets []string `toml:"previous_secrets"`
	MaxAgeDays      int      `toml:"max_age_days"`
}

type LimitsConfig struct {
	PerRecipient int `toml:"per_recipient"`
	PerCase      int `toml:"per_case"`
	// New cases one sender may open per NewCasesWindow (issue 9).
	NewCasesPerSender int           `toml:"new_cases_per_sender"`
	NewCasesWindow    time.Duration `toml:"new_cases_window"`
	Window            time.Duration `toml:"window"`
}

type DatabaseConfig struct {
	URL string `toml:"url" secret:"true"`
	// AllowInsecure accepts a PostgreSQL server elsewhere than on this host
	// without sslmode=verify-full, i.e. without checking its certificate.
	AllowInsecure bool `toml:"allow_insecure"`
}

type IMAPConfig struct {
	Addr              string        `toml:"addr"`
	TLS               string        `toml:"tls"`
	CAFile            string        `toml:"ca_file"`
	AllowInsecure     bool          `toml:"allow_insecure"`
	Auth              string        `toml:"auth"`
	Username          string        `toml:"username"`
	Password          string        `toml:"password" secret:"true"`
	Mailbox           string        `toml:"mailbox"`
	ProcessedMailbox  string        `toml:"processed_mailbox"`
	QuarantineMailbox string        `toml:"quarantine_mailbox"`
	PollInterval      time.Duration `toml:"poll_interval"`
	CommandTimeout    time.Duration `toml:"command_timeout"`
	Workers           int           `toml:"workers"`
}

type SMTPConfig struct {
	Addr          string        `toml:"addr"`
	TLS           string        `toml:"tls"`
	CAFile        string        `toml:"ca_file"`
	AllowInsecure bool          `toml:"allow_insecure"`
	Auth          string        `toml:"auth"`
	Username      string        `toml:"username"`
	Password      string        `toml:"password" secret:"true"`
	HELO          string        `toml:"helo"`
	Timeout       time.Duration `toml:"timeout"`
	Connections   int           `toml:"connections"`
}

type HandlerConfig struct {
	Name      string   `toml:"name"`
	Email     string   `toml:"email"`
	Locations []string `toml:"locations"`
}

type EscalationConfig struct {
	Klachtenloket       string `toml:"klachtenloket"`
	Geschillencommissie string `toml:"geschillencommissie"`
	Fee                 string `toml:"fee"`
	WindowMonths        int    `toml:"window_months"`
	Management          string `toml:"management"`
}

type TemplatesConfig struct {
	Dir string `toml:"dir"`
}

type ProcessingConfig struct {
	MaxAttempts   int `toml:"max_attempts"`
	SendAttempts  int `toml:"send_attempts"`
	AttachLimitMB int `toml:"attach_limit_mb"`
}

type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// defaults are the values of keys the file leaves out.
func defaults() Config {
	return Config{
		Organisation: OrganisationConfig{Timezone: "Europe/Amsterdam", Language: "nl", AddressForm: "u", ProgressDays: 14},
		Database:     DatabaseConfig{URL: "sqlite:complaintd.db"},
		IMAP: IMAPConfig{
			TLS: "implicit", Auth: "password", Mailbox: "INBOX", ProcessedMailbox: "Processed",
			QuarantineMailbox: "Quarantine", PollInterval: time.Minute, CommandTimeout: time.Minute,
		},
		SMTP:       SMTPConfig{TLS: "starttls", Timeout: time.Minute},
		Escalation: EscalationConfig{WindowMonths: 12},
		Report:     ReportConfig{Categories: workflow.DefaultCategories()},
		Processing: ProcessingConfig{MaxAttempts: 3, SendAttempts: 12, AttachLimitMB: 10},
		Limits: LimitsConfig{PerRecipient: 10, PerCase: 50, Window: 24 * time.Hour,
			NewCasesPerSender: 5, NewCasesWindow: 24 * time.Hour},
		// Tokens outlive a case (six weeks, measures, a Geschillencommissie
		// procedure within a year) but not forever (issue 9).
		Tokens: TokensConfig{MaxAgeDays: 400},
		// DMARC proves a domain, not a person: handlers are recognised by
		// their reply tokens unless the operator opts into DMARC (issue 9).
		Trust:    TrustConfig{Policy: "token"},
		Schedule: ScheduleConfig{ReminderDays: []int{28, 35}, Interval: time.Minute},
		Digest:   DigestConfig{Time: "07:30", WarningDays: 14},
		Log:      LogConfig{Level: "info", Format: "text"},

		Safeguarding: defaultSafeguarding(),
	}
}

// loadConfig reads the file at path (none when path is empty), applies the
// environment, and validates the result. Every problem found is reported at
// once, each naming its key.
func loadConfig(path string, env func(string) string) (*Config, error) {
	cfg := defaults()
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return nil, fmt.Errorf("config %s: unknown key(s) %s", path, strings.Join(keys, ", "))
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &cfg, nil
}

// applyEnv overrides every section key from COMPLAINTD_<SECTION>_<KEY> or its _FILE variant.
func applyEnv(cfg *Config, env func(string) string) error {
	var errs []error
	forEachKey(cfg, func(section, key string, f reflect.Value, _ bool) {
		name := "COMPLAINTD_" + strings.ToUpper(section) + "_" + strings.ToUpper(key)
		val, from := env(name), name
		if file := env(name + "_FILE"); file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return
			}
			val, from = strings.TrimRight(string(b), "\r\n"), name+"_FILE"
		}
		if val == "" {
			return
		}
		if err := setValue(f, val); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s.%s): %w", from, section, key, err))
		}
	})
	return errors.Join(errs...)
}

// forEachKey calls fn for every scalar key of every section.
func forEachKey(cfg *Config, fn func(section, key string, f reflect.Value, secret bool)) {
	root := reflect.ValueOf(cfg).Elem()
	for i := range root.NumField() {
		sec := root.Field(i)
		if sec.Kind() != reflect.Struct {
			continue // lists of tables
		}
		section := root.Type().Field(i).Tag.Get("toml")
		for j := range sec.NumField() {
			sf := sec.Type().Field(j)
			if sf.Type.Kind() == reflect.Slice {
				continue
			}
			fn(section, sf.Tag.Get("toml"), sec.Field(j), sf.Tag.Get("secret") == "true")
		}
	}
}

func setValue(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case string:
		f.SetString(s)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	case int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.SetInt(int64(n))
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s or 5m", s)
		}
		f.SetInt(int64(d))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// validate checks every key and names the ones that are wrong.
func (c *Config) validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf(key+": "+format, args...))
	}
	o := c.Organisation
	if strings.TrimSpace(o.Name) == "" {
		bad("organisation.name", "is required (the organisation's name, shown in every message)")
	}
	if a, err := mail.ParseAddress(o.Address); o.Address == "" || err != nil || a.Address != o.Address {
		bad("organisation.address", "%q must be the complaints mailbox address, like klachten@example.nl", o.Address)
	}
	if _, err := time.LoadLocation(o.Timezone); err != nil {
		bad("organisation.timezone", "%q is not a time zone like Europe/Amsterdam", o.Timezone)
	}
	if o.Language != "nl" && o.Language != "en" {
		bad("organisation.language", "%q must be nl or en", o.Language)
	}
	if o.AddressForm != "u" && o.AddressForm != "je" {
		bad("organisation.address_form", "%q must be u (formal) or je (informal): how Dutch messages address the parent", o.AddressForm)
	}
	if o.ProgressDays < 1 {
		bad("organisation.progress_days", "must be at least 1")
	}
	if !strings.HasPrefix(c.Database.URL, "postgres://") && !strings.HasPrefix(c.Database.URL, "postgresql://") &&
		!strings.HasPrefix(c.Database.URL, "sqlite:") {
		bad("database.url", "must start with postgres:// or sqlite:")
	} else if problem := databaseTLSProblem(c.Database.URL); problem != "" && !c.Database.AllowInsecure {
		bad("database.url", "%s; add sslmode=verify-full to the URL (with sslrootcert=FILE for a private CA), or set database.allow_insecure = true", problem)
	}
	checkServer := func(section, addr, tlsMode string, allowInsecure bool) {
		host, port, err := net.SplitHostPort(addr)
		if addr == "" || err != nil || host == "" || port == "" {
			bad(section+".addr", "%q must be host:port", addr)
			return
		}
		switch tlsMode {
		case "implicit", "starttls":
		case "none":
			if !allowInsecure && !isLoopback(host) {
				bad(section+".tls", `"none" sends the password in clear text; only allowed to a loopback address or with %s.allow_insecure = true`, section)
			}
		default:
			bad(section+".tls", "%q must be implicit, starttls or none", tlsMode)
		}
	}
	checkServer("imap", c.IMAP.Addr, c.IMAP.TLS, c.IMAP.AllowInsecure)
	if c.IMAP.Username == "" {
		bad("imap.username", "is required")
	}
	if c.IMAP.Password == "" && !c.imapUsesOAuth2() {
		bad("imap.password", "is required (or set COMPLAINTD_IMAP_PASSWORD or COMPLAINTD_IMAP_PASSWORD_FILE)")
	}
	switch c.IMAP.Auth {
	case "password", "oauth2", "xoauth2", "oauthbearer":
	default:
		bad("imap.auth", "%q must be password, oauth2, xoauth2 or oauthbearer", c.IMAP.Auth)
	}
	if c.IMAP.Mailbox == "" || c.IMAP.ProcessedMailbox == "" || c.IMAP.QuarantineMailbox == "" {
		bad("imap.mailbox", "mailbox, processed_mailbox and quarantine_mailbox must all be named")
	} else if c.IMAP.Mailbox == c.IMAP.ProcessedMailbox || c.IMAP.Mailbox == c.IMAP.QuarantineMailbox {
		bad("imap.processed_mailbox", "processed and quarantine folders must differ from the mailbox polled")
	}
	if c.IMAP.PollInterval < time.Second {
		bad("imap.poll_interval", "%s is too short (at least 1s)", c.IMAP.PollInterval)
	}
	if c.IMAP.Workers < 0 || c.IMAP.Workers > 64 {
		bad("imap.workers", "%d must be 0 (automatic) to 64", c.IMAP.Workers)
	}
	if c.IMAP.CommandTimeout < time.Second {
		bad("imap.command_timeout", "%s is too short (at least 1s)", c.IMAP.CommandTimeout)
	}
	checkServer("smtp", c.SMTP.Addr, c.SMTP.TLS, c.SMTP.AllowInsecure)
	switch c.SMTP.Auth {
	case "", "password":
		if c.SMTP.Username != "" && c.SMTP.Password == "" {
			bad("smtp.password", "is required when smtp.username is set")
		}
	case "oauth2":
		if c.SMTP.Username == "" {
			bad("smtp.username", "is required with smtp.auth = \"oauth2\" (the mailbox's address)")
		}
	default:
		bad("smtp.auth", "%q must be password or oauth2", c.SMTP.Auth)
	}
	if c.SMTP.Connections < 0 || c.SMTP.Connections > 20 {
		bad("smtp.connections", "%d must be 0 (the default, 3) to 20", c.SMTP.Connections)
	}
	errs = append(errs, c.oauth2Problems()...)
	if len(c.Handlers) == 0 {
		bad("handlers", "at least one [[handlers]] entry (name, email) is needed, or complaints reach no one")
	}
	for i, h := range c.Handlers {
		if _, err := mail.ParseAddress(h.Email); err != nil {
			bad(fmt.Sprintf("handlers[%d].email", i), "%q is not an email address", h.Email)
		}
	}
	for i, cm := range c.Committees {
		if strings.TrimSpace(cm.Name) == "" {
			bad(fmt.Sprintf("committees[%d].name", i), "is required")
		}
		if _, err := mail.ParseAddress(cm.Address); err != nil {
			bad(fmt.Sprintf("committees[%d].address", i), "%q is not an email address", cm.Address)
		}
	}
	for i, m := range c.Managers {
		if _, err := mail.ParseAddress(m.Email); err != nil {
			bad(fmt.Sprintf("managers[%d].email", i), "%q is not an email address", m.Email)
		}
	}
	for _, d := range c.Schedule.ReminderDays {
		if d < 1 || d > 41 {
			bad("schedule.reminder_days", "%d must be a number of days between 1 and 41 (the term is 42 days)", d)
		}
	}
	if c.Schedule.Interval < time.Second || c.Schedule.Interval > time.Hour {
		bad("schedule.interval", "%s must be between 1s and 1h", c.Schedule.Interval)
	}
	if _, _, err := parseClock(c.Digest.Time); err != nil {
		bad("digest.time", "%q must be a time of day like 07:30", c.Digest.Time)
	}
	if _, err := parseWeekdays(c.Digest.Days); err != nil {
		bad("digest.days", "%v", err)
	}
	if c.Digest.WarningDays < 1 || c.Digest.WarningDays > 42 {
		bad("digest.warning_days", "%d must be between 1 and 42", c.Digest.WarningDays)
	}
	switch c.Trust.Policy {
	case "token", "token_or_dmarc":
	case "dmarc":
		if c.Trust.AuthservID == "" {
			bad("trust.authserv_id", "is required with trust.policy = \"dmarc\": the authserv-id your receiving server writes in Authentication-Results")
		}
	default:
		bad("trust.policy", "%q must be token, dmarc or token_or_dmarc", c.Trust.Policy)
	}
	if strings.TrimSpace(c.Escalation.Klachtenloket) == "" {
		bad("escalation.klachtenloket", "is required: the contact block of the Klachtenloket Kinderopvang, shown in every confirmation")
	}
	if strings.TrimSpace(c.Escalation.Geschillencommissie) == "" {
		bad("escalation.geschillencommissie", "is required: the contact block of the Geschillencommissie Kinderopvang")
	}
	if c.Escalation.WindowMonths < 1 {
		bad("escalation.window_months", "must be at least 1")
	}
	errs = append(errs, c.Safeguarding.problems()...)
	if s := c.Tokens.Secret; s != "" && len(s) < 32 {
		bad("tokens.secret", "is %d characters; use at least 32 random characters (e.g. openssl rand -hex 32)", len(s))
	}
	for i, s := range c.Tokens.PreviousSecrets {
		if len(s) < 16 {
			bad(fmt.Sprintf("tokens.previous_secrets[%d]", i), "is too short to be a secret")
		}
	}
	if c.Tokens.MaxAgeDays < 0 {
		bad("tokens.max_age_days", "must be 0 (never expire) or more")
	}
	if c.Limits.PerRecipient < 1 || c.Limits.PerCase < 1 {
		bad("limits.per_recipient", "per_recipient and per_case must be at least 1")
	}
	if c.Limits.NewCasesPerSender < 1 {
		bad("limits.new_cases_per_sender", "must be at least 1")
	}
	if c.Limits.NewCasesWindow < time.Minute {
		bad("limits.new_cases_window", "%s is too short (at least 1m)", c.Limits.NewCasesWindow)
	}
	if c.Limits.Window < time.Minute {
		bad("limits.window", "%s is too short (at least 1m)", c.Limits.Window)
	}
	if c.Processing.MaxAttempts < 1 {
		bad("processing.max_attempts", "must be at least 1")
	}
	if c.Processing.AttachLimitMB < 0 {
		bad("processing.attach_limit_mb", "must be 0 (never attach) or more")
	}
	if c.Processing.SendAttempts < 1 {
		bad("processing.send_attempts", "must be at least 1")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q must be text or json", c.Log.Format)
	}
	errs = append(errs, c.HTTP.problems()...)
	errs = append(errs, c.recordProblems()...)
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseClock reads a time of day written as 07:30.
func parseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, 0, err
	}
	return t.Hour(), t.Minute(), nil
}

// parseWeekdays reads weekday names in Dutch or English ("mon", "maandag").
func parseWeekdays(names []string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		found := false
		for d, words := range [][]string{
			{"sun", "sunday", "zo", "zondag"}, {"mon", "monday", "ma", "maandag"}, {"tue", "tuesday", "di", "dinsdag"},
			{"wed", "wednesday", "wo", "woensdag"}, {"thu", "thursday", "do", "donderdag"}, {"fri", "friday", "vr", "vrijdag"},
			{"sat", "saturday", "za", "zaterdag"},
		} {
			for _, w := range words {
				if n == w {
					out, found = append(out, time.Weekday(d)), true
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("%q is not a weekday (mon … sun, or maandag … zondag)", n)
		}
	}
	return out, nil
}
