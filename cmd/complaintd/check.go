package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/oauth"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/templates"
)

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("check [-config FILE] [-create]",
		"Validates the configuration, prints every value (secrets hidden), then connects to the database,\nthe IMAP server and the SMTP server and reports what it found. Nothing is changed, fetched or sent:\na missing database or folder is reported; -create makes the missing IMAP folders.", stderr, env)
	create := fs.Bool("create", false, "create the missing IMAP folders (processed_mailbox, quarantine_mailbox)")
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
		err := s.Validate()
		return fmt.Sprintf("%d handler(s); message ids on %s", len(s.Handlers), s.Organisation.Host), err
	})
	step("database", func(ctx context.Context) (string, error) {
		if path, ok := sqlitePath(cfg.Database.URL); ok {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				// Opening it would create it: check only says so.
				return fmt.Sprintf("sqlite file %s does not exist yet: the daemon (or complaintd migrate) creates it", path), nil
			}
		}
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
	var tokens *oauth.Source
	if cfg.usesOAuth2() {
		step("oauth2", func(ctx context.Context) (string, error) {
			var err error
			tokens, err = checkOAuth2(ctx, cfg, silent)
			if err != nil {
				return "", err
			}
			st := tokens.Status()
			c := tokens.Config()
			summary := fmt.Sprintf("provider %s, grant %s, token endpoint %s: access token valid until %s",
				c.Provider, c.Grant, c.TokenURL, st.Expiry.Format(time.RFC3339))
			if !st.RefreshExpiry.IsZero() {
				summary += "; the refresh token expires " + st.RefreshExpiry.Format(time.RFC3339) + " (sign in again before)"
			}
			return summary, nil
		})
	}
	step("imap", func(ctx context.Context) (string, error) {
		cas, err := loadCAs("imap.ca_file", cfg.IMAP.CAFile)
		if err != nil {
			return "", err
		}
		p, err := mailbox.NewPoller(imapConfig(cfg, cas, tokens), func(context.Context, mailbox.Fetched) (mailbox.Outcome, error) {
			return 0, fmt.Errorf("check fetches nothing")
		}, silent)
		if err != nil {
			return "", err
		}
		if *create {
			return p.CheckCreate(ctx)
		}
		return p.Check(ctx)
	})
	step("smtp", func(ctx context.Context) (string, error) {
		cas, err := loadCAs("smtp.ca_file", cfg.SMTP.CAFile)
		if err != nil {
			return "", err
		}
		s, err := mailbox.NewSMTPSender(smtpConfig(cfg, cas, tokens), silent)
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

// checkOAuth2 gets an access token the way the daemon would. The database
// is only read, except that a refresh token the server rotated is stored
// (the old one is spent).
func checkOAuth2(ctx context.Context, cfg *Config, log *slog.Logger) (*oauth.Source, error) {
	st := &settingsTokenStore{}
	if cfg.OAuth2.needsSealer() {
		if path, ok := sqlitePath(cfg.Database.URL); ok {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no database yet, so nobody signed in: run complaintd oauth login")
			}
		}
		db, err := store.Open(ctx, cfg.Database.URL, store.Options{})
		if err != nil {
			return nil, err
		}
		// The source outlives this step (IMAP and SMTP use it): the pool
		// stays open for the rest of check, which then exits.
		st.db = db
	}
	src, err := newTokenSource(cfg, st, log, options{})
	if err != nil {
		return nil, err
	}
	if _, err := src.Token(ctx); err != nil {
		return src, err
	}
	return src, nil
}
