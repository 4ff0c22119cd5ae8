package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// kill -9 while a grouped batch is being acted on: its arrivals are
// committed (attempt counted), its transaction is not. The restarted daemon
// acts on every complaint once: none lost, none twice, every case numbered
// once and every mail sent once.
//
// On PostgreSQL the test holds the case-number counter, so the daemon is
// stopped for certain inside the group's transaction, with part of the
// group written. On SQLite (one writer; holding its lock would stop the
// daemon before the group) the daemon is killed as soon as a group's
// arrivals are seen committed but not yet acted on.
func TestKilledDuringAGroupedBatchLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	storetest.EachURL(t, func(t *testing.T, url string) {
		imapSrv, smtpSrv := startPeers(t)
		const app = "complaintd-crash-group"
		cfg := crashConfig(t.TempDir(), imapSrv.Addr(), smtpSrv.Addr())
		cfg.Database.URL = withApplicationName(url, app)
		cfg.IMAP.PollInterval = time.Second
		config := writeHarnessConfig(t, cfg)

		look, rows := lookAt(t, url)
		var lockTx *sql.Tx
		if look.Dialect() == store.Postgres {
			lockTx = holdCaseCounter(t, url)
		}

		delivered := 0
		deliver := func(n int) {
			for range n {
				i := delivered
				delivered++
				raw := rawMail(mailOpts{from: fmt.Sprintf("Ouder %d <ouder%d@example.nl>", i, i), subject: "Klacht " + fmt.Sprint(i),
					id: fmt.Sprintf("group-crash-%d@example.nl", i), body: "Mijn kind is buiten gezet zonder jas.\n"})
				if _, err := imapSrv.Deliver("INBOX", raw, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		// A group is at most imapBatchSize messages: these make two.
		const batch = imapBatchSize + imapBatchSize/2
		deliver(batch)
		killed := false
		for try := 0; !killed && try < 5; try++ {
			if try > 0 {
				deliver(batch)
			}
			first := startDaemon(t, bin, config)
			waitFor(t, "a group's arrivals to be committed", func() bool {
				return rows(`SELECT COUNT(*) FROM ledger WHERE state = 'pending'`) > 0 ||
					rows(`SELECT COUNT(*) FROM ledger WHERE state = 'processed'`) == delivered
			})
			killed = rows(`SELECT COUNT(*) FROM ledger WHERE state = 'pending'`) > 0
			if lockTx != nil {
				waitFor(t, "the daemon to wait for the case counter inside its group", func() bool {
					return rows(`SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '`+app+`' AND wait_event_type = 'Lock'`) > 0
				})
			}
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-first.exited
		}
		if !killed {
			t.Fatal("no daemon was ever seen between a group's arrivals and its commit")
		}
		if lockTx != nil {
			_ = lockTx.Rollback()
		}
		pending := rows(`SELECT COUNT(*) FROM ledger WHERE state = 'pending'`)
		if rows(`SELECT COUNT(*) FROM cases WHERE reference LIKE 'KL-%'`) == delivered {
			t.Fatal("every complaint was acted on before the kill")
		}
		t.Logf("killed with %d of %d arrivals pending", pending, delivered)

		startDaemon(t, bin, config)
		want := 3 * delivered // per complaint a confirmation and a notification to each of two handlers
		ctx, cancel := context.WithTimeout(t.Context(), crashFailAfter)
		defer cancel()
		if _, err := smtpSrv.Wait(ctx, want); err != nil {
			t.Fatalf("after the restart: %d of %d mails sent: %v", len(smtpSrv.Messages()), want, err)
		}
		waitForShowing(t, "every outbox row to be marked sent", func() bool {
			return rows(`SELECT COUNT(*) FROM outbox WHERE state = 'sent'`) == want
		}, func() string { return outboxByKind(t.Context(), look) })
		waitFor(t, "the inbox to be emptied", func() bool {
			in, _ := imapSrv.Messages("INBOX")
			return len(in) == 0
		})
		if n := rows(`SELECT COUNT(*) FROM ledger`); n != delivered {
			t.Errorf("%d ledger rows, want %d", n, delivered)
		}
		if n := rows(`SELECT COUNT(*) FROM ledger WHERE state = 'processed'`); n != delivered {
			t.Errorf("%d ledger rows processed, want %d", n, delivered)
		}
		if n := rows(`SELECT COUNT(DISTINCT reference) FROM cases`); n != delivered {
			t.Errorf("%d distinct case references, want one per complaint (%d)", n, delivered)
		}
		if n := rows(`SELECT COUNT(*) FROM cases`); n != delivered {
			t.Errorf("%d cases, want %d", n, delivered)
		}
		if processed, _ := imapSrv.Messages("Processed"); len(processed) != delivered {
			t.Errorf("%d messages in Processed, want %d", len(processed), delivered)
		}
		sent := smtpSrv.Messages()
		if len(sent) != want {
			t.Errorf("%d mails sent, want each of %d once", len(sent), want)
		}
		perParent := map[string]int{}
		for _, m := range sent {
			for _, to := range m.To {
				if strings.HasPrefix(to, "ouder") {
					perParent[to]++
				}
			}
		}
		for i := range delivered {
			if n := perParent[fmt.Sprintf("ouder%d@example.nl", i)]; n != 1 {
				t.Errorf("parent %d got %d confirmations, want 1", i, n)
			}
		}
	})
}

// lookAt opens the daemon's database at url, migrated, for the test to
// read, and a counter of what a query counts.
func lookAt(t *testing.T, url string) (*store.DB, func(q string) int) {
	t.Helper()
	look, err := store.Open(t.Context(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { look.Close() })
	if err := look.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return look, func(q string) int {
		var n int
		_ = look.Get(t.Context(), &n, q)
		return n
	}
}

// holdCaseCounter takes this year's case-number counter on the PostgreSQL
// database at url, in a transaction the test ends (Rollback): a daemon
// opening a case waits for it inside its batch's transaction.
func holdCaseCounter(t *testing.T, url string) *sql.Tx {
	t.Helper()
	admin, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	year := time.Now().In(mustLoad("Europe/Amsterdam")).Year()
	if _, err := admin.Exec(`INSERT INTO reference_counters (year, last) VALUES ($1, 0)`, year); err != nil {
		t.Fatal(err)
	}
	lockTx, err := admin.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lockTx.Rollback() })
	if _, err := lockTx.Exec(`UPDATE reference_counters SET last = last WHERE year = $1`, year); err != nil {
		t.Fatal(err)
	}
	return lockTx
}
