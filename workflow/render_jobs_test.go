package workflow_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// renderGroup is aGroup and, in the same batch, a message in the handler's
// name that cannot be verified (an alert about no case, with a Message-ID
// of its own) and six complaints of one sender, the sixth over the flood
// limit, and the later ones' mail to her over the loop breaker's limit
// (three, in the test below).
func renderGroup(at time.Time) []workflow.Delivery {
	group := aGroup(at)
	group = append(group, groupMail(5, at, "From: Anna de Vries <anna.devries@vlinder.example>\r\nSubject: Vraag\r\nMessage-ID: <a1@example.nl>\r\n",
		"#status KL-2026-0001"))
	for i := range 6 {
		group = append(group, groupMail(uint32(6+i), at, fmt.Sprintf("From: Kim Smit <kim@example.nl>\r\nSubject: Klacht %d\r\nMessage-ID: <k%d@example.nl>\r\n", i, i),
			fmt.Sprintf("Klacht nummer %d over het slapen.", i)))
	}
	// What the group works out ahead (foresight.go): signal words, a
	// handler named, no subject, an automatic reply, a quoted history.
	return append(group,
		groupMail(12, at, "From: Eva Mol <eva@example.nl>\r\nSubject: Zorgen\r\nMessage-ID: <e1@example.nl>\r\n",
			"Mijn dochter vertelde dat ze door een medewerker is geslagen. Anna de Vries was erbij."),
		groupMail(13, at, "From: Tom Veld <tom@example.nl>\r\nMessage-ID: <t1@example.nl>\r\n",
			"Geen onderwerp, wel een klacht over de opvang."),
		groupMail(14, at, "From: Sanne Jansen <sanne.jansen@example.nl>\r\nSubject: Afwezig: Ophalen\r\nMessage-ID: <s3@example.nl>\r\n"+
			"Auto-Submitted: auto-replied\r\nIn-Reply-To: <s1@example.nl>\r\n", "Ik ben afwezig tot maandag."),
		groupMail(15, at, "From: Lisa de Boer <lisa@example.nl>\r\nSubject: Re: Wenperiode\r\nMessage-ID: <l2@example.nl>\r\nIn-Reply-To: <l1@example.nl>\r\n",
			"Nog een aanvulling.\r\n\r\nOp 19 nov. 2026 schreef Lisa:\r\n> De wenperiode was te kort."))
}

// handlerAnswers are the handler's answers, by reply to her notifications
// of renderGroup's first three cases: one passed on to the parent, a
// judgment with a measure (sent to the parent, confirmed to her), and
// commands confirmed to her.
func handlerAnswers(t *testing.T, db *store.DB, at time.Time) []workflow.Delivery {
	t.Helper()
	answers := map[string]string{
		"KL-2026-0001": "Beste mevrouw Jansen,\r\n\r\nWe zoeken uit hoe dit kon gebeuren.",
		"KL-2026-0002": "#categorie financieel en facturen\r\n#oordeel gegrond\r\n#maatregel 2027-01-15 De factuur corrigeren.\r\n\r\nBeste meneer Bakker,\r\n\r\nU heeft gelijk.",
		"KL-2026-0003": "#status in-behandeling\r\n#intern Eerst met de mentor praten.",
	}
	var group []workflow.Delivery
	for i, ref := range []string{"KL-2026-0001", "KL-2026-0002", "KL-2026-0003"} {
		var raw []byte
		if err := db.Get(t.Context(), &raw, `SELECT o.raw FROM outbox o JOIN cases c ON c.id = o.case_id
			WHERE o.rcpt_to = 'anna.devries@vlinder.example' AND c.reference = ? ORDER BY o.id LIMIT 1`, ref); err != nil {
			t.Fatal(err)
		}
		notice, err := mailbox.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		group = append(group, groupMail(uint32(20+i), at, fmt.Sprintf("From: Anna de Vries <anna.devries@vlinder.example>\r\n"+
			"Subject: Re: %s\r\nMessage-ID: <anna%d@vlinder.example>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\n",
			notice.Subject(), i, notice.MessageID(), notice.MessageID()), answers[ref]))
	}
	return group
}

// sentMail is each outbox row, oldest first, as the recipient would get it
// and as the case records it, with what differs between two runs by chance
// alone made the same: the random part of each Message-ID (and so of the
// reply tokens and loop proofs) and the MIME boundaries.
func sentMail(t *testing.T, db *store.DB) []string {
	t.Helper()
	var rows []struct {
		Kind      string `db:"kind"`
		Rcpt      string `db:"rcpt_to"`
		MessageID string `db:"message_id"`
		State     string `db:"state"`
		Reason    string `db:"last_error"`
		Raw       []byte `db:"raw"`
		Subject   string `db:"subject"`
	}
	if err := db.Select(t.Context(), &rows, `SELECT o.kind, o.rcpt_to, o.message_id, o.state, o.last_error, o.raw,
		COALESCE(m.subject, '') AS subject FROM outbox o LEFT JOIN messages m ON m.outbox_id = o.id ORDER BY o.id`); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, r := range rows {
		local, _, _ := strings.Cut(r.MessageID, "@")
		ids = append(ids, local, fmt.Sprintf("id%d", i))
	}
	same := strings.NewReplacer(ids...)
	proof := regexp.MustCompile(`proof=[a-z0-9]+`)
	boundary := regexp.MustCompile(`[0-9a-f]{60}`)
	var out []string
	for _, r := range rows {
		raw := boundary.ReplaceAllString(proof.ReplaceAllString(same.Replace(string(r.Raw)), "proof=P"), "B")
		out = append(out, strings.Join([]string{r.Kind, r.Rcpt, same.Replace(r.MessageID), r.State, r.Reason, r.Subject, raw}, "\n"))
	}
	return out
}

// The mail of a group, rendered at the group's end in parallel, is the
// mail each message processed alone queues: the same bytes, subjects,
// held-back states, and order. Two groups: renderGroup, then the handler's
// answers to it.
func TestGroupQueuesTheMailEachMessageAloneWould(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			run := func(grouped bool) []string {
				db := storetest.Open(t, dialect)
				clock := workflow.NewManualClock(time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam))
				set := testSettings()
				set.Breaker.PerRecipient = 3
				w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Clock: clock, Settings: set})
				if err != nil {
					t.Fatal(err)
				}
				process := func(group []workflow.Delivery) {
					t.Helper()
					if grouped {
						for i, r := range w.ProcessGroup(t.Context(), group) {
							if r.Err != nil || r.Disposition != workflow.Done {
								t.Fatalf("grouped, message %d: %+v", i+1, r)
							}
						}
						return
					}
					for i, d := range group {
						if disp, _, err := w.ProcessSettled(t.Context(), d); err != nil || disp != workflow.Done {
							t.Fatalf("alone, message %d: %v %v", i+1, disp, err)
						}
					}
				}
				process(renderGroup(clock.Now()))
				clock.Advance(time.Minute)
				process(handlerAnswers(t, db, clock.Now()))
				return sentMail(t, db)
			}
			alone, grouped := run(false), run(true)
			held := 0
			for _, m := range alone {
				if strings.Contains(m, "\n"+workflow.OutboxHeld+"\n") {
					held++
				}
			}
			if len(alone) < 23 || held == 0 {
				t.Fatalf("%d mails, %d held back: the sample no longer covers what it should", len(alone), held)
			}
			all := strings.Join(alone, "\n")
			for _, want := range []string{workflow.MsgSafeguarding + "\n", "Mogelijk betreft deze klacht"} {
				if !strings.Contains(all, want) {
					t.Fatalf("no mail carries %q: the sample no longer covers the signal words and handlers named", want)
				}
			}
			if len(grouped) != len(alone) {
				t.Fatalf("the group queued %d mails, alone %d", len(grouped), len(alone))
			}
			for i := range alone {
				if grouped[i] != alone[i] {
					t.Errorf("mail %d differs:\n--- alone\n%s\n--- grouped\n%s", i+1, alone[i], grouped[i])
				}
			}
		})
	}
}

// failingFor is a fault injected on purpose: the real templates, failing
// (or panicking) for the letters about one complainant's case.
type failingFor struct {
	real  *templates.Set
	who   string
	panic bool
}

func (r *failingFor) Render(name, lang string, data any) (string, string, string, error) {
	if l, ok := data.(workflow.Letter); ok && l.Case.ComplainantEmail == r.who {
		err := errors.New("the template cannot be read")
		if r.panic {
			panic(err)
		}
		return "", "", "", err
	}
	return r.real.Render(name, lang, data)
}

// Mail that fails to render at the group's end fails the group; each
// message is then processed alone, so only the one whose mail it is fails,
// as it would have alone, and everybody else's mail is sent.
func TestMailFailingToRenderInAGroupCostsOnlyItsMessage(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(map[bool]string{false: "error", true: "panic"}[panics], func(t *testing.T) {
			for _, dialect := range storetest.Dialects(t) {
				t.Run(dialect, func(t *testing.T) {
					const peter = "peter.bakker@example.nl"
					at := time.Date(2026, 11, 19, 21, 48, 0, 0, amsterdam)
					open := func() (*store.DB, *workflow.Workflow, *recordingTransport) {
						db := storetest.Open(t, dialect)
						sent := &recordingTransport{}
						w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: &failingFor{real: realTemplates(t), who: peter, panic: panics},
							Compose: mailbox.Compose, Transport: sent, Clock: workflow.NewManualClock(at), Settings: testSettings()})
						if err != nil {
							t.Fatal(err)
						}
						return db, w, sent
					}
					group := aGroup(at)
					const bad = 1 // Peter's complaint

					// What the single path makes of Peter's message today,
					// after Sanne's complaint before it.
					aloneDB, alone, _ := open()
					if _, _, err := alone.ProcessSettled(t.Context(), group[0]); err != nil {
						t.Fatal(err)
					}
					wantDisp, wantSettled, wantErr := alone.ProcessSettled(t.Context(), group[bad])
					if wantErr == nil {
						t.Fatal("Peter's message succeeded alone while its mail cannot be rendered")
					}
					type entry struct {
						State    string `db:"state"`
						Attempts int    `db:"attempts"`
						Reason   string `db:"reason"`
					}
					var want entry
					if err := aloneDB.Get(t.Context(), &want, `SELECT state, attempts, reason FROM ledger WHERE uid = ?`, group[bad].UID); err != nil {
						t.Fatal(err)
					}

					db, w, sent := open()
					rs := w.ProcessGroup(t.Context(), group)
					for i, r := range rs {
						if i == bad {
							if r.Err == nil || r.Disposition != wantDisp || r.Settled != wantSettled {
								t.Errorf("Peter's message: %+v, want %v %+v and an error as alone", r, wantDisp, wantSettled)
							}
							continue
						}
						if r.Err != nil || r.Disposition != workflow.Done {
							t.Errorf("message %d: %+v", i+1, r)
						}
					}
					var got entry
					if err := db.Get(t.Context(), &got, `SELECT state, attempts, reason FROM ledger WHERE uid = ?`, group[bad].UID); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("Peter's ledger entry %+v, want %+v as alone", got, want)
					}
					if n := count(t, db, `SELECT COUNT(*) FROM cases WHERE complainant_email = ?`, peter); n != 0 {
						t.Errorf("%d cases of Peter's, whose message failed", n)
					}
					if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 2 {
						t.Errorf("%d cases, want Sanne's and Lisa's", n)
					}
					for {
						n, err := w.DeliverDue(t.Context())
						if err != nil {
							t.Fatal(err)
						}
						if n == 0 {
							break
						}
					}
					// Sanne's and Lisa's confirmations and notifications, and
					// Sanne's follow-up passed on.
					if n := sent.count(); n != 5 {
						t.Errorf("%d mails sent, want 5: %v", n, sent.sent)
					}
					for _, to := range sent.sent {
						if to == peter {
							t.Errorf("mail sent to Peter, whose message failed")
						}
					}
				})
			}
		})
	}
}
