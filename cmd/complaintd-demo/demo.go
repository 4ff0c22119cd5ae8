package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

//go:embed demo/*.eml
var demoMail embed.FS

// person is a handler or manager of the demo's organisation.
type person struct {
	Name, Email string
	Locations   []string
}

// demoSetup is what the demo configures: the made-up Kinderopvang De
// Vlinder, pointing at the demo's own servers.
type demoSetup struct {
	Database struct{ URL string }
	Handlers []person
	Managers []person
}

func newDemoSetup(dir string) *demoSetup {
	cfg := &demoSetup{
		Handlers: []person{
			{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"},
			{Name: "Marco Bos", Email: "marco.bos@vlinder.example"},
		},
		Managers: []person{
			{Name: "Ilse Kramer", Email: "ilse.kramer@vlinder.example", Locations: []string{"BSO De Springplank"}},
			{Name: "Directie De Vlinder", Email: "directie@vlinder.example"},
		},
	}
	cfg.Database.URL = "sqlite:" + filepath.Join(dir, "complaintd.db")
	return cfg
}

// toml is the configuration file the daemon runs with. The escalation
// blocks follow ../shared/reference/complaint-law.md; an organisation must
// verify them.
func (cfg *demoSetup) toml(imapAddr, smtpAddr, logLevel string, now time.Time) string {
	q := strconv.Quote
	list := func(ss []string) string {
		qs := make([]string, len(ss))
		for i, s := range ss {
			qs[i] = q(s)
		}
		return "[" + strings.Join(qs, ", ") + "]"
	}
	// The scheduler runs in the daemon as in production; a digest of today
	// would come and go with the time of day the demo runs at, so the
	// digest days leave out today (the demo previews the digests instead).
	var days []string
	for d := range 7 {
		if wd := time.Weekday(d); wd != now.Weekday() {
			days = append(days, strings.ToLower(wd.String()[:3]))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `[organisation]
name = "Kinderopvang De Vlinder"
address = "klachten@vlinder.example"
message_id_host = "klachten.vlinder.example"
procedure_url = "https://www.vlinder.example/klachtenregeling"
privacy_url = "https://www.vlinder.example/privacy"
locations = ["KDV De Rups", "BSO De Springplank", "Gastouderbureau De Vlinder"]

[database]
url = %s

[imap]
addr = %s
tls = "none"
auth = "password"
username = "klachten"
password = "secret"
mailbox = "INBOX"
processed_mailbox = "Processed"
quarantine_mailbox = "Quarantine"
poll_interval = "30s"
command_timeout = "30s"

[smtp]
addr = %s
tls = "none"
timeout = "30s"

[digest]
days = %s

# The receiving server's authserv-id: its Authentication-Results count.
[trust]
policy = "token_or_dmarc"
authserv_id = "mx.vlinder.example"

[escalation]
klachtenloket = %s
geschillencommissie = %s
fee = "€ 25"
window_months = 12

[log]
level = %s
`, q(cfg.Database.URL), q(imapAddr), q(smtpAddr), list(days),
		q("Klachtenloket Kinderopvang\nwww.klachtenloket-kinderopvang.nl\ninfo@klachtenloket-kinderopvang.nl\n0900 1877"),
		q("De Geschillencommissie\nPostbus 90600, 2509 LP Den Haag\nwww.degeschillencommissie.nl\n070 310 53 10"),
		q(logLevel))
	for _, h := range cfg.Handlers {
		fmt.Fprintf(&b, "\n[[handlers]]\nname = %s\nemail = %s\n", q(h.Name), q(h.Email))
	}
	for _, m := range cfg.Managers {
		fmt.Fprintf(&b, "\n[[managers]]\nname = %s\nemail = %s\n", q(m.Name), q(m.Email))
		if len(m.Locations) > 0 {
			fmt.Fprintf(&b, "locations = %s\n", list(m.Locations))
		}
	}
	b.WriteString("\n[[committees]]\nname = \"Oudercommissie KDV De Rups\"\naddress = \"oudercommissie.derups@gmail.example\"\nlocation = \"KDV De Rups\"\n")
	return b.String()
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("complaintd-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: complaintd-demo [-complaintd PATH] [-v] [-keep]\n\n"+
			"Starts an IMAP and an SMTP server in this process, delivers sample Dutch complaints and a\n"+
			"parent's reply, runs the real daemon (the complaintd binary) against them on a fresh SQLite\n"+
			"database, prints every email it sends and the resulting cases, and exits. Needs no configuration.\n\n")
		fs.PrintDefaults()
	}
	bin := fs.String("complaintd", "", "the complaintd `binary` to run (default: complaintd beside this program, else in PATH)")
	verbose := fs.Bool("v", false, "log what the daemon does to stderr")
	keep := fs.Bool("keep", false, "keep the demo folder (database and configuration) and print its path")
	if err := fs.Parse(args); err != nil {
		return err
	}
	daemon, err := findDaemon(*bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "complaintd-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}

	quiet := slog.New(slog.DiscardHandler)
	imapSrv, err := mailtest.StartIMAP(mailtest.IMAPOptions{Logger: quiet})
	if err != nil {
		return fmt.Errorf("demo: imap server: %w", err)
	}
	defer imapSrv.Close()
	smtpSrv, err := mailtest.StartSMTP(mailtest.SMTPOptions{TLS: "none", Logger: quiet})
	if err != nil {
		return fmt.Errorf("demo: smtp server: %w", err)
	}
	defer smtpSrv.Close()

	cfg := newDemoSetup(dir)
	level := "warn"
	if *verbose {
		level = "info"
	}
	// The configuration beside the database: the daemon runs with it, and
	// with -keep the commands that only look (cases, due, digest) can be
	// tried on what the demo did.
	conf := filepath.Join(dir, "demo.toml")
	if err := os.WriteFile(conf, []byte(cfg.toml(imapSrv.Addr(), smtpSrv.Addr(), level, time.Now())), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if *keep {
		defer fmt.Fprintf(stdout, "\nThe demo database and its configuration are kept in %s. Look at them with\n"+
			"  complaintd cases list -config %s\n  complaintd due -config %s -at %s\n  complaintd digest -config %s\n"+
			"(or go run ./cmd/complaintd instead of complaintd). The demo's mail servers are gone: run and check will not connect.\n",
			dir, conf, conf, time.Now().AddDate(0, 0, 40).Format(time.DateOnly), conf)
	}
	// The migrations first, so that the daemon's start-up is quick.
	if _, err := runDaemon(ctx, daemon, stderr, "migrate", "-config", conf); err != nil {
		return err
	}
	d, err := startDaemon(ctx, daemon, conf, stderr, *verbose)
	if err != nil {
		return err
	}
	defer d.stop()
	// The steps below wait on the daemon's mail; they end at once when the
	// daemon ends early, and the looking commands after them run on outer.
	outer := ctx
	ctx = d.ctx

	fmt.Fprintf(stdout, "complaintd demo: IMAP on %s, SMTP on %s, database %s\n\n", imapSrv.Addr(), smtpSrv.Addr(), cfg.Database.URL)

	// Three complaints arrive: the daemon confirms each and tells both handlers.
	entries, err := demoMail.ReadDir("demo")
	if err != nil {
		return err
	}
	now := time.Now()
	for i, e := range entries {
		raw, err := fsRead(demoMail, "demo/"+e.Name())
		if err != nil {
			return err
		}
		received := now.Add(-time.Duration(len(entries)-i) * time.Hour)
		if _, err := imapSrv.Deliver("INBOX", raw, received); err != nil {
			return fmt.Errorf("demo: deliver %s: %w", e.Name(), err)
		}
		fmt.Fprintf(stdout, "delivered %s\n", e.Name())
	}
	perMessage := 1 + len(cfg.Handlers)
	want := len(entries) * perMessage
	if err := waitForMail(ctx, smtpSrv, want); err != nil {
		return err
	}

	// The first parent answers her confirmation: it joins her case.
	reply, err := demoReply(smtpSrv.Messages(), "sanne.jansen@example.nl")
	if err != nil {
		return err
	}
	if _, err := imapSrv.Deliver("INBOX", reply, time.Now()); err != nil {
		return fmt.Errorf("demo: deliver reply: %w", err)
	}
	fmt.Fprintln(stdout, "delivered a reply from sanne.jansen@example.nl to her confirmation")
	want += len(cfg.Handlers)
	if err := waitForMail(ctx, smtpSrv, want); err != nil {
		return err
	}

	// Anna, the klachtenfunctionaris, takes the first case and places it
	// with command lines (the digest sorts cases by location); she gets a
	// confirmation and the other handler is told.
	take, err := demoHandlerReply(smtpSrv.Messages(), "anna.devries@vlinder.example", "KL-2026-0001",
		"#toewijzen Anna de Vries\r\n#locatie KDV De Rups")
	if err != nil {
		return err
	}
	if _, err := imapSrv.Deliver("INBOX", take, time.Now()); err != nil {
		return fmt.Errorf("demo: deliver commands: %w", err)
	}
	fmt.Fprintln(stdout, "delivered Anna's commands: she takes the first case and records its location")
	want += 2 // Anna's confirmation, and the other handler
	if err := waitForMail(ctx, smtpSrv, want); err != nil {
		return err
	}

	// Then she answers the parent in a reply without command lines: only
	// her new words are relayed to the parent, in the parent's thread.
	answer, err := demoHandlerReply(smtpSrv.Messages(), "anna.devries@vlinder.example", "KL-2026-0001",
		"Beste Sanne,\r\n\r\nDank je voor je aanvulling. Ik spreek morgen met de leidster van de Rupsen en bel je daarna.\r\n\r\nHartelijke groet,")
	if err != nil {
		return err
	}
	if _, err := imapSrv.Deliver("INBOX", answer, time.Now()); err != nil {
		return fmt.Errorf("demo: deliver answer: %w", err)
	}
	fmt.Fprintln(stdout, "delivered Anna's answer to the first parent")
	want += 2 // to the parent, and to the other handler
	if err := waitForMail(ctx, smtpSrv, want); err != nil {
		return err
	}

	// And she sends the written judgment on the invoices, with two measures.
	due := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	due2 := time.Now().AddDate(0, 2, 0).Format(time.DateOnly)
	judgment, err := demoHandlerReply(smtpSrv.Messages(), "anna.devries@vlinder.example", "KL-2026-0003",
		"#locatie Gastouderbureau De Vlinder\r\n#oordeel gegrond\r\n#categorie financieel\r\n\r\n#maatregel "+due+" "+demoMeasures[0].what+"\r\n"+
			"#maatregel "+due2+" "+demoMeasures[1].what+"\r\n\r\n"+
			"Beste heer Hoekstra,\r\n\r\nWe hebben uw klacht onderzocht. Uw opzegging per 1 oktober is op tijd ontvangen, maar niet "+
			"verwerkt in onze administratie. Daardoor zijn er ten onrechte facturen verstuurd. Wij vinden uw klacht gegrond en "+
			"bieden onze excuses aan.\r\n\r\nMet vriendelijke groet,\r\nAnna de Vries\r\nKlachtenfunctionaris")
	if err != nil {
		return err
	}
	if _, err := imapSrv.Deliver("INBOX", judgment, time.Now()); err != nil {
		return fmt.Errorf("demo: deliver judgment: %w", err)
	}
	fmt.Fprintln(stdout, "delivered Anna's judgment on the third complaint")
	want += 3 // the judgment, Anna's confirmation, and the other handler
	if err := waitForMail(ctx, smtpSrv, want); err != nil {
		return err
	}

	// The measures are carried out, one at a time; the last one closes the case.
	if want, err = demoMeasuresDone(ctx, imapSrv, smtpSrv, stdout, "KL-2026-0003", want); err != nil {
		return err
	}

	// A manager asks for the case file of the first case (issue 11).
	if err := demoManagerDossier(imapSrv, "directie@vlinder.example", "Directie De Vlinder", "KL-2026-0001"); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "delivered the directie's #dossier KL-2026-0001: the case file comes back as an HTML attachment")
	want++
	if err := waitForMail(ctx, smtpSrv, want); err != nil {
		return err
	}
	if err := d.stop(); err != nil {
		return err
	}

	for i, m := range smtpSrv.Messages() {
		printMail(stdout, i+1, m)
		printCaseFile(stdout, m)
	}
	fmt.Fprintln(stdout, strings.Repeat("=", 78))
	fmt.Fprintln(stdout, "CASES")
	fmt.Fprintln(stdout, strings.Repeat("=", 78))
	list, err := runDaemon(outer, daemon, stderr, "cases", "list", "-config", conf)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, list)
	refs := caseReferences(list)
	for _, ref := range refs {
		fmt.Fprintln(stdout)
		show, err := runDaemon(outer, daemon, stderr, "cases", "show", "-config", conf, ref)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, show)
	}
	// What the managers' digests would say right now (the scheduler sends
	// them daily at digest.time).
	digests, err := runDaemon(outer, daemon, stderr, "digest", "-config", conf)
	if err != nil {
		return err
	}
	printDigests(stdout, digests)
	if len(refs) != len(entries) {
		return fmt.Errorf("demo: %d cases, want %d", len(refs), len(entries))
	}
	return nil
}

func fsRead(f fs.FS, name string) ([]byte, error) { return fs.ReadFile(f, name) }

// waitForMail waits until the SMTP server has n messages, or fails clearly.
func waitForMail(ctx context.Context, srv *mailtest.SMTPServer, n int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := srv.Wait(ctx, n); err != nil {
		return fmt.Errorf("demo: waited for %d emails, got %d: %w", n, len(srv.Messages()), err)
	}
	return nil
}

// demoReply writes a parent's answer to the confirmation she received, the
// way a mail client does: In-Reply-To and References, the quoted original.
func demoReply(sent []mailtest.Captured, parent string) ([]byte, error) {
	for _, m := range sent {
		if len(m.To) != 1 || m.To[0] != parent {
			continue
		}
		conf, err := mailbox.Parse(m.Raw)
		if err != nil {
			return nil, err
		}
		refs := append(conf.References(), conf.MessageID())
		quoted := "> " + strings.ReplaceAll(strings.TrimSpace(conf.Text()), "\n", "\n> ")
		reply := "From: Sanne Jansen <" + parent + ">\r\n" +
			"To: Kinderopvang De Vlinder - Klachten <klachten@vlinder.example>\r\n" +
			"Subject: Re: " + conf.Subject() + "\r\n" +
			"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
			"Message-ID: <demo-reply-" + fmt.Sprint(time.Now().UnixNano()) + "@mail.example.nl>\r\n" +
			"In-Reply-To: <" + conf.MessageID() + ">\r\n" +
			"References: <" + strings.Join(refs, "> <") + ">\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			"Dank voor de bevestiging. Ik wil nog aanvullen dat dit al de tweede keer was:\r\n" +
			"op 3 november ging het bijna ook mis, toen mijn moeder Noah kwam halen.\r\n\r\n" +
			"Sanne\r\n\r\n" +
			"Op " + time.Now().Format("2 Jan 2006 15:04") + " schreef Kinderopvang De Vlinder - Klachten <klachten@vlinder.example>:\r\n" +
			strings.ReplaceAll(quoted, "\n", "\r\n") + "\r\n"
		return []byte(reply), nil
	}
	return nil, errors.New("demo: no confirmation was sent to " + parent)
}

// demoHandlerReply writes a handler's reply to her notification about ref,
// as her mail client would: In-Reply-To carries her reply token.
func demoHandlerReply(sent []mailtest.Captured, handler, ref, text string) ([]byte, error) {
	for _, m := range sent {
		if len(m.To) != 1 || m.To[0] != handler {
			continue
		}
		note, err := mailbox.Parse(m.Raw)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(note.Subject(), "["+ref+"]") {
			continue
		}
		quoted := "> " + strings.ReplaceAll(strings.TrimSpace(note.Text()), "\n", "\r\n> ")
		return []byte("From: Anna de Vries <" + handler + ">\r\n" +
			"To: Kinderopvang De Vlinder <klachten@vlinder.example>\r\n" +
			"Subject: RE: " + note.Subject() + "\r\n" +
			"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
			"Message-ID: <demo-anna-" + fmt.Sprint(time.Now().UnixNano()) + "@vlinder.example>\r\n" +
			"In-Reply-To: <" + note.MessageID() + ">\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			text + "\r\n\r\n-----Oorspronkelijk bericht-----\r\n" + quoted + "\r\n"), nil
	}
	return nil, errors.New("demo: no notification about " + ref + " was sent to " + handler)
}

// printMail shows one sent email: envelope, key headers and the plain text.
func printMail(w io.Writer, n int, m mailtest.Captured) {
	fmt.Fprintln(w, strings.Repeat("=", 78))
	fmt.Fprintf(w, "EMAIL %d   envelope: %s -> %s\n", n, m.From, strings.Join(m.To, ", "))
	fmt.Fprintln(w, strings.Repeat("=", 78))
	msg, err := mailbox.Parse(m.Raw)
	if err != nil {
		fmt.Fprintf(w, "(unparseable: %v)\n", err)
		return
	}
	h := msg.Header()
	for _, k := range []string{"From", "To", "Reply-To", "Subject", "Message-Id", "In-Reply-To", "Auto-Submitted"} {
		if v := h.Get(k); v != "" {
			if k == "Subject" {
				v = msg.Subject()
			}
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	for i := range msg.AttachmentCount() {
		name, typ, size := msg.Attachment(i)
		fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", name, typ, size)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.TrimRight(msg.Text(), "\n"))
	fmt.Fprintln(w)
}
