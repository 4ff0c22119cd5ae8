package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/workflow"
)

//go:embed demo/*.eml
var demoMail embed.FS

// demoConfig is a complete configuration for the made-up Kinderopvang De
// Vlinder, pointing at the demo's own servers. The escalation blocks follow
// ../shared/reference/complaint-law.md; an organisation must verify them.
func demoConfig(dir, imapAddr, smtpAddr string) *Config {
	cfg := defaults()
	cfg.Organisation.Name = "Kinderopvang De Vlinder"
	cfg.Organisation.Address = "klachten@vlinder.example"
	cfg.Organisation.MessageHost = "klachten.vlinder.example"
	cfg.Organisation.ProcedureURL = "https://www.vlinder.example/klachtenregeling"
	cfg.Organisation.PrivacyURL = "https://www.vlinder.example/privacy"
	cfg.Database.URL = "sqlite:" + filepath.Join(dir, "complaintd.db")
	cfg.IMAP = IMAPConfig{
		Addr: imapAddr, TLS: "none", Auth: "password", Username: "klachten", Password: "secret",
		Mailbox: "INBOX", ProcessedMailbox: "Processed", QuarantineMailbox: "Quarantine",
		PollInterval: 30 * time.Second, CommandTimeout: 30 * time.Second,
	}
	cfg.SMTP = SMTPConfig{Addr: smtpAddr, TLS: "none", Timeout: 30 * time.Second}
	cfg.Organisation.Locations = []string{"KDV De Rups", "BSO De Springplank", "Gastouderbureau De Vlinder"}
	cfg.Handlers = []HandlerConfig{
		{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"},
		{Name: "Marco Bos", Email: "marco.bos@vlinder.example"},
	}
	cfg.Managers = []ManagerConfig{
		{Name: "Ilse Kramer", Email: "ilse.kramer@vlinder.example", Locations: []string{"BSO De Springplank"}},
		{Name: "Directie De Vlinder", Email: "directie@vlinder.example"},
	}
	cfg.Committees = []CommitteeConfig{
		{Name: "Oudercommissie KDV De Rups", Address: "oudercommissie.derups@gmail.example", Location: "KDV De Rups"},
	}
	// The receiving server's authserv-id: its Authentication-Results count.
	cfg.Trust = TrustConfig{Policy: "token_or_dmarc", AuthservID: "mx.vlinder.example"}
	cfg.Escalation = EscalationConfig{
		Klachtenloket:       "Klachtenloket Kinderopvang\nwww.klachtenloket-kinderopvang.nl\ninfo@klachtenloket-kinderopvang.nl\n0900 1877",
		Geschillencommissie: "De Geschillencommissie\nPostbus 90600, 2509 LP Den Haag\nwww.degeschillencommissie.nl\n070 310 53 10",
		Fee:                 "€ 25",
		WindowMonths:        12,
	}
	cfg.Log.Level = "warn"
	return &cfg
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlags("demo [-v] [-keep]",
		"Starts an IMAP and an SMTP server in this process, delivers sample Dutch complaints and a\nparent's reply, runs the real daemon against them on a fresh SQLite database, prints every\nemail it sends and the resulting cases, and exits. Needs no configuration.", stderr, func(string) string { return "" })
	verbose := fs.Bool("v", false, "log what the daemon does to stderr")
	keep := fs.Bool("keep", false, "keep the demo folder (database) and print its path")
	if err := parseFlags(fs, args); err != nil {
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

	cfg := demoConfig(dir, imapSrv.Addr(), smtpSrv.Addr())
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if *verbose {
		cfg.Log.Level = "info"
	}
	if *keep {
		// A configuration beside the database, so the commands that only
		// look (cases, due, digest) can be tried on what the demo did.
		conf := filepath.Join(dir, "demo.toml")
		var b bytes.Buffer
		if err := toml.NewEncoder(&b).Encode(cfg); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(conf, b.Bytes(), 0o600); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer fmt.Fprintf(stdout, "\nThe demo database and its configuration are kept in %s. Look at them with\n"+
			"  complaintd cases list -config %s\n  complaintd due -config %s -at %s\n  complaintd digest -config %s\n"+
			"(or go run ./cmd/complaintd instead of complaintd). The demo's mail servers are gone: run and check will not connect.\n",
			dir, conf, conf, time.Now().AddDate(0, 0, 40).Format(time.DateOnly), conf)
	}
	c, err := build(ctx, cfg, newLogger(cfg, stderr), options{})
	if err != nil {
		return err
	}
	defer c.close()

	fmt.Fprintf(stdout, "complaintd demo: IMAP on %s, SMTP on %s, database %s\n\n", imapSrv.Addr(), smtpSrv.Addr(), cfg.Database.URL)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { c.runLoops(runCtx, false) })
	defer func() { stop(); wg.Wait() }()

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
	stop()
	wg.Wait()

	for i, m := range smtpSrv.Messages() {
		printMail(stdout, i+1, m)
		printCaseFile(stdout, m)
	}
	fmt.Fprintln(stdout, strings.Repeat("=", 78))
	fmt.Fprintln(stdout, "CASES")
	fmt.Fprintln(stdout, strings.Repeat("=", 78))
	cases, err := c.wf.Cases(ctx, workflow.CaseFilter{})
	if err != nil {
		return err
	}
	loc := c.wf.Settings().Organisation.Location
	printCaseList(stdout, cases, loc, time.Now())
	for _, cs := range cases {
		fmt.Fprintln(stdout)
		cs, tl, err := c.wf.Timeline(ctx, cs.Reference)
		if err != nil {
			return err
		}
		rec, err := c.wf.CaseRecord(ctx, cs.ID)
		if err != nil {
			return err
		}
		printTimeline(stdout, cs, rec, tl, loc, time.Now())
	}
	// What the managers' digests would say right now (the scheduler sends
	// them daily at digest.time).
	for _, mc := range cfg.Managers {
		m, _ := c.wf.Manager(mc.Email)
		v, subject, text, err := c.wf.RenderDigest(ctx, m, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, strings.Repeat("=", 78))
		fmt.Fprintf(stdout, "DIGEST PREVIEW for %s <%s>\n", m.Name, m.Email)
		fmt.Fprintln(stdout, strings.Repeat("=", 78))
		if v.Empty() {
			fmt.Fprintln(stdout, "nothing to report")
			continue
		}
		fmt.Fprintf(stdout, "Subject: %s\n\n%s", subject, text)
	}
	if len(cases) != len(entries) {
		return fmt.Errorf("demo: %d cases, want %d", len(cases), len(entries))
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
