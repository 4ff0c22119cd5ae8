package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/complaintd/complaintd/report"
	"github.com/complaintd/complaintd/workflow"
)

// cmdReport writes the annual complaints report (Wko art. 1.57b(4)).
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("report [-config FILE] [-year YEAR] [-location NAME] [-format html|md|csv] [-o FILE] [-mail]",
		"Writes the annual complaints report the law asks for (Wet kinderopvang art. 1.57b(4)), for the GGD\n"+
			"before 1 June: the regulation, how parents were told of it, the complaints per location, the\n"+
			"judgments and measures, and the Klachtenloket and Geschillencommissie cases. Anonymised: no\n"+
			"names, addresses, e-mail addresses, references or text of parents or staff. With -mail, mails\n"+
			"it to every manager now, as the 1 May reminder does, through the outbox.", stderr, env)
	year := fs.Int("year", time.Now().Year()-1, "the calendar `year` to report on (default last year)")
	location := fs.String("location", "", "only this `location` (default the whole organisation)")
	format := fs.String("format", "html", "html (print to PDF from a browser), md or csv")
	out := fs.String("o", "", "write to this `file` instead of standard output")
	mail := fs.Bool("mail", false, "mail the report (HTML, attached) to every manager now, as the 1 May reminder does")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *mail {
		if *location != "" || *out != "" || *format != "html" {
			return fmt.Errorf("%w: -mail sends the whole organisation's HTML report; it takes no -location, -format or -o", errUsage)
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("%w: report takes no arguments (got %q)", errUsage, strings.Join(fs.Args(), " "))
		}
		return mailReport(ctx, *config, *year, stdout, stderr, env)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: report takes no arguments (got %q)", errUsage, strings.Join(fs.Args(), " "))
	}
	f := strings.ToLower(*format)
	if f != "html" && f != "md" && f != "csv" {
		return fmt.Errorf("%w: -format %q: use html, md or csv", errUsage, *format)
	}
	wf, closeFn, err := openWorkflow(ctx, *config, env)
	if err != nil {
		return err
	}
	defer closeFn()
	r, err := wf.BuildReport(ctx, *year, strings.TrimSpace(*location))
	if errors.Is(err, workflow.ErrNoReport) {
		where := ""
		if *location != "" {
			where = " at " + *location
		}
		return fmt.Errorf("no report for %d%s: no complaints were received and no Klachtenloket or Geschillencommissie case was filed in that year, so the law asks for none (Wko art. 1.57b(9))", *year, where)
	}
	if err != nil {
		return err
	}
	if len(r.Missing) > 0 {
		return fmt.Errorf("the report needs %s in the configuration ([report] section): the law asks for a short description of the complaints regulation and how parents were told of it", strings.Join(r.Missing, " and "))
	}
	b, err := report.Render(r, f)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(*out, b, 0o600); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(stdout, "wrote the %s report for %d to %s\n", f, *year, *out)
	return nil
}
