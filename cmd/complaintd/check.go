package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/templates"
)

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("check [-config FILE]",
		"Validates the configuration, then connects to the database, the IMAP server and the SMTP server\nand reports what it found. Nothing is changed, fetched or sent.", stderr, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "configuration: ok\n%s\n", indentLines(cfg.redacted()))
	failed := 0
	step := func(name string, fn func(ctx context.Context) (string, error)) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		summary, err := fn(ctx)
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s: FAILED\n  %v\n\n", name, err)
			return
		}
		fmt.Fprintf(stdout, "%s: ok\n%s\n", name, indentLines(summary))
	}
	step("templates", func(context.Context) (string, error) {
		if _, err := templates.New(cfg.Templates.Dir); err != nil {
			return "", err
		}
		if cfg.Templates.Dir == "" {
			return "built-in templates (nl, en)", nil
		}
		return "built-in templates with overrides from " + cfg.Templates.Dir, nil
	})
	step("settings", func(context.Context) (string, error) {
		s := settings(cfg, []byte("a secret stored in the database"))
		err := s.ValidateAndFillDefaults()
		return fmt.Sprintf("%d handler(s); message ids on %s", len(s.Handlers), s.Organisation.Host), err
	})
	step("database", func(ctx context.Context) (string, error) {
		db, err := store.Open(ctx, cfg.Database.URL, store.Options{})
		if err != nil {
			return "", err
		}
		defer db.Close()
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil {
			return "", err
		}
		note := "up to date"
		if cur < latest {
			note = "will be migrated at start-up (or run: complaintd migrate)"
		}
		return fmt.Sprintf("%s, schema version %d of %d: %s", db.Dialect(), cur, latest, note), nil
	})
	silent := slog.New(slog.DiscardHandler)
	step("imap", func(ctx context.Context) (string, error) {
		cas, err := loadCAs("imap.ca_file", cfg.IMAP.CAFile)
		if err != nil {
			return "", err
		}
		p, err := mailbox.NewPoller(imapConfig(cfg, cas), func(context.Context, mailbox.Fetched) (mailbox.Outcome, error) {
			return 0, fmt.Errorf("check fetches nothing")
		}, silent)
		if err != nil {
			return "", err
		}
		return p.Check(ctx)
	})
	step("smtp", func(ctx context.Context) (string, error) {
		cas, err := loadCAs("smtp.ca_file", cfg.SMTP.CAFile)
		if err != nil {
			return "", err
		}
		s, err := mailbox.NewSMTPSender(smtpConfig(cfg, cas), silent)
		if err != nil {
			return "", err
		}
		defer s.Close()
		return s.Check(ctx, cfg.Organisation.Address)
	})
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	fmt.Fprintln(stdout, "all checks passed")
	return nil
}

func indentLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
