package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
