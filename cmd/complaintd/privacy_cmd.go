package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/complaintd/complaintd/workflow"
)

const privacyUsage = `Usage:
  complaintd privacy due [-config FILE] [-at TIME]
  complaintd privacy export [-config FILE] -email ADDRESS [-o DIR] [-received DATE]
  complaintd privacy erase [-config FILE] -email ADDRESS [-received DATE]
  complaintd privacy requests [-config FILE] [-all]
  complaintd privacy done [-config FILE] -id N

due lists every case not yet anonymised: when retention will anonymise it,
and what it waits for; first, the mail without a case (and the records of
mail held back by the limits) past the retention period, and what the last
emptying removed. export writes everything held about a person (AVG
art. 15) as an HTML and a JSON file for review, and records the request: the
answer is due within a month and the request is in the managers' digest until
it is marked done. erase anonymises every closed case of the person now (art.
17) and says, per case, why one cannot be. requests lists the requests not
yet done (-all: all); done marks one answered.`

func cmdPrivacy(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, privacyUsage)
		return fmt.Errorf("%w: privacy needs due, export, erase, requests or done", errUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "due":
		return cmdPrivacyDue(ctx, rest, stdout, stderr, env)
	case "export":
		return cmdPrivacyExport(ctx, rest, stdout, stderr, env)
	case "erase":
		return cmdPrivacyErase(ctx, rest, stdout, stderr, env)
	case "requests":
		return cmdPrivacyRequests(ctx, rest, stdout, stderr, env)
	case "done":
		return cmdPrivacyDone(ctx, rest, stdout, stderr, env)
	default:
		fmt.Fprintln(stderr, privacyUsage)
		return fmt.Errorf("%w: unknown privacy command %q (due, export, erase, requests or done)", errUsage, sub)
	}
}

func cmdPrivacyDue(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("privacy due [-config FILE] [-at TIME]", privacyUsage, stderr, env)
	at := fs.String("at", "", "the `moment` to look at, e.g. 2028-06-01 (organisation's time zone)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config, env)
	if err != nil {
		return err
	}
	wf, now, closeFn, err := openWorkflowAtFlag(ctx, cfg, *at)
	if err != nil {
		return err
	}
	defer closeFn()
	rs, err := wf.RetentionOf(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cases are anonymised %d months after closing or withdrawal, and never while held (privacy.anonymise_after_months)\n\n",
		cfg.Privacy.AnonymiseAfterMonths)
	if err := printCaseless(ctx, stdout, wf, now); err != nil {
		return err
	}
	if len(rs) == 0 {
		fmt.Fprintln(stdout, "no case holds personal data")
		return nil
	}
	loc := now.Location()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tSTATUS\tANONYMISED FROM\tWAITS FOR")
	for _, r := range rs {
		from, waits := "-", r.Waits(now, loc)
		if !r.Due.IsZero() {
			from = r.Due.In(loc).Format(time.DateOnly)
		}
		if r.Ready(now) {
			waits = "nothing: due now (the running daemon's scheduler does it)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(r.Reference), oneLine(r.Status), from, oneLine(waits))
	}
	return tw.Flush()
}

// printCaseless says what belongs to no case and is past the retention
// period at now, and what the last emptying removed.
func printCaseless(ctx context.Context, stdout io.Writer, wf *workflow.Workflow, now time.Time) error {
	c, err := wf.CaselessAt(ctx, now)
	if err != nil {
		return err
	}
	loc := now.Location()
	fmt.Fprintln(stdout, "mail without a case (digests, ignored messages) and records of mail held back by the limits lose their content after the same months:")
	if c.Empty() {
		fmt.Fprintf(stdout, "  nothing from before %s left to empty\n", c.Before.In(loc).Format(time.DateOnly))
	} else {
		fmt.Fprintf(stdout, "  from before %s: %d message(s) in, %d out, %d held-back record(s) with an address: due now (the running daemon's scheduler does it)\n",
			c.Before.In(loc).Format(time.DateOnly), c.Inbound, c.Outbound, c.Throttled)
	}
	if !c.LastDone.IsZero() {
		fmt.Fprintf(stdout, "  last emptied %s: %s\n", c.LastDone.In(loc).Format(time.DateOnly), oneLine(c.LastNote))
	}
	fmt.Fprintln(stdout)
	return nil
}

// requestFlags are the flags of a request a person made.
func requestFlags(name string, stderr io.Writer, env func(string) string, withDir bool) (fs *flag.FlagSet, config, email, received, dir *string) {
	fs, config = newFlags(name, privacyUsage, stderr, env)
	email = fs.String("email", "", "the person's e-mail `address`")
	received = fs.String("received", "", "the `date` the request was received (default today), e.g. 2026-12-01: the month to answer starts then")
	if withDir {
		dir = fs.String("o", ".", "the `folder` to write the HTML and JSON files in")
	}
	return fs, config, email, received, dir
}

// checkRequest validates -email and -received.
func checkRequest(email, received string, loc *time.Location) (string, time.Time, error) {
	a, err := mail.ParseAddress(email)
	if email == "" || err != nil {
		return "", time.Time{}, fmt.Errorf("%w: -email %q: give the person's e-mail address, like ouder@example.nl", errUsage, email)
	}
	day := time.Now()
	if received != "" {
		if day, err = time.ParseInLocation(time.DateOnly, received, loc); err != nil {
			return "", time.Time{}, fmt.Errorf("%w: -received %q: write a date like 2026-12-01", errUsage, received)
		}
	}
	return strings.ToLower(a.Address), day, nil
}

func cmdPrivacyErase(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config, email, received, _ := requestFlags("privacy erase [-config FILE] -email ADDRESS [-received DATE]", stderr, env, false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	wf, closeFn, err := openWorkflow(ctx, *config, env)
	if err != nil {
		return err
	}
	defer closeFn()
	addr, day, err := checkRequest(*email, *received, wf.Settings().Organisation.Location)
	if err != nil {
		return err
	}
	who := osUser(env)
	req, err := wf.AddPrivacyRequest(ctx, workflow.RequestErasure, addr, day, who, "")
	if err != nil {
		return err
	}
	outs, err := wf.Erase(ctx, addr, who)
	if err != nil {
		return err
	}
	refused := 0
	for _, o := range outs {
		if o.Done != nil {
			fmt.Fprintf(stdout, "%s: anonymised (%s)\n", o.Reference, o.Done.String())
			continue
		}
		refused++
		fmt.Fprintf(stdout, "%s: NOT erased: %s\n", o.Reference, oneLine(o.Refused))
	}
	if len(outs) == 0 {
		fmt.Fprintf(stdout, "no case with personal data of %s\n", addr)
	}
	q, err := wf.QuarantinedMentioning(ctx, addr)
	if err != nil {
		return err
	}
	if len(q) > 0 {
		// Not erased here: a quarantined message is in no case, and the
		// quarantine is the operator's to judge.
		fmt.Fprintf(stdout, "%d quarantined message(s) name the address and belong to no case; they are not erased: %s (complaintd quarantine show ID)\n",
			len(q), joinIDs(q))
		refused += len(q) // the request stays open until the operator has seen to them
	}
	if refused == 0 {
		if err := wf.PrivacyRequestDone(ctx, req.ID, who); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "erasure request %d recorded and done\n", req.ID)
		return nil
	}
	fmt.Fprintf(stdout, "erasure request %d recorded; answer %s by %s (the reasons above), then: complaintd privacy done -id %d\n"+
		"(it is in the managers' digest until then; a refused case is anonymised by retention once nothing holds it)\n",
		req.ID, addr, req.DueOn, req.ID)
	return nil
}

func cmdPrivacyExport(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config, email, received, dir := requestFlags("privacy export [-config FILE] -email ADDRESS [-o DIR] [-received DATE]", stderr, env, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	wf, closeFn, err := openWorkflow(ctx, *config, env)
	if err != nil {
		return err
	}
	defer closeFn()
	set := wf.Settings()
	addr, day, err := checkRequest(*email, *received, set.Organisation.Location)
	if err != nil {
		return err
	}
	who := osUser(env)
	pd, err := wf.ExportPerson(ctx, addr)
	if err != nil {
		return err
	}
	req, err := wf.AddPrivacyRequest(ctx, workflow.RequestAccess, addr, day, who, fmt.Sprintf("%d case(s) exported", len(pd.Cases)))
	if err != nil {
		return err
	}
	what := workflow.Accessed{RequestID: req.ID}
	for _, c := range pd.Cases {
		what.Cases = append(what.Cases, c.Case.ID)
	}
	if err := wf.LogAccess(ctx, time.Now(), who, "privacy export", what); err != nil {
		return err
	}
	files, err := writeExport(*dir, req, pd, set)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "access request %d of %s: %d case(s)\n", req.ID, addr, len(pd.Cases))
	for _, f := range files {
		fmt.Fprintf(stdout, "  written: %s (readable by you only)\n", f)
	}
	if len(pd.Others) > 0 {
		fmt.Fprintf(stdout, "REVIEW before handing it over: %d name(s) and address(es) of other people are marked in it\n"+
			"(staff, other parents; AVG art. 15(4)); read the free text for names of children and others too.\n", len(pd.Others))
	}
	if n := len(pd.Quarantined); n > 0 {
		fmt.Fprintf(stdout, "%d quarantined message(s) name the address and belong to no case: look at them (complaintd quarantine show ID: %s)\n",
			n, joinIDs(pd.Quarantined))
	}
	fmt.Fprintf(stdout, "the answer is due by %s; once it is sent: complaintd privacy done -id %d\n", req.DueOn, req.ID)
	return nil
}

func cmdPrivacyRequests(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("privacy requests [-config FILE] [-all]", privacyUsage, stderr, env)
	all := fs.Bool("all", false, "also the requests done")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	wf, closeFn, err := openWorkflow(ctx, *config, env)
	if err != nil {
		return err
	}
	defer closeFn()
	rs, err := wf.PrivacyRequests(ctx, !*all)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		fmt.Fprintln(stdout, "no privacy requests to answer")
		return nil
	}
	loc := wf.Settings().Organisation.Location
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tEMAIL\tRECEIVED\tANSWER DUE\tDONE\tNOTE")
	for _, r := range rs {
		done := "-"
		if r.DoneAt.Valid {
			done = r.DoneAt.Time.In(loc).Format("2006-01-02 15:04") + " by " + r.DoneBy
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, oneLine(r.Email), r.ReceivedOn, r.DueOn, oneLine(done), oneLine(r.Note))
	}
	return tw.Flush()
}

func cmdPrivacyDone(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs, config := newFlags("privacy done [-config FILE] -id N", privacyUsage, stderr, env)
	idFlag := fs.String("id", "", "the request's `number` (complaintd privacy requests lists them)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(*idFlag, "#"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: -id %q: give the request's number, as complaintd privacy requests shows", errUsage, *idFlag)
	}
	wf, closeFn, err := openWorkflow(ctx, *config, env)
	if err != nil {
		return err
	}
	defer closeFn()
	err = wf.PrivacyRequestDone(ctx, id, osUser(env))
	switch {
	case errors.Is(err, workflow.ErrRequestNotFound):
		return fmt.Errorf("no privacy request %d (complaintd privacy requests -all lists them)", id)
	case errors.Is(err, workflow.ErrRequestDone):
		return fmt.Errorf("privacy request %d was marked done before", id)
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "privacy request %d marked done; it leaves the managers' digest\n", id)
	return nil
}

// osUser names the operating-system account running the command, for the
// access log; through sudo, also the account that used sudo.
func osUser(env func(string) string) string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if s := env("SUDO_USER"); s != "" && s != name {
		name += " (sudo by " + s + ")"
	}
	return name
}

// logAccess records that this command shows case content; nothing is shown
// when it cannot be recorded.
func logAccess(ctx context.Context, wf *workflow.Workflow, env func(string) string, command string, what workflow.Accessed) error {
	return wf.LogAccess(ctx, time.Now(), osUser(env), command, what)
}

// printPrivacy ends cases show: whether the case was anonymised, and who
// was shown its content when (the access log, this showing included).
func printPrivacy(ctx context.Context, w io.Writer, wf *workflow.Workflow, c workflow.Case) error {
	loc := wf.Settings().Organisation.Location
	at, gone, err := wf.AnonymisedAt(ctx, c.ID)
	if err != nil {
		return err
	}
	if gone {
		fmt.Fprintf(w, "\nanonymised %s: names, addresses, texts and raw mail removed; the statistics are kept\n", at.In(loc).Format("2006-01-02 15:04"))
	}
	log, err := wf.AccessLog(ctx, c.ID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\naccess log (who was shown this case's content):")
	for _, a := range log {
		fmt.Fprintf(w, "  %s  %-20s %s\n", a.At.In(loc).Format("2006-01-02 15:04:05"), oneLine(a.Command), oneLine(a.OSUser))
	}
	return nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
