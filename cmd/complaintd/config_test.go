package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodConfig = `
[organisation]
name = "Kinderopvang De Vlinder"
address = "klachten@vlinder.example"

[database]
url = "sqlite:complaintd.db"

[imap]
addr = "imap.vlinder.example:993"
username = "klachten@vlinder.example"
password = "from-the-file"

[smtp]
addr = "smtp.vlinder.example:587"
username = "klachten@vlinder.example"
password = "smtp-secret"

[[handlers]]
name = "Anna de Vries"
email = "anna.devries@vlinder.example"

[escalation]
klachtenloket = "www.klachtenloket-kinderopvang.nl"
geschillencommissie = "www.degeschillencommissie.nl"
`

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "complaintd.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDefaultsAndFile(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeConfig(t, goodConfig), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Organisation.Timezone != "Europe/Amsterdam" || cfg.Organisation.Language != "nl" || cfg.IMAP.TLS != "implicit" ||
		cfg.IMAP.ProcessedMailbox != "Processed" || cfg.IMAP.PollInterval != time.Minute || cfg.SMTP.TLS != "starttls" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if cfg.IMAP.Password != "from-the-file" {
		t.Errorf("imap.password = %q", cfg.IMAP.Password)
	}
}

func TestEnvironmentOverridesEveryKeyAndReadsSecretFiles(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secret, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(writeConfig(t, goodConfig), envMap(map[string]string{
		"COMPLAINTD_IMAP_PASSWORD_FILE":       secret,
		"COMPLAINTD_IMAP_POLL_INTERVAL":       "15s",
		"COMPLAINTD_ORGANISATION_LANGUAGE":    "en",
		"COMPLAINTD_SMTP_ALLOW_INSECURE":      "true",
		"COMPLAINTD_ESCALATION_WINDOW_MONTHS": "13",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IMAP.Password != "from-a-file" || cfg.IMAP.PollInterval != 15*time.Second || cfg.Organisation.Language != "en" ||
		!cfg.SMTP.AllowInsecure || cfg.Escalation.WindowMonths != 13 {
		t.Errorf("environment not applied: %+v", cfg)
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"missing address", strings.Replace(goodConfig, `address = "klachten@vlinder.example"`, "", 1), nil, []string{"organisation.address"}},
		{"bad tls", goodConfig + "\n", map[string]string{"COMPLAINTD_IMAP_TLS": "ssl"}, []string{"imap.tls"}},
		{"plain text to a remote server", goodConfig, map[string]string{"COMPLAINTD_SMTP_TLS": "none"}, []string{"smtp.tls", "allow_insecure"}},
		{"bad duration", goodConfig, map[string]string{"COMPLAINTD_IMAP_POLL_INTERVAL": "often"}, []string{"COMPLAINTD_IMAP_POLL_INTERVAL", "imap.poll_interval"}},
		{"no handlers", strings.Replace(goodConfig, "[[handlers]]", "[[nothing]]", 1), nil, []string{"nothing"}},
		{"typo in a key", strings.Replace(goodConfig, "poll_interval", "pol_interval", 1) + "\n[log]\nlevl = \"debug\"\n", nil, []string{"log.levl"}},
		{"no klachtenloket", strings.Replace(goodConfig, `klachtenloket = "www.klachtenloket-kinderopvang.nl"`, "", 1), nil, []string{"escalation.klachtenloket"}},
		{"bad address form", goodConfig, map[string]string{"COMPLAINTD_ORGANISATION_ADDRESS_FORM": "jij"}, []string{"organisation.address_form", `"jij"`}},
		{"bad time zone", goodConfig, map[string]string{"COMPLAINTD_ORGANISATION_TIMEZONE": "Amsterdam"}, []string{"organisation.timezone"}},
		{"missing secret file", goodConfig, map[string]string{"COMPLAINTD_SMTP_PASSWORD_FILE": "/nonexistent/pw"}, []string{"COMPLAINTD_SMTP_PASSWORD_FILE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, c.file), envMap(c.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestRedactedConfigHidesSecrets(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeConfig(t, goodConfig), envMap(map[string]string{
		"COMPLAINTD_DATABASE_URL": "postgres://complaintd:db-secret@db.example/complaintd?sslmode=verify-full",
	}))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.redacted()
	for _, secret := range []string{"from-the-file", "smtp-secret", "db-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted config shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "imap.vlinder.example:993") || !strings.Contains(out, "postgres://complaintd:") {
		t.Errorf("redacted config lost non-secret values:\n%s", out)
	}
}

// The configuration shown in the README is what an operator copies: it must
// load as it stands, with only the secrets from the environment.
func TestREADMEConfigurationLoads(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```toml\n")
	if !ok {
		t.Fatal("README has no ```toml block")
	}
	sample, _, _ := strings.Cut(rest, "```")
	cfg, err := loadConfig(writeConfig(t, sample), envMap(map[string]string{
		"COMPLAINTD_IMAP_PASSWORD": "x", "COMPLAINTD_SMTP_PASSWORD": "y",
	}))
	if err != nil {
		t.Fatalf("the README's configuration does not load: %v", err)
	}
	if len(cfg.Managers) != 2 || cfg.Digest.Time != "07:30" || len(cfg.Handlers) != 2 {
		t.Errorf("managers %v, digest %+v, handlers %d: not what the README shows", cfg.Managers, cfg.Digest, len(cfg.Handlers))
	}
}
