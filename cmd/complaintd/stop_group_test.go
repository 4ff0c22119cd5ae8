package main

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// SIGTERM during a backlog, on PostgreSQL, where the daemon records one
// batch's arrivals (counting an attempt at each) while the batch before is
// acted on. Neither was tried to the end: the batch being acted on was
// interrupted by the stop, the one waiting behind it never started. The
// stop gives both their attempt back, so with processing.max_attempts = 1
// the restarted daemon acts on every message once instead of quarantining
// any ("gave up after 1 attempts"), and logs no warning per message.
//
// The test holds the case-number counter, so the daemon is stopped for
// certain inside its first batch's transaction, with the second batch's
// arrivals recorded behind it.
func TestStopDuringABacklogKeepsEveryMessagesAttempts(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL (the staged batches overlap only there): set TEST_DATABASE_URL")
	}
	t.Parallel()
	bin := buildBinary(t)
	url := storetest.URL(t, store.Postgres)
	imapSrv, smtpSrv := startPeers(t)
	app := fmt.Sprintf("complaintd-stop-group-%d", time.Now().UnixNano())
	cfg := crashConfig(t.TempDir(), imapSrv.Addr(), smtpSrv.Addr())
	cfg.Database.URL = withApplicationName(url, app)
	cfg.IMAP.PollInterval = time.Second
	cfg.Processing.MaxAttempts = 1 // one attempt counted too many quarantines a message
	config := writeHarnessConfig(t, cfg)

	look, rows := lookAt(t, url)
	lockTx := holdCaseCounter(t, url)

	// A batch is at most imapBatchSize messages: these make three.
	const delivered = 2*imapBatchSize + imapBatchSize/2
	parentOf := map[int64]int{} // IMAP UID to the parent's number
	for i := range delivered {
		raw := rawMail(mailOpts{from: fmt.Sprintf("Ouder %d <ouder%d@example.nl>", i, i), subject: "Klacht " + fmt.Sprint(i),
			id: fmt.Sprintf("stop-group-%d@example.nl", i), body: "Mijn kind is buiten gezet zonder jas.\n"})
		uid, err := imapSrv.Deliver("INBOX", raw, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		parentOf[int64(uid)] = i
	}

	// A batch's arrivals are recorded with one statement, all with the
	// batch's time: the first batch's entries are those of the earliest.
	const firstBatch = `created_at = (SELECT MIN(created_at) FROM ledger)`
	first := startDaemon(t, bin, config)
	waitFor(t, "the daemon to wait for the case counter inside its first batch, the second batch recorded behind it", func() bool {
		return rows(`SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '`+app+`'
				AND wait_event_type = 'Lock' AND query LIKE '%reference_counters%'`) > 0 &&
			rows(`SELECT COUNT(DISTINCT created_at) FROM ledger`) >= 2
	})
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first.exited:
	case <-time.After(crashFailAfter):
		t.Fatalf("the daemon did not stop on SIGTERM:\n%s", first.log())
	}
	_ = lockTx.Rollback()

	var firstUIDs []int64
	if err := look.Select(t.Context(), &firstUIDs, `SELECT uid FROM ledger WHERE `+firstBatch+` ORDER BY uid`); err != nil {
		t.Fatal(err)
	}
	waiting := rows(`SELECT COUNT(*) FROM ledger WHERE NOT (` + firstBatch + `)`)
	t.Logf("stopped with %d arrivals recorded: %d in the batch being acted on, %d waiting behind it",
		rows(`SELECT COUNT(*) FROM ledger`), len(firstUIDs), waiting)
	if n := rows(`SELECT COUNT(*) FROM ledger WHERE state <> 'pending'`); n != 0 {
		t.Fatalf("%d ledger entries settled before the stop: the counter lock did not hold the first batch", n)
	}
	if n := rows(`SELECT COUNT(*) FROM ledger WHERE NOT (` + firstBatch + `) AND attempts <> 0`); n != 0 {
		t.Errorf("%d of the %d arrivals waiting behind the batch being acted on kept the attempt counted for them, untried", n, waiting)
	}
	if n := rows(`SELECT COUNT(*) FROM ledger WHERE ` + firstBatch + ` AND attempts <> 0`); n != 0 {
		t.Errorf("%d of the %d messages of the batch the stop interrupted kept their attempt", n, len(firstUIDs))
	}
	if n := strings.Count(first.log(), "message handler failed"); n != 0 {
		t.Errorf("the stop logged %d warnings that a message failed; a stop fails none:\n%s", n, first.log())
	}

	// The restart acts on every message the stop left untried.
	startDaemon(t, bin, config)
	waitFor(t, "the inbox to be emptied", func() bool {
		in, _ := imapSrv.Messages("INBOX")
		return len(in) == 0
	})
	inFirst := func(uid int64) bool { _, found := slices.BinarySearch(firstUIDs, uid); return found }
	// Every message settled (moved out of the inbox) and every mail they
	// caused sent: what the restart made of them is all there.
	waitForShowing(t, "every outbox row to be marked sent", func() bool {
		return rows(`SELECT COUNT(*) FROM outbox WHERE state <> 'sent'`) == 0
	}, func() string { return outboxByKind(t.Context(), look) })

	var quarantined []struct {
		UID    int64  `db:"uid"`
		Reason string `db:"reason"`
	}
	if err := look.Select(t.Context(), &quarantined, `SELECT uid, reason FROM ledger WHERE state = 'quarantined' ORDER BY uid`); err != nil {
		t.Fatal(err)
	}
	for k, q := range quarantined {
		if k < 3 {
			t.Errorf("message %d (parent %d, %s the stop) was quarantined: %s", q.UID, parentOf[q.UID],
				map[bool]string{true: "interrupted by", false: "waiting at"}[inFirst(q.UID)], q.Reason)
		}
	}
	if len(quarantined) > 0 {
		t.Errorf("%d of the %d messages the stop interrupted or kept waiting were quarantined", len(quarantined), delivered)
	}

	per := map[int]int{}
	for _, m := range smtpSrv.Messages() {
		for _, to := range m.To {
			var i int
			if _, err := fmt.Sscanf(to, "ouder%d@example.nl", &i); err == nil {
				per[i]++
			}
		}
	}
	wrong := 0
	for _, i := range parentOf {
		if per[i] != 1 {
			if wrong++; wrong <= 3 {
				t.Errorf("parent %d got %d confirmations, want 1", i, per[i])
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of the %d parents got other than one confirmation", wrong, delivered)
	}
	if n := rows(`SELECT COUNT(*) FROM ledger WHERE state = 'pending'`); n != 0 {
		t.Errorf("%d ledger entries still pending after the restart emptied the inbox", n)
	}
	if q, _ := imapSrv.Messages("Quarantine"); len(q) != len(quarantined) {
		t.Errorf("%d messages in Quarantine, want the %d the ledger quarantined", len(q), len(quarantined))
	}
	if strings.Contains(first.log(), "could not give back") {
		t.Errorf("the stopped daemon could not give back the waiting batch's attempt:\n%s", first.log())
	}
}
