package main

import (
	"path/filepath"
	"time"
)

// demoConfig is a complete configuration for the made-up Kinderopvang De
// Vlinder, pointing at the test's servers: the organisation of the demo
// (cmd/complaintd-demo writes the same as the TOML file its daemon runs
// with), which the tests use as their configuration. The escalation blocks follow
// ../shared/reference/complaint-law.md; an organisation must verify them.
func demoConfig(dir, imapAddr, smtpAddr string) *Config {
	cfg := defaults()
	cfg.Organisation.Name = "Kinderopvang De Vlinder"
	cfg.Organisation.Address = "klachten@vlinder.example"
	cfg.Organisation.MessageHost = "klachten.vlinder.example"
	cfg.Organisation.ProcedureURL = "https://www.vlinder.example/klachtenregeling"
	cfg.Organisation.PrivacyURL = "https://www.vlinder.example/privacy"
	cfg.Database.URL = "sqlite:" + filepath.Join(dir, "complaintd.db")
	cfg.IMAP = IMAPConfig{
		Addr: imapAddr, TLS: "none", Auth: "password", Username: "klachten", Password: "secret",
		Mailbox: "INBOX", ProcessedMailbox: "Processed", QuarantineMailbox: "Quarantine",
		PollInterval: 30 * time.Second, CommandTimeout: 30 * time.Second,
	}
	cfg.SMTP = SMTPConfig{Addr: smtpAddr, TLS: "none", Timeout: 30 * time.Second, Connections: 3}
	cfg.Organisation.Locations = []string{"KDV De Rups", "BSO De Springplank", "Gastouderbureau De Vlinder"}
	cfg.Handlers = []HandlerConfig{
		{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"},
		{Name: "Marco Bos", Email: "marco.bos@vlinder.example"},
	}
	cfg.Managers = []ManagerConfig{
		{Name: "Ilse Kramer", Email: "ilse.kramer@vlinder.example", Locations: []string{"BSO De Springplank"}},
		{Name: "Directie De Vlinder", Email: "directie@vlinder.example"},
	}
	cfg.Committees = []CommitteeConfig{
		{Name: "Oudercommissie KDV De Rups", Address: "oudercommissie.derups@gmail.example", Location: "KDV De Rups"},
	}
	// The receiving server's authserv-id: its Authentication-Results count.
	cfg.Trust = TrustConfig{Policy: "token_or_dmarc", AuthservID: "mx.vlinder.example"}
	cfg.Escalation = EscalationConfig{
		Klachtenloket:       "Klachtenloket Kinderopvang\nwww.klachtenloket-kinderopvang.nl\ninfo@klachtenloket-kinderopvang.nl\n0900 1877",
		Geschillencommissie: "De Geschillencommissie\nPostbus 90600, 2509 LP Den Haag\nwww.degeschillencommissie.nl\n070 310 53 10",
		Fee:                 "€ 25",
		WindowMonths:        12,
	}
	cfg.Log.Level = "warn"
	return &cfg
}
