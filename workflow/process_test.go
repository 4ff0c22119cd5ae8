package workflow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

func testSettings() workflow.Settings {
	return workflow.Settings{
		Organisation: workflow.Organisation{
			Name: "Kinderopvang De Vlinder", Address: "klachten@vlinder.example", Host: "klachten.vlinder.example",
			Location: amsterdam, Language: "nl", AddressForm: "u", ProgressDays: 14,
		},
		Escalation: workflow.Escalation{Klachtenloket: "www.klachtenloket-kinderopvang.nl", Geschillencommissie: "www.degeschillencommissie.nl",
			WindowMonths: 12},
		Handlers: []workflow.Handler{{Name: "Anna de Vries", Email: "anna.devries@vlinder.example"}},
		Tokens:   workflow.TokenSettings{Secrets: [][]byte{[]byte("a test secret of enough length")}},
		Trust:    workflow.Trust{Policy: workflow.TrustToken},
		// cmd/complaintd's defaults: the workflow takes every value as given.
		Safeguarding: workflow.Safeguarding{SignalWords: workflow.DefaultSignalWords()},
		Report:       workflow.Report{Categories: workflow.DefaultCategories()},
		Schedule: workflow.Schedule{ReminderDays: []int{28, 35}, DigestHour: 7, DigestMinute: 30,
			WarningDays: 14, Interval: time.Minute},
		Breaker:      workflow.Breaker{PerRecipient: 10, PerCase: 50, Window: 24 * time.Hour},
		Flood:        workflow.Flood{NewCasesPerSender: 5, NewCasesWindow: 24 * time.Hour},
		MaxAttempts:  3,
		SendAttempts: 12,
		AttachLimit:  10 << 20,
		Privacy:      workflow.Privacy{AnonymiseAfterMonths: 24},
	}
}

func parse(raw []byte) (workflow.Mail, error) {
	m, err := mailbox.Parse(raw)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// faultyRenderer is a fault injected on purpose: the real templates, but
// failing (or panicking) while fail says so.
type faultyRenderer struct {
	real  *templates.Set
	fail  func() error
	panic bool
}

func (r *faultyRenderer) Render(name, lang string, data any) (string, string, string, error) {
	if r.fail != nil {
		if err := r.fail(); err != nil {
			if r.panic {
				panic(err)
			}
			return "", "", "", err
		}
	}
	return r.real.Render(name, lang, data)
}

func newWorkflow(t *testing.T, db *store.DB, render workflow.Renderer) (*workflow.Workflow, *workflow.ManualClock) {
	t.Helper()
	clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
	w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: render, Compose: mailbox.Compose,
		Clock: clock, Settings: testSettings()})
	if err != nil {
		t.Fatal(err)
	}
	return w, clock
}

func realTemplates(t testing.TB) *templates.Set {
	t.Helper()
	set, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func delivery(uid uint32, at time.Time) workflow.Delivery {
	raw := "From: Sanne Jansen <sanne.jansen@example.nl>\r\nTo: klachten@vlinder.example\r\nSubject: Ophalen\r\n" +
		"Message-ID: <c" + string(rune('0'+uid)) + "@example.nl>\r\n\r\nNoah is meegegeven aan de buurvrouw.\r\n"
	return workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: uid, InternalDate: at, Raw: []byte(raw)}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProcessingTheSameMessageTwiceChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, clock := newWorkflow(t, db, realTemplates(t))
		d := delivery(1, clock.Now())
		for i := range 3 {
			disp, err := w.Process(t.Context(), d)
			if err != nil || disp != workflow.Done {
				t.Fatalf("run %d: %v %v", i, disp, err)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 1 {
			t.Errorf("%d cases", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 2 {
			t.Errorf("%d outgoing messages, want confirmation + notification", n)
		}
		if n := count(t, db, `SELECT attempts FROM ledger`); n != 1 {
			t.Errorf("ledger counts %d attempts, want 1 (later runs only look it up)", n)
		}
	})
}

func TestFailingMessageIsQuarantinedAfterMaxAttemptsAndLosesNothing(t *testing.T) {
	for _, panics := range []bool{false, true} {
		name := map[bool]string{false: "error", true: "panic"}[panics]
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				broken := errors.New("template store unreachable")
				r := &faultyRenderer{real: realTemplates(t), fail: func() error { return broken }, panic: panics}
				w, clock := newWorkflow(t, db, r)
				d := delivery(1, clock.Now())
				for attempt := 1; attempt <= 3; attempt++ {
					disp, err := w.Process(t.Context(), d)
					if err == nil {
						t.Fatalf("attempt %d succeeded (%v) while rendering fails", attempt, disp)
					}
				}
				disp, err := w.Process(t.Context(), d)
				if err != nil || disp != workflow.Quarantine {
					t.Fatalf("4th attempt: %v %v, want quarantine", disp, err)
				}
				var reason string
				if err := db.Get(t.Context(), &reason, `SELECT reason FROM ledger WHERE state = 'quarantined'`); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(reason, "gave up after 3 attempts") || !strings.Contains(reason, "template store unreachable") {
					t.Errorf("reason %q", reason)
				}
				var raw []byte
				if err := db.Get(t.Context(), &raw, `SELECT raw FROM ledger`); err != nil || string(raw) != string(d.Raw) {
					t.Errorf("raw message not kept: %v", err)
				}
				if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 0 {
					t.Errorf("%d half-made cases left behind", n)
				}
				// Whatever follows is processed normally.
				r.fail = nil
				if disp, err := w.Process(t.Context(), delivery(2, clock.Now())); err != nil || disp != workflow.Done {
					t.Fatalf("next message: %v %v", disp, err)
				}
				if disp, _ := w.Process(t.Context(), d); disp != workflow.Quarantine {
					t.Errorf("quarantined message came back as %v", disp)
				}
			})
		})
	}
}

func TestTransientFailureIsRetriedAndThenProcessed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		failures := 2
		r := &faultyRenderer{real: realTemplates(t), fail: func() error {
			if failures > 0 {
				failures--
				return errors.New("disk full")
			}
			return nil
		}}
		w, clock := newWorkflow(t, db, r)
		d := delivery(1, clock.Now())
		for range 2 {
			if _, err := w.Process(t.Context(), d); err == nil {
				t.Fatal("succeeded while failing")
			}
		}
		if disp, err := w.Process(t.Context(), d); err != nil || disp != workflow.Done {
			t.Fatalf("third attempt: %v %v", disp, err)
		}
		var ref string
		if err := db.Get(t.Context(), &ref, `SELECT reference FROM cases`); err != nil || ref != "KL-2026-0001" {
			t.Errorf("case reference %q (%v): failed attempts must not use up numbers", ref, err)
		}
	})
}
