package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store/storetest"
)

// check prints every configured value, lists and tables included, and
// hides the secrets.
func TestRedactedConfigShowsEveryValue(t *testing.T) {
	t.Parallel()
	text := strings.Replace(goodConfig, "[database]", `locations = ["Utrecht", "Zeist"]

[database]`, 1) + `
[[managers]]
name = "Mark Jansen"
email = "mark@vlinder.example"
locations = ["Zeist"]

[[committees]]
name = "Oudercommissie Zeist"
address = "oc-zeist@vlinder.example"
location = "Zeist"

[schedule]
reminder_days = [21, 35]

[digest]
days = ["ma", "do"]

[tokens]
secret = "0123456789abcdef0123456789abcdef-token"
previous_secrets = ["an-older-secret-of-the-tokens"]
`
	cfg, err := loadConfig(writeConfig(t, text), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.redacted()
	for _, want := range []string{
		`locations = ["Utrecht", "Zeist"]`,
		"[[handlers]]\n  name = \"Anna de Vries\"\n  email = \"anna.devries@vlinder.example\"\n  locations = []",
		"[[managers]]\n  name = \"Mark Jansen\"\n  email = \"mark@vlinder.example\"\n  locations = [\"Zeist\"]",
		"[[committees]]\n  name = \"Oudercommissie Zeist\"\n  address = \"oc-zeist@vlinder.example\"\n  location = \"Zeist\"",
		"reminder_days = [21, 35]", `days = ["ma", "do"]`, `poll_interval = "1m0s"`,
		"secret = (set, hidden)", "previous_secrets = (1 set, hidden)", "password = (set, hidden)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"from-the-file", "smtp-secret", "0123456789abcdef", "an-older-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("check output shows the secret %q", secret)
		}
	}
	// Every key of every section is shown, so nothing configured is hidden
	// from the operator by accident.
	root := reflect.TypeOf(Config{})
	for i := range root.NumField() {
		sec := root.Field(i)
		if sec.Type.Kind() != reflect.Struct {
			continue
		}
		part := out[strings.Index(out, "["+sec.Tag.Get("toml")+"]\n"):]
		for j := range sec.Type.NumField() {
			key := sec.Type.Field(j).Tag.Get("toml")
			if !strings.Contains(part, "\n  "+key+" = ") {
				t.Errorf("check output lacks %s.%s", sec.Tag.Get("toml"), key)
			}
		}
	}
}

// check changes nothing: no database file, no folder; -create makes the
// folders. Flags may follow the arguments.
func TestCheckChangesNothingUnlessAsked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	h.cfg.IMAP.ProcessedMailbox = "Klachten/Verwerkt"
	h.cfg.Database.URL = "sqlite:" + filepath.Join(t.TempDir(), "new.db")
	config := writeHarnessConfig(t, h.cfg)
	out, _, err := run(t, h.ctx, "check", "-config", config)
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{`MISSING folder(s) "Klachten/Verwerkt"`, "new.db does not exist yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(h.cfg.Database.URL, "sqlite:")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check created the database file: %v", err)
	}
	if _, err := h.imap.UIDValidity("Klachten/Verwerkt"); err == nil {
		t.Errorf("check created the folder")
	}
	out, _, err = run(t, h.ctx, "check", "-create", "-config", config)
	if err != nil || !strings.Contains(out, "created now: Klachten/Verwerkt") {
		t.Fatalf("check -create: %v\n%s", err, out)
	}
	if _, err := h.imap.UIDValidity("Klachten/Verwerkt"); err != nil {
		t.Errorf("check -create did not create the folder: %v", err)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	confirmationOf(t, h)
	config := writeHarnessConfig(t, h.cfg)
	out, _, err := run(t, h.ctx, "cases", "show", "KL-2026-0001", "-config", config)
	if err != nil || !strings.Contains(out, "KL-2026-0001") {
		t.Fatalf("cases show REF -config FILE: %v\n%s", err, out)
	}
	if _, _, err := run(t, h.ctx, "cases", "show", "-config", config, "--", "-KL"); err == nil || !strings.Contains(err.Error(), "no case -KL") {
		t.Errorf("after --, -KL is an argument: %v", err)
	}
	if _, _, err := run(t, h.ctx, "cases", "show", "KL-2026-0001", "-bogus"); !errors.Is(err, errUsage) {
		t.Errorf("an unknown flag after the argument: %v, want a usage error", err)
	}
}

// digest -send says a digest the server refused for good failed, and exits
// non-zero, instead of calling it queued.
func TestDigestSendReportsAPermanentFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.URL(t, "sqlite"))
	config := writeHarnessConfig(t, h.cfg)
	h.clock.Set(time.Now())
	h.deliver(rawMail(mailOpts{from: "Pieter Visser <pieter.visser@example.nl>", subject: "Klacht over de BSO", body: "De bus kwam niet."}))
	h.poll()
	h.flush()
	h.smtp.RefuseRecipient("directie@vlinder.example", 550, "5.1.1 no such user")
	h.c.close() // the command holds the SQLite file and sends itself
	out, _, err := run(t, h.ctx, "digest", "-send", "-config", config)
	if err == nil || !strings.Contains(out, "Directie De Vlinder <directie@vlinder.example>: FAILED") ||
		!strings.Contains(out, "5.1.1") || !strings.Contains(out, "Ilse Kramer <ilse.kramer@vlinder.example>: sent") {
		t.Fatalf("digest -send with a refused recipient: %v\n%s", err, out)
	}
}
