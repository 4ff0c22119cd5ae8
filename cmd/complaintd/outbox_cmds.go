package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintd/complaintd/workflow"
)

// smtpConfigID names the configuration mail is sent under: everything that
// decides whether our server takes it (the [smtp] section, the CA file's
// contents, and our sender address). Mail held because the server refused it
// is sent again by a daemon started under another one. It is a keyed hash
// (HMAC-SHA-256 under the daemon's stored secret), so the password is
// neither stored nor guessable from it without that secret.
func smtpConfigID(cfg *Config, key []byte) string {
	mac := hmac.New(sha256.New, key)
	s := cfg.SMTP
	for _, f := range []string{"smtp config v1", s.Addr, s.TLS, s.CAFile, strconv.FormatBool(s.AllowInsecure),
		s.Username, s.Password, s.HELO, s.Timeout.String(), cfg.Organisation.Address} {
		// Length-prefixed, so that no two configurations give the same input.
		fmt.Fprintf(mac, "%d:%s;", len(f), f)
	}
	if s.CAFile != "" {
		if pem, err := os.ReadFile(s.CAFile); err == nil {
			mac.Write(pem)
		}
	}
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

const outboxHelp = `Lists outgoing mail, or sends held or failed mail again.

  complaintd outbox list [-state STATE]   STATE: queued, sending, sent, failed, held, bounced
  complaintd outbox retry ID              put message ID (held or failed) back in the queue
  complaintd outbox retry -all-held       put all mail held by a refusal of our mail server back

A running daemon sends retried mail once, within a minute.`

func cmdOutbox(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: complaintd outbox list|retry\n\n"+outboxHelp)
		return fmt.Errorf("%w: outbox needs list or retry", errUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		fs, config := newFlags("outbox list [-config FILE] [-state STATE]", outboxHelp, stderr, env)
		state := fs.String("state", "", "only mail in this `state` ("+strings.Join(workflow.OutboxStates, ", ")+")")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() != 0 {
			fs.Usage()
			return fmt.Errorf("%w: outbox list takes no arguments", errUsage)
		}
		wf, closeFn, err := openWorkflow(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		entries, err := wf.Outbox(ctx, *state)
		if err != nil {
			if *state != "" {
				return fmt.Errorf("%w: -state: %v", errUsage, err)
			}
			return err
		}
		listed := workflow.Accessed{}
		for _, e := range entries {
			if e.CaseRef.Valid {
				listed.Refs = append(listed.Refs, e.CaseRef.String)
			}
		}
		if err := logAccess(ctx, wf, env, "outbox list", listed); err != nil {
			return err
		}
		printOutbox(stdout, entries, wf.Settings().Organisation.Location)
		return nil
	case "retry":
		fs, config := newFlags("outbox retry [-config FILE] ID | -all-held", outboxHelp, stderr, env)
		allHeld := fs.Bool("all-held", false, "retry all mail held by a refusal of our mail server (not mail the loop breaker held back)")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		var id int64
		switch {
		case *allHeld && fs.NArg() == 0:
		case !*allHeld && fs.NArg() == 1:
			var err error
			if id, err = strconv.ParseInt(fs.Arg(0), 10, 64); err != nil || id <= 0 {
				return fmt.Errorf("%w: %q is not an outbox id (see complaintd outbox list)", errUsage, fs.Arg(0))
			}
		default:
			fs.Usage()
			return fmt.Errorf("%w: outbox retry needs one ID or -all-held", errUsage)
		}
		wf, closeFn, err := openWorkflow(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		if *allHeld {
			n, err := wf.RetryAllHeld(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%d held message(s) queued again; the daemon sends them within a minute\n", n)
			return nil
		}
		err = wf.RetryOutbox(ctx, id)
		if errors.Is(err, workflow.ErrOutboxNotFound) || errors.Is(err, workflow.ErrNotRetryable) {
			return fmt.Errorf("outbox retry: %w", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "message #%d queued again; the daemon sends it within a minute\n", id)
		return nil
	default:
		return fmt.Errorf("%w: unknown outbox command %q (list or retry)", errUsage, sub)
	}
}

func printOutbox(w io.Writer, entries []workflow.OutboxEntry, loc *time.Location) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "no mail")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCASE\tKIND\tRECIPIENT\tSTATE\tATTEMPTS\tCREATED\tLAST ERROR")
	for _, e := range entries {
		ref := "-"
		if e.CaseRef.Valid {
			ref = e.CaseRef.String
		}
		state := e.State
		if e.HeldByServer() {
			state += " (server)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.ID, oneLine(ref), oneLine(e.Kind),
			oneLine(e.Recipient), state, e.Attempts, e.CreatedAt.In(loc).Format("2006-01-02 15:04"), oneLine(e.LastError))
	}
	tw.Flush()
}
