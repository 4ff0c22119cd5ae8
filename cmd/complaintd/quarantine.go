package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/complaintd/complaintd/workflow"
)

const quarantineUsage = `Usage:
  complaintd quarantine list [-config FILE]
  complaintd quarantine show [-config FILE] [-raw FILE] ID
  complaintd quarantine release [-config FILE] ID

list shows the messages set aside (and those released but not yet processed
again); show prints one with its reason and headers, and where the message is;
release has the daemon process it again in its next round, exactly once.`

func cmdQuarantine(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, quarantineUsage)
		return fmt.Errorf("%w: quarantine needs list, show or release", errUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		fs, config := newFlags("quarantine list [-config FILE]", quarantineUsage, stderr, env)
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		wf, closeFn, err := openWorkflow(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		es, err := wf.Quarantined(ctx)
		if err != nil {
			return err
		}
		if err := logAccess(ctx, wf, env, "quarantine list", workflow.Accessed{}); err != nil {
			return err
		}
		printQuarantineList(stdout, es, wf.Settings())
		return nil
	case "show":
		fs, config := newFlags("quarantine show [-config FILE] [-raw FILE] ID", quarantineUsage, stderr, env)
		rawFile := fs.String("raw", "", "also write the message's exact bytes to `file` (created 0600; - for standard output is refused: it may hold terminal escapes)")
		id, err := parseIDArg(fs, rest)
		if err != nil {
			return err
		}
		wf, cfg, closeFn, err := openWorkflowConfig(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		e, err := wf.LedgerEntryByID(ctx, id)
		if errors.Is(err, workflow.ErrLedgerNotFound) {
			return fmt.Errorf("no message #%d in the ledger (complaintd quarantine list shows the ids)", id)
		}
		if err != nil {
			return err
		}
		if err := logAccess(ctx, wf, env, "quarantine show", workflow.Accessed{LedgerID: e.ID}); err != nil {
			return err
		}
		printQuarantined(stdout, e, wf.Settings(), cfg.IMAP)
		if *rawFile != "" {
			raw, err := wf.RawMessage(ctx, id)
			if err != nil {
				return err
			}
			if err := writePrivateFile(*rawFile, raw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\nthe message's %d bytes are written to %s\n", len(raw), *rawFile)
		}
		return nil
	case "release":
		fs, config := newFlags("quarantine release [-config FILE] ID", quarantineUsage, stderr, env)
		id, err := parseIDArg(fs, rest)
		if err != nil {
			return err
		}
		wf, closeFn, err := openWorkflow(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		err = wf.Release(ctx, id)
		switch {
		case errors.Is(err, workflow.ErrLedgerNotFound):
			return fmt.Errorf("no message #%d in the ledger (complaintd quarantine list shows the ids)", id)
		case errors.Is(err, workflow.ErrNotQuarantined):
			return fmt.Errorf("message #%d is not in quarantine: %w", id, err)
		case err != nil:
			return err
		}
		fmt.Fprintf(stdout, "message #%d released: the running daemon processes it again in its next round (within imap.poll_interval)\n"+
			"from the copy in its ledger; the copy in the quarantine folder stays there as a record.\n", id)
		return nil
	default:
		fmt.Fprintln(stderr, quarantineUsage)
		return fmt.Errorf("%w: unknown quarantine command %q (list, show or release)", errUsage, sub)
	}
}

// parseIDArg reads the flags and the one ledger id after them.
func parseIDArg(fs *flag.FlagSet, args []string) (int64, error) {
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 0, fmt.Errorf("%w: needs one message id (complaintd quarantine list shows them)", errUsage)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(fs.Arg(0), "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %q is not a message id (a number, as complaintd quarantine list shows)", errUsage, fs.Arg(0))
	}
	return id, nil
}

func printQuarantineList(w io.Writer, es []workflow.LedgerEntry, set workflow.Settings) {
	if len(es) == 0 {
		fmt.Fprintln(w, "nothing in quarantine")
		return
	}
	loc := set.Organisation.Location
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tSTATE\tFROM\tSUBJECT\tREASON")
	for _, e := range es {
		h := readHead(e.Head)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.InternalDate.In(loc).Format("2006-01-02 15:04"), stateLabel(e),
			oneLine(clip(decodeHeader(h.Get("From")), 40)), oneLine(clip(decodeHeader(h.Get("Subject")), 40)), oneLine(clip(e.Reason, 60)))
	}
	tw.Flush()
}

func stateLabel(e workflow.LedgerEntry) string {
	if e.State == workflow.LedgerQuarantined {
		return e.State
	}
	return "released" // released, or pending again after its release
}

func printQuarantined(w io.Writer, e workflow.LedgerEntry, set workflow.Settings, imapCfg IMAPConfig) {
	loc := set.Organisation.Location
	fmt.Fprintf(w, "message #%d  %s\n", e.ID, stateLabel(e))
	if e.State != workflow.LedgerQuarantined && e.ReleasedAt.Valid {
		fmt.Fprintf(w, "  released:      %s (processed again in the daemon's next round)\n", e.ReleasedAt.Time.In(loc).Format("2006-01-02 15:04"))
	} else if e.State != workflow.LedgerQuarantined {
		fmt.Fprintf(w, "  (not in quarantine: its state is %s)\n", oneLine(e.State))
	}
	if e.AnonymisedAt.Valid {
		fmt.Fprintf(w, "  anonymised:    %s: its case was anonymised; the bytes are gone, the entry stays as the record\n",
			e.AnonymisedAt.Time.In(loc).Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(w, "  reason:        %s\n", oneLine(e.Reason))
	fmt.Fprintf(w, "  attempts:      %d\n", e.Attempts)
	fmt.Fprintf(w, "  received:      %s\n", e.InternalDate.In(loc).Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "  size:          %d bytes, sha256 %s\n", e.Size, e.SHA256)
	fmt.Fprintf(w, "  fetched from:  %s, UIDVALIDITY %d, UID %d\n", oneLine(e.Mailbox), e.UIDValidity, e.UID)
	folder := fmt.Sprintf("the IMAP folder %q (moved there when it was quarantined)", imapCfg.QuarantineMailbox)
	if !e.ReleasedAt.Valid && e.State != workflow.LedgerQuarantined {
		folder = fmt.Sprintf("the IMAP folder %q, once handled", imapCfg.ProcessedMailbox)
	}
	fmt.Fprintf(w, "  where it is:   %s, and byte for byte\n", folder)
	fmt.Fprintf(w, "                 in the database's ledger as entry #%d (show -raw FILE writes it out)\n", e.ID)
	fmt.Fprintln(w, "\nheaders:")
	head, _, _ := bytes.Cut(e.Head, []byte("\r\n\r\n"))
	head, _, _ = bytes.Cut(head, []byte("\n\n"))
	for _, l := range strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n") {
		fmt.Fprintln(w, "  "+printable(l))
	}
	if len(e.Head) < int(e.Size) && !bytes.Contains(e.Head, []byte("\n\n")) && !bytes.Contains(e.Head, []byte("\r\n\r\n")) {
		fmt.Fprintln(w, "  … (the header goes on beyond the first 64 KiB)")
	}
}

// readHead reads the header of a message start, as far as it can: a
// quarantined message is often malformed, so what cannot be read is left
// out rather than an error.
func readHead(head []byte) textproto.MIMEHeader {
	r := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(head), strings.NewReader("\r\n\r\n"))))
	h, _ := r.ReadMIMEHeader()
	return h
}

// decodeHeader decodes RFC 2047 encoded words where it can.
func decodeHeader(v string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// writePrivateFile writes data to a new file only its owner can read: it
// holds a complaint.
func writePrivateFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("-raw: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("-raw: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("-raw: %w", err)
	}
	return nil
}
