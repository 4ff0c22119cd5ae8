package workflow_test

import (
	"bytes"
	"context"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// renewal is how the statement that confirms and renews a pass's claims
// starts.
const renewal = "UPDATE outbox SET claimed_until"

// slowServer sends through a real SMTP client to a real (in-process)
// server, and every message takes per on the test's clock: a slow mail
// server. during[n], when set, runs in the middle of the nth send (from 1):
// what happens elsewhere while the server is busy.
type slowServer struct {
	*mailbox.SMTPSender
	clock  *workflow.ManualClock
	per    time.Duration
	during map[int]func()

	mu    sync.Mutex
	sends int
}

func (s *slowServer) Send(ctx context.Context, from string, to []string, raw []byte) error {
	s.mu.Lock()
	s.sends++
	n := s.sends
	s.mu.Unlock()
	s.clock.Advance(s.per)
	if f := s.during[n]; f != nil {
		f()
	}
	return s.SMTPSender.Send(ctx, from, to, raw)
}

func (s *slowServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends
}

// afterDB runs then once, right after the first statement that starts
// with prefix.
type afterDB struct {
	workflow.Database
	prefix string
	once   sync.Once
	then   func()
}

func (d *afterDB) after(q string) {
	if strings.HasPrefix(strings.Join(strings.Fields(q), " "), d.prefix) {
		d.once.Do(d.then)
	}
}

func (d *afterDB) Get(ctx context.Context, dest any, q string, args ...any) error {
	defer d.after(q)
	return d.Database.Get(ctx, dest, q, args...)
}

func (d *afterDB) Select(ctx context.Context, dest any, q string, args ...any) error {
	defer d.after(q)
	return d.Database.Select(ctx, dest, q, args...)
}

func (d *afterDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	defer d.after(q)
	return d.Database.Exec(ctx, q, args...)
}

// startSMTP starts an in-process SMTP server for the test.
func startSMTP(t *testing.T) *mailtest.SMTPServer {
	t.Helper()
	s, err := mailtest.StartSMTP(mailtest.SMTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// smtpSender is the daemon's SMTP client for server, one connection.
func smtpSender(t *testing.T, server *mailtest.SMTPServer) *mailbox.SMTPSender {
	t.Helper()
	s, err := mailbox.NewSMTPSender(mailbox.SMTPConfig{Addr: server.Addr(), TLS: mailbox.TLSNone,
		HELO: "klachten.vlinder.example", Timeout: 10 * time.Second, Connections: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// secondDB opens url beside first: another daemon on PostgreSQL; on SQLite,
// which one daemon owns, a command sharing the file (digest -send), which
// may claim mail whose lease ran out.
func secondDB(t *testing.T, url string, first *store.DB) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), url, store.Options{Exclusive: first.Dialect() == store.Postgres})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queueMails has w queue mail: claimed by the outbox's next pass (three
// complaints processed one by one, six mails), or handed over to it
// (a group's seven mails). It returns how many.
func queueMails(t *testing.T, w *workflow.Workflow, db *store.DB, clock *workflow.ManualClock, handed bool) int {
	t.Helper()
	if handed {
		processGroup(t, w, aGroup(clock.Now()))
	} else {
		for uid := uint32(1); uid <= 3; uid++ {
			if _, err := w.Process(t.Context(), delivery(uid, clock.Now())); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := count(t, db, `SELECT COUNT(*) FROM outbox`)
	if handed != (count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sending'`) == n) || n < 6 {
		t.Fatalf("%d mails queued, handed over: %v", n, handed)
	}
	return n
}

// checkSentOnce fails t unless the server took every mail of the outbox
// exactly once, and each is recorded as sent with one accepted attempt and
// none whose answer is unknown (which the case file shows as "possibly
// delivered twice").
func checkSentOnce(t *testing.T, db *store.DB, server *mailtest.SMTPServer) {
	t.Helper()
	got := map[string]int{}
	for _, m := range server.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		got[strings.Trim(msg.Header.Get("Message-ID"), "<>")]++
	}
	var ids []string
	if err := db.Select(t.Context(), &ids, `SELECT message_id FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("mail %s reached the server %d times, want once", id, got[id])
		}
	}
	if len(got) != len(ids) {
		t.Errorf("the server took %d different mails, want the outbox's %d", len(got), len(ids))
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE state = 'sent'`); n != len(ids) {
		t.Errorf("%d of %d mails recorded as sent", n, len(ids))
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'accepted'`); n != len(ids) {
		t.Errorf("%d accepted attempts for %d mails", n, len(ids))
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'unknown'`); n != 0 {
		t.Errorf("%d attempts recorded with an unknown answer", n)
	}
}

// passWorld is what a pass's test starts from: a manual clock, an SMTP
// server and the first daemon's database at url, closed when t ends.
func passWorld(t *testing.T, url string) (*workflow.ManualClock, *mailtest.SMTPServer, *store.DB) {
	t.Helper()
	dbA := openDaemonDB(t, url)
	t.Cleanup(func() { dbA.Close() })
	return workflow.NewManualClock(groupTime()), startSMTP(t), dbA
}

func flavours() []bool { return []bool{false, true} }

func flavour(handed bool) string {
	if handed {
		return "handed-over"
	}
	return "claimed"
}

// A pass to a server so slow that it outlives the claims' lease (each mail
// takes two minutes) renews its claims as it goes: another daemon that
// tries to claim mail in the middle of it, after the lease it started with
// ran out, gets none, and every mail reaches the server once.
func TestASlowPassKeepsItsClaims(t *testing.T) {
	for _, handed := range flavours() {
		t.Run(flavour(handed), func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				ctx := t.Context()
				clock, server, dbA := passWorld(t, url)
				counted := &txCounter{StatementLog: workflow.NewStatementLog(dbA)}
				slow := &slowServer{SMTPSender: smtpSender(t, server), clock: clock, per: 2 * time.Minute}
				wA, err := workflow.New(workflow.Deps{DB: counted, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Transport: slow, Clock: clock, Settings: testSettings()})
				if err != nil {
					t.Fatal(err)
				}
				want := queueMails(t, wA, dbA, clock, handed)
				start := clock.Now()

				wB := daemonWorkflow(t, secondDB(t, url, dbA), smtpSender(t, server), clock)
				var (
					tookB int
					errB  error
				)
				// The fourth mail goes out 6 to 8 minutes into the pass.
				slow.during = map[int]func(){4: func() { tookB, errB = wB.DeliverDue(ctx) }}
				if n := deliverDue(t, wA); n != want {
					t.Errorf("the pass tried %d of %d mails", n, want)
				}
				if took := clock.Now().Sub(start); took <= 5*time.Minute {
					t.Fatalf("the pass took %v, not longer than the claims' lease", took)
				}
				if errB != nil || tookB != 0 {
					t.Errorf("the other daemon, claiming in the middle of the pass, tried %d mails (%v), want none", tookB, errB)
				}
				if n := counted.statements(renewal); n == 0 || n >= want {
					t.Errorf("%d statements renewed the claims of %d mails sent over %v", n, want, clock.Now().Sub(start))
				}
				// Later passes, past every lease, send nothing again.
				clock.Advance(time.Hour)
				if n := deliverDue(t, wB) + deliverDue(t, wA); n != 0 {
					t.Errorf("later passes tried %d mails", n)
				}
				checkSentOnce(t, dbA, server)
				if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE attempts = 1`); n != want {
					t.Errorf("%d of %d mails sent at their first attempt", n, want)
				}
			})
		})
	}
}

// Mail another daemon claimed in the middle of a pass, once the first
// mail's send outlasted the lease, is that daemon's: the first daemon does
// not send it as well, and undoes its own attempt, so the case file does
// not say it was possibly delivered twice.
func TestMailClaimedByAnotherDaemonMidPassIsNotSent(t *testing.T) {
	for _, handed := range flavours() {
		t.Run(flavour(handed), func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				ctx := t.Context()
				clock, server, dbA := passWorld(t, url)
				// The server stalls six minutes on the first mail and then
				// defers it, so that mail is nobody's to send right then.
				server.Refuse(1, 451, "4.3.0 try again later")
				slow := &slowServer{SMTPSender: smtpSender(t, server), clock: clock, per: 6 * time.Minute}
				wB := daemonWorkflow(t, secondDB(t, url, dbA), smtpSender(t, server), clock)
				tookB := 0
				// The other daemon claims the rest once the first daemon has
				// recorded the deferral.
				adb := &afterDB{Database: dbA, prefix: "UPDATE outbox SET state = ?, next_attempt_at", then: func() {
					n, err := wB.DeliverDue(ctx)
					if err != nil {
						t.Error(err)
					}
					tookB = n
				}}
				wA, err := workflow.New(workflow.Deps{DB: adb, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Transport: slow, Clock: clock, Settings: testSettings()})
				if err != nil {
					t.Fatal(err)
				}
				want := queueMails(t, wA, dbA, clock, handed)

				if n := deliverDue(t, wA); n != 1 {
					t.Errorf("the first daemon's pass tried %d mails, want only the first", n)
				}
				if n := slow.count(); n != 1 {
					t.Errorf("the first daemon sent %d mails, want only the first", n)
				}
				if tookB != want-1 {
					t.Fatalf("the other daemon took %d mails mid-pass, want the %d not tried yet", tookB, want-1)
				}
				// The deferred first mail goes at its retry.
				clock.Advance(2 * time.Minute)
				for deliverDue(t, wA)+deliverDue(t, wB) > 0 {
				}
				checkSentOnce(t, dbA, server)
			})
		})
	}
}

// A daemon whose PostgreSQL session breaks in the middle of a pass (its
// claims are then free for other daemons at once) sends nothing more under
// it: the mail goes back to the queue, and the next claim sends each once,
// as its first attempt.
func TestAPassThatLostItsSessionStopsSending(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("sessions break only on PostgreSQL (TEST_DATABASE_URL)")
	}
	for _, handed := range flavours() {
		t.Run(flavour(handed), func(t *testing.T) {
			url := storetest.URL(t, store.Postgres)
			ctx := t.Context()
			clock, server, dbA := passWorld(t, url)
			// The first mail takes 40 seconds; meanwhile the session's
			// connection is killed (the network dropped), and the server
			// defers the mail.
			server.Refuse(1, 451, "4.3.0 try again later")
			slow := &slowServer{SMTPSender: smtpSender(t, server), clock: clock, per: 40 * time.Second}
			wA := daemonWorkflow(t, dbA, slow, clock)
			want := queueMails(t, wA, dbA, clock, handed)
			session, err := dbA.Session(ctx)
			if err != nil {
				t.Fatal(err)
			}
			slow.during = map[int]func(){1: func() {
				var pid int
				if err := dbA.Get(ctx, &pid, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
					AND ((classid::bigint << 32) | objid::bigint) = ?`, session); err != nil {
					t.Error(err)
					return
				}
				var gone bool
				if err := dbA.Get(ctx, &gone, `SELECT pg_terminate_backend(?, 10000)`, pid); err != nil || !gone {
					t.Errorf("the session's connection was not ended: %v", err)
				}
			}}
			if n := deliverDue(t, wA); n != 1 {
				t.Errorf("the pass tried %d mails, want only the first, before the session broke", n)
			}
			if n := slow.count(); n != 1 {
				t.Errorf("%d mails sent, want only the first, before the session broke", n)
			}
			if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND attempts = 0`); n != want-1 {
				t.Errorf("%d mails back in the queue, want the %d not tried", n, want-1)
			}
			wB := daemonWorkflow(t, secondDB(t, url, dbA), smtpSender(t, server), clock)
			if n := deliverDue(t, wB); n != want-1 {
				t.Errorf("another daemon sent %d mails, want the %d not tried", n, want-1)
			}
			clock.Advance(2 * time.Minute)
			for deliverDue(t, wA)+deliverDue(t, wB) > 0 {
			}
			checkSentOnce(t, dbA, server)
			if n := count(t, dbA, `SELECT COUNT(*) FROM outbox WHERE state = 'sent' AND attempts = 1`); n != want-1 {
				t.Errorf("%d mails sent at their first attempt, want the %d the broken session never tried", n, want-1)
			}
		})
	}
}

// others counts the statements run so far but the sent marks, whose number
// depends on how the sends spread out in time.
func others(c *txCounter) int {
	n := c.statements("")
	for _, p := range []string{"UPDATE outbox SET state = ?, sent_at", "UPDATE outbox_attempts SET outcome",
		"UPDATE cases", "INSERT INTO events", "WITH a AS"} {
		n -= c.statements(p)
	}
	return n
}

// Confirming claims costs nothing on a pass that ends well within its
// lease, whatever its size; a longer pass confirms them once per 30
// seconds, not per mail.
func TestAQuickPassDoesNotConfirmItsClaims(t *testing.T) {
	for _, c := range []struct {
		per      time.Duration
		renewals int
	}{{0, 0}, {2 * time.Second, 0}, {5 * time.Second, 1}} {
		t.Run(c.per.String(), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				server := startSMTP(t)
				clock := workflow.NewManualClock(groupTime())
				slow := &slowServer{SMTPSender: smtpSender(t, server), clock: clock, per: c.per}
				counted := &txCounter{StatementLog: workflow.NewStatementLog(db)}
				w, err := workflow.New(workflow.Deps{DB: counted, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Transport: slow, Clock: clock, Settings: testSettings()})
				if err != nil {
					t.Fatal(err)
				}
				for uid := uint32(1); uid <= 6; uid++ {
					if _, err := w.Process(t.Context(), delivery(uid, clock.Now())); err != nil {
						t.Fatal(err)
					}
				}
				want := count(t, db, `SELECT COUNT(*) FROM outbox`)
				before := others(counted)
				if n := deliverDue(t, w); n != want {
					t.Fatalf("the pass tried %d of %d mails", n, want)
				}
				if n := counted.statements(renewal); n != c.renewals {
					t.Errorf("%d statements confirmed the claims of %d mails sent %v apart, want %d", n, want, c.per, c.renewals)
				}
				// Beside the sent marks: the claim and the attempts,
				// nothing per mail.
				if n := others(counted) - before; n >= want/2 {
					t.Errorf("%d statements beside the sent marks for a pass of %d mails", n, want)
				}
				checkSentOnce(t, db, server)
			})
		})
	}
}
