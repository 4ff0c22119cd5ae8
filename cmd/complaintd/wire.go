package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/mail"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/oauth"
	"github.com/complaintd/complaintd/ops"
	"github.com/complaintd/complaintd/report"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// newLogger builds the structured logger the configuration asks for.
func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB connects to the configured database and migrates it. It is for
// the commands that act (run, demo, migrate, digest -send): on SQLite it
// holds the file for the handle's life, so a second daemon on the same file
// is refused before it migrates or polls anything.
func openDB(ctx context.Context, cfg *Config) (*store.DB, error) {
	return openDBWith(ctx, cfg, store.Options{Exclusive: true})
}

// openDBWith is openDB with the given options.
func openDBWith(ctx context.Context, cfg *Config, opts store.Options) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.Database.URL, opts)
	if err != nil {
		return nil, fmt.Errorf("database.url: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openExistingDB is openDB for the commands that only look (cases, due,
// digest, quarantine): an SQLite file that does not exist is an error, not a
// new empty database that would answer "nothing" to every question; and the
// file is shared, so they work beside a running daemon.
func openExistingDB(ctx context.Context, cfg *Config) (*store.DB, error) {
	if path, ok := sqlitePath(cfg.Database.URL); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("database.url: %s does not exist: check database.url (the daemon creates the database when it first runs)", path)
		}
	}
	return openDBWith(ctx, cfg, store.Options{})
}

// sqlitePath is the file of an sqlite: database URL.
func sqlitePath(url string) (string, bool) {
	path, ok := strings.CutPrefix(url, "sqlite:")
	path, _, _ = strings.Cut(strings.TrimPrefix(path, "//"), "?")
	return path, ok
}

// settings maps the configuration onto the workflow's settings. stored is
// the token secret the daemon keeps in its database: it signs tokens when no
// secret is configured, and keeps verifying them after one is.
func settings(cfg *Config, stored []byte) workflow.Settings {
	loc, _ := time.LoadLocation(cfg.Organisation.Timezone) // validated
	s := workflow.Settings{
		Organisation: workflow.Organisation{
			Name: cfg.Organisation.Name, Address: cfg.Organisation.Address, Host: cfg.messageHost(),
			Location: loc, Language: cfg.Organisation.Language,
			ProcedureURL: cfg.Organisation.ProcedureURL, PrivacyURL: cfg.Organisation.PrivacyURL,
			AddressForm:  cfg.Organisation.AddressForm,
			ProgressDays: cfg.Organisation.ProgressDays, PlusAddressing: cfg.Organisation.PlusAddressing,
			Locations: cfg.Organisation.Locations,
		},
		Trust: workflow.Trust{Policy: cfg.Trust.Policy, AuthservID: cfg.Trust.AuthservID, JudgmentApproval: cfg.Trust.JudgmentApproval},
		Report: workflow.Report{Categories: categoryNames(cfg.Report.Categories),
			RegulationSummary: cfg.Report.RegulationSummary, HowParentsInformed: cfg.Report.HowParentsInformed},
		Tokens: workflow.TokenSettings{MaxAge: time.Duration(cfg.Tokens.MaxAgeDays) * 24 * time.Hour},
		Breaker: workflow.Breaker{
			PerRecipient: cfg.Limits.PerRecipient, PerCase: cfg.Limits.PerCase, Window: cfg.Limits.Window,
		},
		Flood: workflow.Flood{NewCasesPerSender: cfg.Limits.NewCasesPerSender, NewCasesWindow: cfg.Limits.NewCasesWindow},
		Escalation: workflow.Escalation{
			Klachtenloket: cfg.Escalation.Klachtenloket, Geschillencommissie: cfg.Escalation.Geschillencommissie,
			Fee: cfg.Escalation.Fee, WindowMonths: cfg.Escalation.WindowMonths, Management: cfg.Escalation.Management,
		},
		Safeguarding: cfg.Safeguarding.settings(),
		MaxAttempts:  cfg.Processing.MaxAttempts,
		SendAttempts: cfg.Processing.SendAttempts,
		AttachLimit:  int64(cfg.Processing.AttachLimitMB) << 20, // 0: never
		Privacy:      workflow.Privacy{AnonymiseAfterMonths: cfg.Privacy.AnonymiseAfterMonths},
	}
	for _, h := range cfg.Handlers {
		name, email := person(h.Name, h.Email)
		s.Handlers = append(s.Handlers, workflow.Handler{Name: name, Email: email, Locations: h.Locations})
	}
	for _, m := range cfg.Managers {
		name, email := person(m.Name, m.Email)
		s.Managers = append(s.Managers, workflow.Manager{Name: name, Email: email, Locations: m.Locations})
	}
	hour, minute, _ := parseClock(cfg.Digest.Time) // validated
	days, _ := parseWeekdays(cfg.Digest.Days)
	s.Schedule = workflow.Schedule{
		ReminderDays: cfg.Schedule.ReminderDays, DigestHour: hour, DigestMinute: minute, DigestDays: days,
		WarningDays: cfg.Digest.WarningDays, Interval: cfg.Schedule.Interval,
	}
	for _, c := range cfg.Committees {
		_, address := person("", c.Address)
		s.Committees = append(s.Committees, workflow.Committee{Name: c.Name, Address: address, Location: c.Location})
	}
	if cfg.Tokens.Secret != "" {
		s.Tokens.Secrets = append(s.Tokens.Secrets, []byte(cfg.Tokens.Secret))
	}
	for _, p := range cfg.Tokens.PreviousSecrets {
		s.Tokens.Secrets = append(s.Tokens.Secrets, []byte(p))
	}
	if stored != nil {
		s.Tokens.Secrets = append(s.Tokens.Secrets, stored)
	}
	return s
}

// person is a configured name and address as the workflow compares them:
// the address alone, in lower case (validate has parsed it), and the name
// as configured, else the address's display name, else the address.
func person(name, address string) (string, string) {
	a, err := mail.ParseAddress(address)
	if err != nil { // not after validate
		return name, strings.ToLower(address)
	}
	email := strings.ToLower(a.Address)
	switch {
	case name != "":
		return name, email
	case a.Name != "":
		return a.Name, email
	}
	return email, email
}

// messageHost is organisation.message_id_host, by default the domain of
// organisation.address.
func (c *Config) messageHost() string {
	if c.Organisation.MessageHost != "" {
		return c.Organisation.MessageHost
	}
	a := c.Organisation.Address
	return a[strings.LastIndex(a, "@")+1:]
}

// categoryNames are report.categories with their spacing made single.
func categoryNames(list []string) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = strings.Join(strings.Fields(c), " ")
	}
	return out
}

// workflowSettings is settings with the token secret kept in the database.
func workflowSettings(ctx context.Context, cfg *Config, db *store.DB) (workflow.Settings, error) {
	stored, err := workflow.StoredTokenSecret(ctx, db)
	if err != nil {
		return workflow.Settings{}, err
	}
	return settings(cfg, stored), nil
}

// parseMail adapts mailbox.Parse to the workflow's Parser.
func parseMail(raw []byte) (workflow.Mail, error) {
	m, err := mailbox.Parse(raw)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// loadCAs reads an extra PEM bundle to trust; empty means the system roots.
func loadCAs(key, file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", key, file)
	}
	return pool, nil
}

// imapConfig maps the [imap] section onto the poller's configuration;
// tokens is the OAuth2 token source, or nil.
func imapConfig(cfg *Config, cas *x509.CertPool, tokens *oauth.Source) mailbox.IMAPConfig {
	var ts mailbox.TokenSource
	if tokens != nil && cfg.imapUsesOAuth2() {
		ts = tokens
	}
	return mailbox.IMAPConfig{
		Addr: cfg.IMAP.Addr, TLS: cfg.IMAP.TLS, AllowInsecure: cfg.IMAP.AllowInsecure, RootCAs: cas,
		Username: cfg.IMAP.Username, Password: cfg.IMAP.Password, Auth: imapMechanism(cfg.IMAP.Auth), Tokens: ts,
		Mailbox: cfg.IMAP.Mailbox, ProcessedMailbox: cfg.IMAP.ProcessedMailbox, QuarantineMailbox: cfg.IMAP.QuarantineMailbox,
		PollInterval: cfg.IMAP.PollInterval, CommandTimeout: cfg.IMAP.CommandTimeout,
		BatchSize: imapBatchSize, Workers: imapWorkers(cfg),
	}
}

// imapBatchSize is how many UIDs one UID FETCH asks for: a round over a
// large backlog fetches in batches rather than all at once. Each batch is
// acted on in one transaction (workflow.ArrivedGroup), so its fixed costs
// (statements, a commit, the wait for its last mail to render) are shared
// by up to this many messages: 250 did 1,533–1,601 msgs/s on PostgreSQL
// where 100 did 1,450–1,503 (BenchmarkEndToEnd, alternating runs); 500
// gained nothing more.
const imapBatchSize = 250

// imapWorkers is imap.workers, or when 0 what suits the database: SQLite
// has one writer, so one message at a time; PostgreSQL overlaps the round
// trips of as many messages as there are processors (at least two).
func imapWorkers(cfg *Config) int {
	if cfg.IMAP.Workers > 0 {
		return cfg.IMAP.Workers
	}
	if strings.HasPrefix(cfg.Database.URL, "sqlite:") {
		return 1
	}
	return max(2, runtime.NumCPU())
}

// smtpConfig maps the [smtp] section onto the sender's configuration;
// tokens is the OAuth2 token source, or nil.
func smtpConfig(cfg *Config, cas *x509.CertPool, tokens *oauth.Source) mailbox.SMTPConfig {
	c := mailbox.SMTPConfig{
		Addr: cfg.SMTP.Addr, TLS: cfg.SMTP.TLS, AllowInsecure: cfg.SMTP.AllowInsecure, RootCAs: cas,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, HELO: smtpHELO(cfg), Timeout: cfg.SMTP.Timeout,
		Connections: cfg.SMTP.Connections,
	}
	if cfg.SMTP.Auth == "oauth2" && tokens != nil {
		c.Auth, c.Tokens = mailbox.AuthXOAuth2, tokens
	}
	return c
}

// smtpHELO is smtp.helo, by default this machine's host name.
func smtpHELO(cfg *Config) string {
	if cfg.SMTP.HELO != "" {
		return cfg.SMTP.HELO
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \t\r\n") {
		return h
	}
	return "localhost"
}

// components are the parts of a running daemon.
type components struct {
	cfg    *Config
	log    *slog.Logger
	db     *store.DB
	wf     *workflow.Workflow
	poller *mailbox.Poller
	// imapCfg is what poller was built with, for tools that poll differently.
	imapCfg mailbox.IMAPConfig
	sender  *mailbox.SMTPSender
	// obs counts for the metrics and readiness (ops_wire.go).
	obs *observer
	// standby is true while another daemon holds the mailbox lock.
	standby atomic.Bool
	// tokens renews the OAuth2 access token of IMAP and SMTP; nil without OAuth2.
	tokens *oauth.Source
	// polling, when set, is called each time polling starts under the
	// mailbox lock, after the takeover wait (the benchmark starts its
	// clock there).
	polling func()
}

// options adjust how components are built; tests and the demo use them.
type options struct {
	clock workflow.Clock
	// shared opens an SQLite database beside the daemon that holds it (for
	// digest -send, which then leaves the sending to that daemon).
	shared  bool
	imapCAs *x509.CertPool // used instead of imap.ca_file when set
	smtpCAs *x509.CertPool
	// oauthNow is the OAuth2 renewal clock (nil: time.Now); tests skew it.
	oauthNow func() time.Time
	// wrapDB, when set, wraps the database the workflow uses (the
	// benchmark counts round trips and commits with it).
	wrapDB func(workflow.Database) workflow.Database
}

// build wires everything the configuration describes. Nothing talks to the
// mail servers yet; the database is opened and migrated.
func build(ctx context.Context, cfg *Config, log *slog.Logger, o options) (*components, error) {
	tpl, err := templates.New(cfg.Templates.Dir)
	if err != nil {
		return nil, fmt.Errorf("templates.dir: %w", err)
	}
	imapCAs, smtpCAs := o.imapCAs, o.smtpCAs
	if imapCAs == nil {
		if imapCAs, err = loadCAs("imap.ca_file", cfg.IMAP.CAFile); err != nil {
			return nil, err
		}
	}
	if smtpCAs == nil {
		if smtpCAs, err = loadCAs("smtp.ca_file", cfg.SMTP.CAFile); err != nil {
			return nil, err
		}
	}
	tokenStore := &settingsTokenStore{}
	tokens, err := newTokenSource(cfg, tokenStore, log, o)
	if err != nil {
		return nil, err
	}
	sender, err := mailbox.NewSMTPSender(smtpConfig(cfg, smtpCAs, tokens), log.With("part", "smtp"))
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	db, err := openDBWith(ctx, cfg, store.Options{Exclusive: !o.shared})
	if err != nil {
		return nil, err
	}
	tokenStore.db = db
	obs := &observer{log: log.With("part", "metrics")}
	set, err := workflowSettings(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	key, err := workflow.StoredTokenSecret(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	var wdb workflow.Database = db
	if o.wrapDB != nil {
		wdb = o.wrapDB(db)
	}
	wf, err := workflow.New(workflow.Deps{
		DB: wdb, Parse: parseMail, Render: tpl, Compose: mailbox.Compose, ComposeFiles: composeFiles, ReadFiles: readFiles, Transport: obs.transport(sender),
		Clock: o.clock, Log: log.With("part", "workflow"), Settings: set,
		TransportConfig: smtpConfigID(cfg, key),
		Reports:         report.Render,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	// A (re)start under a changed SMTP configuration sends again what our
	// server refused under the old one.
	if _, err := wf.RetryHeldOnConfigChange(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// Each FETCH batch is processed as a group: one commit for its
	// arrivals and one for what they cause (workflow.ProcessGroup), in two
	// stages, so that on PostgreSQL one group's arrivals are recorded while
	// the group before is acted on. SQLite has one writer: there the
	// arrivals would only wait for the other transaction (in SQLite's busy
	// handler, which sleeps), so both stages run together.
	overlap := db.Dialect() == store.Postgres
	handle := func(ctx context.Context, fs []mailbox.Fetched) func(bool) []mailbox.Result {
		ds := make([]workflow.Delivery, len(fs))
		for i, f := range fs {
			ds[i] = workflow.Delivery{
				Mailbox: f.Mailbox, UIDValidity: f.UIDValidity, UID: f.UID, InternalDate: f.InternalDate, Raw: f.Raw,
			}
		}
		var arrived *workflow.ArrivedGroup
		var arriving time.Duration
		if overlap {
			start := time.Now()
			arrived = wf.ArriveGroup(ctx, ds)
			arriving = time.Since(start)
		}
		return func(stop bool) []mailbox.Result {
			if stop {
				if arrived != nil {
					if err := arrived.GiveBack(ctx); err != nil {
						log.Warn("a stop could not give back the attempt counted for the messages waiting: each keeps it", "messages", len(fs), "err", err)
					}
				}
				return nil
			}
			start := time.Now()
			if arrived == nil {
				arrived = wf.ArriveGroup(ctx, ds)
			}
			rs := arrived.Act(ctx)
			each := (arriving + time.Since(start)) / time.Duration(len(fs))
			out := make([]mailbox.Result, len(rs))
			for i, r := range rs {
				obs.settled(r.Settled, r.Err, each)
				out[i].Err = r.Err
				if r.Disposition == workflow.Quarantine {
					out[i].Outcome = mailbox.Quarantine
				}
			}
			return out
		}
	}
	imapCfg := imapConfig(cfg, imapCAs, tokens)
	poller, err := mailbox.NewStagedGroupPoller(imapCfg, handle, log.With("part", "imap"))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("imap: %w", err)
	}
	c := &components{cfg: cfg, log: log, db: db, wf: wf, poller: poller, imapCfg: imapCfg, sender: sender, obs: obs, tokens: tokens}
	v := readVersion()
	mo := ops.MetricsOptions{
		Version: v.Version, Revision: v.Revision, Snapshot: c.snapshot, Log: obs.log,
		IMAP: func() (bool, time.Time) { h := poller.Health(); return h.Connected, h.LastRound },
	}
	if tokens != nil {
		mo.OAuth2 = func() (time.Time, bool) {
			st := tokens.Status()
			return st.Expiry, st.Err == nil && !st.Expiry.IsZero()
		}
	}
	obs.metrics = ops.NewMetrics(mo)
	return c, nil
}

func (c *components) close() {
	c.sender.Close()
	c.db.Close()
}
