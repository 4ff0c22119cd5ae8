package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/complaintd/complaintd/store/storetest"
)

// writeHarnessConfig writes h's configuration as the TOML file an operator
// would, so commands are tested the way they are called.
func writeHarnessConfig(t *testing.T, cfg *Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(cfg); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "complaintd.toml")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := dispatch(ctx, args, &out, &errOut, func(string) string { return "" })
	return out.String(), errOut.String(), err
}

func TestHelpAndUsageErrors(t *testing.T) {
	out, _, err := run(t, t.Context(), "help")
	if err != nil || !strings.Contains(out, "cases show REF") {
		t.Fatalf("help: %v\n%s", err, out)
	}
	_, errOut, err := run(t, t.Context(), "frobnicate")
	if !errors.Is(err, errUsage) || exitCode(err) != 2 || !strings.Contains(errOut, "Commands:") {
		t.Fatalf("unknown command: %v (exit %d)\n%s", err, exitCode(err), errOut)
	}
	_, errOut, err = run(t, t.Context(), "cases", "show", "-help")
	if exitCode(err) != 2 || !strings.Contains(errOut, "-config") {
		t.Fatalf("cases show -help: %v\n%s", err, errOut)
	}
	_, _, err = run(t, t.Context(), "run", "-config", filepath.Join(t.TempDir(), "missing.toml"))
	if err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Fatalf("missing config: %v", err)
	}
}

func TestCasesListAndShow(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		config := writeHarnessConfig(t, h.cfg)

		out, _, err := run(t, h.ctx, "cases", "list", "-config", config)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"KL-2026-0001", "acknowledged", "2026-12-31", "sanne.jansen@example.nl", "Klacht over het ophalen"} {
			if !strings.Contains(out, want) {
				t.Errorf("cases list lacks %q:\n%s", want, out)
			}
		}
		out, _, err = run(t, h.ctx, "cases", "show", "-config", config, "kl-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"KL-2026-0001", "Sanne Jansen", "judgment due:  Thursday 31 December 2026",
			"complaint received", "| Noah is meegegeven", "confirmation to sanne.jansen@example.nl", "[sent",
			"new_case to anna.devries@vlinder.example", "received → acknowledged"} {
			if !strings.Contains(out, want) {
				t.Errorf("cases show lacks %q:\n%s", want, out)
			}
		}
		if _, _, err := run(t, h.ctx, "cases", "show", "-config", config, "KL-2026-0099"); err == nil || !strings.Contains(err.Error(), "no case KL-2026-0099") {
			t.Errorf("unknown case: %v", err)
		}
	})
}

func TestCheckReportsEachPart(t *testing.T) {
	h := newHarness(t, storetest.URL(t, "sqlite"))
	out, _, err := run(t, h.ctx, "check", "-config", writeHarnessConfig(t, h.cfg))
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, want := range []string{"configuration: ok", "database: ok", "imap: ok", "smtp: ok", "all checks passed", "password = (set, hidden)"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "= secret") { // the mailtest password is "secret"
		t.Errorf("check printed the IMAP password:\n%s", out)
	}
	h.cfg.IMAP.Password = "wrong"
	out, _, err = run(t, h.ctx, "check", "-config", writeHarnessConfig(t, h.cfg))
	if err == nil || !strings.Contains(out, "imap: FAILED") || !strings.Contains(out, "smtp: ok") {
		t.Errorf("check with a wrong IMAP password: %v\n%s", err, out)
	}
}

func TestRunStopsWhenAskedTo(t *testing.T) {
	h := newHarness(t, storetest.URL(t, "sqlite"))
	config := writeHarnessConfig(t, h.cfg)
	h.deliver(complaintFromSanne())
	h.c.close() // the harness's daemon gives the SQLite file to run's
	ctx, stop := context.WithCancel(h.ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { _, _, runErr = run(t, ctx, "run", "-config", config) })
	wctx, cancel := context.WithTimeout(h.ctx, time.Minute)
	defer cancel()
	if _, err := h.smtp.Wait(wctx, 3); err != nil {
		t.Fatalf("run sent nothing: %v", err)
	}
	stop() // what SIGINT/SIGTERM do through signal.NotifyContext
	wg.Wait()
	if runErr != nil {
		t.Fatalf("run after stop: %v", runErr)
	}
}

// make demo runs this: it must work with no configuration at all.
func TestDemo(t *testing.T) {
	out, errOut, err := run(t, t.Context(), "demo")
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{
		"KL-2026-0001", "KL-2026-0003",
		"[KL-2026-0001] Ontvangstbevestiging van uw klacht",
		"1. Waarom is het formulier niet gevolgd?", // HTML-only mail from a phone, as text
		"€ 412,50 wordt teruggestort",              // windows-1252, decoded
		"factuur november.pdf",                     // its attachment
		"Nieuw bericht van Sanne Jansen",           // the parent's reply reached the handlers
		"dit al de tweede keer was",
		"Dank je voor je aanvulling",                                   // Anna's answer, relayed to the parent
		"[KL-2026-0003] Ons oordeel over uw klacht",                    // her judgment
		"Uiterlijk uitgevoerd op",                                      // with the measure's date
		"[KL-2026-0003] Verwerkt",                                      // and her confirmation
		"[KL-2026-0003] Een maatregel uit ons oordeel is uitgevoerd",   // one measure done on its own
		"Het bedrag is vandaag teruggestort; de incasso is stopgezet.", // with Anna's line for the parent
		"[KL-2026-0003] Uw klacht is afgerond",                         // the last one closes the case
		"Sinds deze week bevestigen we elke opzegging binnen twee werkdagen per e-mail.",
		"Uitgevoerd: Dossier KL-2026-0001",                 // a manager's #dossier, answered
		"Attachment: dossier-KL-2026-0001.html (text/html", // with the case file
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Count(out, "EMAIL ") != 25 {
		t.Errorf("demo printed %d emails, want 25 (3 confirmations, 6 notifications, 2 reply notifications, "+
			"Anna's command result and its notification, her answer relayed and passed on, the judgment, "+
			"its confirmation and notification, the same three for each of her two #uitgevoerd, and the manager's case file)", strings.Count(out, "EMAIL "))
	}
	// The first #uitgevoerd leaves the case open; the second closes it.
	if !regexp.MustCompile(`(?m)^KL-2026-0003\s+closed\s`).MatchString(out) {
		t.Errorf("the demo's case list does not show KL-2026-0003 closed after its last measure was done")
	}
	if n := strings.Count(out, "Subject: [KL-2026-0003] Een maatregel uit ons oordeel is uitgevoerd"); n != 1 {
		t.Errorf("%d measure-done letters, want 1: the last measure brings the closing letter instead", n)
	}
	// Anna's answer reaches the parent itself, with her words only.
	relayed := false
	for _, m := range strings.Split(out, "EMAIL ")[1:] {
		if strings.Contains(m, "-> sanne.jansen@example.nl") && strings.Contains(m, "Dank je voor je aanvulling") {
			relayed = true
			if strings.Contains(m, "#toewijzen") || strings.Contains(m, "Oorspronkelijk bericht") {
				t.Errorf("the parent sees Anna's commands or quoted history:\n%s", m)
			}
		}
	}
	if !relayed {
		t.Errorf("Anna's answer did not reach the parent")
	}
}

// demo -keep leaves a configuration beside its database that the looking
// commands can use; those commands refuse a database file that is not there
// rather than create an empty one.
func TestDemoKeepAndTheLookingCommands(t *testing.T) {
	out, errOut, err := run(t, t.Context(), "demo", "-keep")
	if err != nil {
		t.Fatalf("demo -keep: %v\n%s", err, errOut)
	}
	_, rest, ok := strings.Cut(out, "are kept in ")
	dir, _, _ := strings.Cut(rest, ". Look at them")
	if !ok || !strings.HasPrefix(dir, os.TempDir()) {
		t.Fatalf("demo -keep does not say where it kept its files:\n%s", out)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	config := filepath.Join(dir, "demo.toml")
	list, _, err := run(t, t.Context(), "cases", "list", "-config", config)
	if err != nil || !strings.Contains(list, "KL-2026-0003") {
		t.Errorf("cases list on the kept demo: %v\n%s", err, list)
	}

	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "elders.db")
	other := filepath.Join(dir, "other.toml")
	if err := os.WriteFile(other, []byte(strings.ReplaceAll(string(raw), filepath.Join(dir, "complaintd.db"), missing)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"cases", "list"}, {"due"}, {"digest"}} {
		_, _, err := run(t, t.Context(), append(cmd, "-config", other)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%s on a missing database: %v, want an error saying it does not exist", cmd[0], err)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a looking command created the missing database")
	}
}
