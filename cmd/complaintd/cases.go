package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

func cmdCases(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	help := "Lists cases (list [-open]) or prints the timeline of one case (show REF)."
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: complaintd cases list [-open] | complaintd cases show REF\n\n"+help)
		return fmt.Errorf("%w: cases needs list or show", errUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		fs, config := newFlags("cases list [-config FILE] [-open]", help, stderr, env)
		open := fs.Bool("open", false, "only cases still being handled")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		wf, closeFn, err := openWorkflow(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		cases, err := wf.Cases(ctx, workflow.CaseFilter{OpenOnly: *open})
		if err != nil {
			return err
		}
		printCaseList(stdout, cases, wf.Settings().Organisation.Location, time.Now())
		return nil
	case "show":
		fs, config := newFlags("cases show [-config FILE] REF", help, stderr, env)
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			fs.Usage()
			return fmt.Errorf("%w: cases show needs one case reference, like KL-2026-0001", errUsage)
		}
		wf, closeFn, err := openWorkflow(ctx, *config, env)
		if err != nil {
			return err
		}
		defer closeFn()
		c, timeline, err := wf.Timeline(ctx, strings.ToUpper(fs.Arg(0)))
		if errors.Is(err, workflow.ErrCaseNotFound) {
			return fmt.Errorf("no case %s", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		rec, err := wf.CaseRecord(ctx, c.ID)
		if err != nil {
			return err
		}
		printTimeline(stdout, c, rec, timeline, wf.Settings().Organisation.Location, time.Now())
		return nil
	default:
		return fmt.Errorf("%w: unknown cases command %q (list or show)", errUsage, sub)
	}
}

// openWorkflow opens what reading cases needs: the database and settings;
// it talks to no mail server.
func openWorkflow(ctx context.Context, config string, env func(string) string) (*workflow.Workflow, func(), error) {
	wf, _, closeFn, err := openWorkflowConfig(ctx, config, env)
	return wf, closeFn, err
}

// openWorkflowConfig is openWorkflow that also returns the configuration.
func openWorkflowConfig(ctx context.Context, config string, env func(string) string) (*workflow.Workflow, *Config, func(), error) {
	cfg, err := loadConfig(config, env)
	if err != nil {
		return nil, nil, nil, err
	}
	tpl, err := templates.New(cfg.Templates.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := openExistingDB(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	set, err := workflowSettings(ctx, cfg, db)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	wf, err := workflow.New(workflow.Deps{DB: db, Parse: parseMail, Render: tpl, Compose: mailbox.Compose, ComposeFiles: composeFiles, ReadFiles: readFiles,
		Log: slog.New(slog.DiscardHandler), Settings: set})
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return wf, cfg, func() { db.Close() }, nil
}

func printCaseList(w io.Writer, cases []workflow.Case, loc *time.Location, now time.Time) {
	if len(cases) == 0 {
		fmt.Fprintln(w, "no cases")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tSTATUS\tRECEIVED\tJUDGMENT DUE\tDAYS LEFT\tCOMPLAINANT\tSUBJECT\tFLAGS")
	for _, c := range cases {
		// Every stored field on one line: a newline or tab in a subject
		// must not make a row or column of its own.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(c.Reference), oneLine(c.Status),
			c.ReceivedAt.In(loc).Format("2006-01-02 15:04"), workflow.LastDay(c.DeadlineAt, loc).Format("2006-01-02"),
			daysLeft(c, loc, now), oneLine(c.ComplainantEmail), oneLine(clip(c.Subject, 40)), oneLine(flags(c)))
	}
	tw.Flush()
}

func daysLeft(c workflow.Case, loc *time.Location, now time.Time) string {
	if !c.Open() {
		return "-"
	}
	return fmt.Sprint(workflow.DaysLeft(c, now, loc))
}

// termWords says how the term stands, for cases show: the days left or
// late while the case awaits its judgment, nothing once it has one (never
// "(- days left)", issue 11).
func termWords(c workflow.Case, loc *time.Location, now time.Time) string {
	if !c.Open() {
		return ""
	}
	switch n := workflow.DaysLeft(c, now, loc); {
	case n > 1:
		return fmt.Sprintf(" (%d days left)", n)
	case n == 1:
		return " (1 day left)"
	case n == 0:
		return " (today is the last day)"
	case n == -1:
		return " (1 day late)"
	default:
		return fmt.Sprintf(" (%d days late)", -n)
	}
}

func flags(c workflow.Case) string {
	var f []string
	if c.Kind == workflow.KindCommittee {
		f = append(f, "joint:"+c.Committee)
	}
	if c.DeadlineExceeded {
		f = append(f, "deadline-exceeded")
	}
	if c.Unreachable {
		f = append(f, "complainant-unreachable")
	}
	if c.Safeguarding {
		f = append(f, "safeguarding")
	}
	return strings.Join(f, " ")
}

func printTimeline(w io.Writer, c workflow.Case, rec workflow.CaseRecord, tl []workflow.TimelineEntry, loc *time.Location, now time.Time) {
	fmt.Fprintf(w, "%s  %s\n", oneLine(c.Reference), oneLine(c.Subject))
	fmt.Fprintf(w, "  status:        %s\n", oneLine(c.Status))
	fmt.Fprintf(w, "  complainant:   %s %s\n", oneLine(c.ComplainantName), oneLine("<"+c.ComplainantEmail+">"))
	if c.Kind == workflow.KindCommittee {
		fmt.Fprintf(w, "  joint complaint of %s\n", oneLine(c.Committee))
	}
	if c.Location != "" {
		fmt.Fprintf(w, "  location:      %s\n", oneLine(c.Location))
	}
	if c.Assignee != "" {
		fmt.Fprintf(w, "  assigned to:   %s\n", oneLine(c.Assignee))
	}
	fmt.Fprintf(w, "  received:      %s\n", c.ReceivedAt.In(loc).Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "  judgment due:  %s%s\n", workflow.LastDay(c.DeadlineAt, loc).Format("Monday 2 January 2006"), termWords(c, loc, now))
	if f := flags(c); f != "" {
		fmt.Fprintf(w, "  flags:         %s\n", oneLine(f))
	}
	printRecord(w, c, rec)
	fmt.Fprintln(w, "\ntimeline:")
	for _, e := range tl {
		line := fmt.Sprintf("  %s  %-16s %s", e.At.In(loc).Format("2006-01-02 15:04"), oneLine(e.Kind), oneLine(e.Detail))
		if e.Delivery != "" {
			line += "  [" + oneLine(e.Delivery) + "]"
		}
		if e.Actor != "" && e.Kind != workflow.DirIn && e.Kind != workflow.DirOut {
			line += "  (" + oneLine(e.Actor) + ")"
		}
		fmt.Fprintln(w, line)
		for _, a := range e.Attempts {
			answer := a.Outcome
			if a.Answer != "" {
				answer += ": " + a.Answer
			}
			fmt.Fprintf(w, "        attempt %d  %s  %s\n", a.Attempt, a.At.In(loc).Format("2006-01-02 15:04:05"), oneLine(answer))
		}
		if e.Text != "" {
			// Each line of a message under its bar; a carriage return or
			// escape in it is shown, never acted on.
			for _, l := range strings.Split(strings.TrimRight(e.Text, "\n"), "\n") {
				fmt.Fprintln(w, "        | "+printable(l))
			}
		}
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
