package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// latencyLoads are the steady rates BenchmarkLatencyIdle delivers at, and
// how many complaints at each (issue 14: p50/p99 at 10 and 50 msg/s).
var latencyLoads = []struct{ rate, count int }{{10, 200}, {50, 500}}

// BenchmarkLatencyIdle measures what a parent waits: from the moment a
// complaint is APPENDed to a real Dovecot until the SMTP server accepts our
// confirmation of it. The daemon runs its own loops and learns of new mail
// with IMAP IDLE (the poll interval is set to five minutes, so only IDLE can
// explain a short wait); the complaints arrive at a steady rate from one
// IMAP connection of their own. The wait is split where the daemon recorded
// the message in its ledger: before that it is Dovecot's notice and the
// fetch, after it the workflow, the outbox and the SMTP transaction.
func BenchmarkLatencyIdle(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, load := range latencyLoads {
			b.Run(fmt.Sprintf("%s/%dmsgs", dialect, load.rate), func(b *testing.B) {
				for range b.N {
					l := latencyRun(b, storetest.URL(b, dialect), load.rate, load.count)
					p50, p99, worst := percentile(l.total, 50), percentile(l.total, 99), l.total[len(l.total)-1]
					b.ReportMetric(ms(p50), "p50-ms")
					b.ReportMetric(ms(p99), "p99-ms")
					b.ReportMetric(ms(worst), "max-ms")
					b.ReportMetric(ms(percentile(l.fetched, 50)), "p50-to-ledger-ms")
					b.ReportMetric(ms(percentile(l.sent, 50)), "p50-ledger-to-sent-ms")
					b.Logf("%s: %d complaints at %d msg/s, APPEND → confirmation accepted (Dovecot IDLE): p50 %s, p99 %s, max %s; "+
						"APPEND → in the ledger p50 %s, p99 %s; ledger → accepted p50 %s, p99 %s",
						dialect, load.count, load.rate, round(p50), round(p99), round(worst),
						round(percentile(l.fetched, 50)), round(percentile(l.fetched, 99)),
						round(percentile(l.sent, 50)), round(percentile(l.sent, 99)))
				}
			})
		}
	}
}

// latencies are one run's waits, each sorted, shortest first: in all, from
// APPEND until the daemon recorded the message in its ledger, and from
// there until the confirmation was accepted.
type latencies struct{ total, fetched, sent []time.Duration }

// latencyRun starts Dovecot, an SMTP capture and the daemon on the database
// at url, delivers count complaints at rate per second and returns their
// latencies.
func latencyRun(b *testing.B, url string, rate, count int) latencies {
	b.Helper()
	// StartDovecot skips with the reason when Dovecot is not installed.
	dove := peers.StartDovecot(b, peers.DovecotOptions{})
	smtpSrv, err := mailtest.StartSMTP(mailtest.SMTPOptions{TLS: "none", CountOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { smtpSrv.Close() })
	cfg := demoConfig(b.TempDir(), dove.Addr(), smtpSrv.Addr())
	cfg.Database.URL = url
	cfg.IMAP.Username, cfg.IMAP.Password = dove.User(), dove.Password()
	cfg.IMAP.PollInterval = 5 * time.Minute // only IDLE brings mail in quickly
	cfg.Handlers = cfg.Handlers[:1]         // two mails per complaint: confirmation and notification
	// Warnings and errors on stderr: a run that stalls says why.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := build(context.Background(), cfg, logger, options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { c.run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	client := dove.Client(b)
	defer peers.Logout(client)
	wait := func(n int, within time.Duration) []mailtest.Captured {
		wctx, wcancel := context.WithTimeout(ctx, within)
		defer wcancel()
		got, err := smtpSrv.Wait(wctx, n)
		if err != nil {
			b.Fatalf("%d of %d mails accepted within %s: %v", len(smtpSrv.Messages()), n, within, err)
		}
		return got
	}
	// One complaint first, not measured: the daemon has connected, made
	// its folders, taken the mailbox lock and is waiting in IDLE once its
	// two mails are out.
	appendComplaint(b, client, 0)
	wait(2, 2*time.Minute)

	b.ResetTimer()
	sent := make([]time.Time, count+1)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	pace := time.NewTimer(0)
	defer pace.Stop()
	for i := 1; i <= count; i++ {
		<-pace.C
		sent[i] = time.Now()
		appendComplaint(b, client, i)
		pace.Reset(time.Until(start.Add(time.Duration(i) * interval)))
	}
	all := wait(2*(count+1), time.Duration(count/rate)*time.Second+2*time.Minute)
	b.StopTimer()

	// When the daemon recorded each complaint, by its confirmation's recipient.
	var recorded []struct {
		Rcpt string    `db:"rcpt_to"`
		At   time.Time `db:"created_at"`
	}
	if err := c.db.Select(context.Background(), &recorded, `SELECT o.rcpt_to, l.created_at FROM outbox o
		JOIN ledger l ON l.case_id = o.case_id WHERE o.kind = ?`, workflow.MsgConfirmation); err != nil {
		b.Fatal(err)
	}
	inLedger := map[string]time.Time{}
	for _, r := range recorded {
		inLedger[strings.ToLower(r.Rcpt)] = r.At
	}
	var l latencies
	for _, m := range all {
		if len(m.To) != 1 {
			continue
		}
		rcpt := strings.ToLower(m.To[0])
		var i int
		if _, err := fmt.Sscanf(rcpt, "ouder%d@example.nl", &i); err != nil || i < 1 || i > count {
			continue // the handler's notification, or the warm-up's confirmation
		}
		if sent[i].IsZero() {
			b.Fatalf("two confirmations to %s", rcpt)
		}
		at, ok := inLedger[rcpt]
		if !ok {
			b.Fatalf("no ledger entry for the complaint of %s", rcpt)
		}
		l.total = append(l.total, m.At.Sub(sent[i]))
		l.fetched = append(l.fetched, at.Sub(sent[i]))
		l.sent = append(l.sent, m.At.Sub(at))
		sent[i] = time.Time{}
	}
	if len(l.total) != count {
		b.Fatalf("%d confirmations to the %d complainants", len(l.total), count)
	}
	for _, d := range [][]time.Duration{l.total, l.fetched, l.sent} {
		slices.Sort(d)
	}
	return l
}

// appendComplaint APPENDs complaint i to INBOX on client's connection, as
// the organisation's receiving server delivers it.
func appendComplaint(b *testing.B, client *imapclient.Client, i int) {
	b.Helper()
	raw := benchComplaint(i)
	cmd := client.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		b.Fatalf("APPEND: %v", err)
	}
	if err := cmd.Close(); err != nil {
		b.Fatalf("APPEND: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		b.Fatalf("APPEND: %v", err)
	}
}

// percentile is the p-th percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (len(sorted)*p + 99) / 100
	return sorted[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
