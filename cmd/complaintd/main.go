// Command complaintd turns a shared complaints mailbox into case handling
// that follows a Dutch childcare organisation's complaint procedure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `complaintd — email-driven complaint handling for childcare organisations

Usage:
  complaintd <command> [flags]

Commands:
  run            run the daemon: poll the mailbox, handle cases, send mail
  check          validate the configuration and test the database, IMAP and SMTP
  migrate        bring the database schema up to date
  cases list     list cases, the most urgent first
  cases show REF show the whole timeline of one case, e.g. KL-2026-0001
  due            list the scheduled work due at a moment (-at), without doing it
  digest         print the managers' digests as they would be at a moment (-at), or -send them
  report         the annual complaints report for the GGD (-year, -location, -format html|md|csv, -o; -mail to the managers)
  quarantine list|show ID|release ID
                 the messages set aside: list them, show one (reason, headers, where it is),
                 or release one to be processed again in the daemon's next round
  outbox list    list outgoing mail and its state (-state held, failed, ...)
  outbox retry   send held or failed mail again: outbox retry ID | -all-held
  oauth login    sign the mailbox's user in (OAuth2 device code) and store the refresh token
  privacy due|export|erase|requests|done
                 retention: what is anonymised next and why cases wait; a person's data
                 (-email) as HTML and JSON for an access request; erasure of a person's
                 closed cases; the requests to answer, and marking one done
  version        print the version, VCS revision and commit time (also -version)
  help           show this help

Every command takes -config FILE (or COMPLAINTD_CONFIG); "complaintd <command> -help"
describes its flags. Every configuration key can also be set in the environment as
COMPLAINTD_<SECTION>_<KEY>, secrets also as COMPLAINTD_<SECTION>_<KEY>_FILE.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "complaintd:", printable(err.Error()))
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks a mistake in how the command was called.
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// dispatch runs one subcommand. What it prints passes through termSafe:
// stored text from strangers' mail never reaches the terminal as control
// sequences.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	safeOut, safeErr := newTermSafe(stdout), newTermSafe(stderr)
	defer safeOut.Flush()
	defer safeErr.Flush()
	stdout, stderr = safeOut, safeErr
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "-version", "--version":
		return cmdVersion(stdout)
	case "run":
		return cmdRun(ctx, rest, stderr, env)
	case "demo":
		// The demo's mail servers are test code, kept out of this binary.
		return fmt.Errorf("%w: the demo is a program of its own: make demo, or go run ./cmd/complaintd-demo -complaintd PATH-TO-THIS-BINARY", errUsage)
	case "check":
		return cmdCheck(ctx, rest, stdout, stderr, env)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr, env)
	case "cases":
		return cmdCases(ctx, rest, stdout, stderr, env)
	case "due":
		return cmdDue(ctx, rest, stdout, stderr, env)
	case "digest":
		return cmdDigest(ctx, rest, stdout, stderr, env)
	case "report":
		return cmdReport(ctx, rest, stdout, stderr, env)
	case "quarantine":
		return cmdQuarantine(ctx, rest, stdout, stderr, env)
	case "outbox":
		return cmdOutbox(ctx, rest, stdout, stderr, env)
	case "oauth":
		return cmdOAuth(ctx, rest, stdout, stderr, env)
	case "privacy":
		return cmdPrivacy(ctx, rest, stdout, stderr, env)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

// newFlags makes a flag set for a subcommand with the -config flag every
// command has.
func newFlags(name, help string, stderr io.Writer, env func(string) string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("complaintd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", env("COMPLAINTD_CONFIG"), "configuration `file` (TOML); default $COMPLAINTD_CONFIG")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: complaintd %s\n\n%s\n\nFlags:\n", name, help)
		fs.PrintDefaults()
	}
	return fs, config
}

// parseFlags parses flags wherever they stand, before or after the
// arguments (`cases show KL-2026-0001 -config FILE`); after "--" everything
// is an argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...)) // leaves them in fs.Args()
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("migrate [-config FILE]", "Applies the database migrations (run also does this at start-up).", stderr, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database schema at version %d of %d (%s)\n", cur, latest, db.Dialect())
	return nil
}
