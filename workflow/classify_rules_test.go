package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/mailbox"
)

// The machine mail of issue 12 that is not in the corpus files, in the
// shapes the issue quotes.
func TestClassifyIssue12Bounces(t *testing.T) {
	for _, tc := range []struct {
		name, header, body string
		outcome            string
		recipient, id      string
	}{
		{"E500 returned mail, malformed postmaster, prose recipient",
			"From: <Postmaster\\@mail.example.nl@mail.example.nl>\nSubject: Returned Mail - Error During Delivery\n",
			"There was an error delivering your mail to <sanne@ouders.example>.\n\nOriginal-Message-ID: <v1abc@klachten.vlinder.example>\n",
			OutcomeFailed, "sanne@ouders.example", "v1abc@klachten.vlinder.example"},
		{"French Exchange, failure words at the end, System Administrator",
			"From: <\"System Administrator\"@mail.example.fr>\nSubject: [KL-2026-0041] Ontvangstbevestiging : non remis\n",
			"Votre message n'a pas pu être remis.\n\n  Objet : Ontvangstbevestiging\n\nLes destinataires suivants sont introuvables :\n\n  sanne@ouders.example\n",
			OutcomeFailed, "sanne@ouders.example", ""},
		{"junk Final-Recipient ignored",
			"From: MAILER-DAEMON@mx.example\nReturn-Path: <>\nSubject: Undelivered Mail Returned to Sender\n",
			"Final-Recipient: rfc822; @mx.example\nAction: failed\nStatus: 5.1.1\n\n<sanne@ouders.example>: user unknown\n",
			OutcomeFailed, "sanne@ouders.example", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classifyRaw(t, rawMail(tc.header+"To: klachten@vlinder.example\nMessage-ID: <r1@mx.example>\n", tc.body))
			if c.Class != ClassBounce || c.Outcome != tc.outcome {
				t.Fatalf("%+v; want a bounce, %s", c, tc.outcome)
			}
			if !slices.Contains(c.Recipients, tc.recipient) || slices.ContainsFunc(c.Recipients, func(a string) bool { return strings.HasPrefix(a, "@") }) {
				t.Errorf("Recipients %q; want %q and no junk", c.Recipients, tc.recipient)
			}
			if tc.id != "" && !slices.Contains(c.OriginalIDs, tc.id) {
				t.Errorf("OriginalIDs %q lack %q", c.OriginalIDs, tc.id)
			}
		})
	}
}

// Weak signs are flagged as weak: the daemon lets them count only for a
// message that answers ours (TestWeakSignsOpenACaseUnlessTheyAnswerUs in
// cmd/complaintd). Strong signs stay decisive.
func TestClassifyWeakAndStrongSigns(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		class        string
		weak         bool
		kind         string
	}{
		{"noreply-ish sender", "From: Ouderportaal <no-reply@ouderportaal.example>\nSubject: Niet aanwezig bij de overdracht\n", ClassAutoReply, true, KindNoReply},
		{"newsalerts-noreply", "From: newsalerts-noreply@nieuws.example\nSubject: Nieuws over kinderopvang\n", ClassAutoReply, true, KindNoReply},
		{"donotreply", "From: donotreply@gemeente.example\nSubject: Uw aanvraag\n", ClassAutoReply, true, KindNoReply},
		{"out-of-office subject", "From: Sanne <sanne@ouders.example>\nSubject: Afwezig: de overdracht\n", ClassAutoReply, true, KindAutoReplySubject},
		{"person's subject", "From: Sanne <sanne@ouders.example>\nSubject: Niet aanwezig bij de overdracht\n", ClassHuman, false, ""},
		{"RFC 3834", "From: Sanne <sanne@ouders.example>\nSubject: Niet aanwezig bij de overdracht\nAuto-Submitted: auto-replied\n", ClassAutoReply, false, KindAutomatic},
		{"Lotus Notes", "From: John.Smith@b.example\nSubject: AUTO: Smith, John is out of the office. (returning 05/01/2010)\nX-MIMETrack: Serialize by Router on EURMAIL02/Servers/XONE\n", ClassAutoReply, false, KindOutOfOffice},
		{"Lotus subject alone", "From: John.Smith@b.example\nSubject: AUTO: Smith, John is out of the office.\n", ClassHuman, false, ""},
		{"Hotmail complaint", "From: staff@hotmail.example\nSubject: complaint about message from 192.0.2.222\n", ClassAutoReply, false, KindFeedbackReport},
		{"parent complaining about a message", "From: Sanne <sanne@ouders.example>\nSubject: complaint about message from the teacher\n", ClassHuman, false, ""},
		{"fml list manager", "From: neko-admin@example.org\nSubject: Loop Alert: Duplicated Message-ID (neko ML)\nX-MLServer: fml [fml 4.0.3 release]\n", ClassAutoReply, false, KindListManager},
		{"list", "From: Sanne <sanne@ouders.example>\nSubject: Nieuwsbrief\nList-Id: <ouders.lists.example>\n", ClassAutoReply, false, KindList},
		{"person writing as postmaster", "From: Bob <postmaster@school.example>\nSubject: Klacht over de opvang\n", ClassHuman, false, ""},
		{"broken postmaster address", "From: <Postmaster\\@mx.example@mx.example>\nSubject: Bericht\n", ClassAutoReply, false, KindMailSystem},
		{"antivirus notice", "From: postmaster@gw.example\nSubject: Virus Alert\n", ClassAutoReply, false, KindVirusNotice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classifyRaw(t, rawMail(tc.header+"To: klachten@vlinder.example\nMessage-ID: <m1@x.example>\n", "Tekst.\n"))
			if c.Class != tc.class || c.Weak != tc.weak || c.Kind != tc.kind || c.Reason == "" {
				t.Errorf("%+v; want %s weak=%v kind %q", c, tc.class, tc.weak, tc.kind)
			}
		})
	}
}

// A news alert from a no-reply sender, without list headers, is a mailing
// by its subscription footer; the same sender without one stays weak.
func TestClassifyNewsAlert(t *testing.T) {
	header := "From: Google Alerts <newsalerts-noreply@google.example>\nTo: klachten@vlinder.example\nSubject: Google News Alert - kinderopvang\n"
	c := classifyRaw(t, rawMail(header, "Nieuws: kinderopvang in Utrecht\n\nUnsubscribe from this Google Alert: https://google.example/alerts/remove\n"))
	if c.Class != ClassAutoReply || c.Weak || c.Kind != KindList {
		t.Errorf("alert with footer: %+v", c)
	}
	c = classifyRaw(t, rawMail(header, "Nieuws: kinderopvang in Utrecht\n"))
	if c.Class != ClassAutoReply || !c.Weak {
		t.Errorf("no-reply sender alone: %+v", c)
	}
}

// Amazon SES notifications inside an SNS envelope: the notification is a
// JSON string in Message.
func TestClassifySESInSNSEnvelope(t *testing.T) {
	body := `{"Type" : "Notification", "MessageId" : "x", "Message" : "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",` +
		`\"bouncedRecipients\":[{\"emailAddress\":\"sanne@ouders.example\",\"action\":\"failed\",\"status\":\"5.1.1\"}]},` +
		`\"mail\":{\"commonHeaders\":{\"messageId\":\"<v1abc@klachten.vlinder.example>\"}}}",
  "UnsubscribeURL" : "https://sns.example/?Action=Unsubscribe"}
`
	c := classifyRaw(t, rawMail("From: AWS Notifications <no-reply@sns.amazonaws.example>\nTo: klachten@vlinder.example\nSubject: AWS Notification Message\n", body))
	if c.Class != ClassBounce || c.Outcome != OutcomeFailed || !slices.Equal(c.Recipients, []string{"sanne@ouders.example"}) ||
		!slices.Equal(c.OriginalIDs, []string{"v1abc@klachten.vlinder.example"}) {
		t.Errorf("%+v", c)
	}
}

// Every rule of the table says where it comes from.
func TestEveryRuleCitesItsSource(t *testing.T) {
	for i, r := range rules {
		if strings.TrimSpace(r.source) == "" || r.kind == "" || r.match == nil || (r.strength != weak && r.strength != strong) {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
}

func BenchmarkNormalLocal(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = normalLocal("Mailer-Daemon_X.y@mx.example")
	}
}

// FuzzClassify: every byte of an inbound message is hostile. Whatever
// parses, classify answers with a class and a reason, a bounce always has
// an outcome, and recipients are lower-case addresses.
func FuzzClassify(f *testing.F) {
	for _, dir := range []string{"bounces", "machine"} {
		matches, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", dir, "*.e*l"))
		for i, m := range matches {
			if i%20 != 0 { // a sample of each kind keeps the seed corpus quick
				continue
			}
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(rawMail("From: <Postmaster\\@a@a>\nSubject: x : non remis\n", "There was an error delivering your mail to <a@b.c>.\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mailbox.Parse(raw)
		if err != nil {
			return
		}
		c := classify(m, testIdentity)
		if c.Class == "" || c.Reason == "" {
			t.Fatalf("no class or reason: %+v", c)
		}
		if c.Class == ClassBounce && c.Outcome == "" {
			t.Fatalf("bounce without outcome: %+v", c)
		}
		for _, r := range c.Recipients {
			if r != strings.ToLower(r) || !strings.Contains(r, "@") || strings.HasPrefix(r, "@") {
				t.Fatalf("recipient %q", r)
			}
		}
	})
}

// BenchmarkClassifyHostileReport: a 4 MB report whose one line holds
// hundreds of thousands of addresses; classify must stay linear.
func BenchmarkClassifyHostileReport(b *testing.B) {
	raw := rawMail("From: MAILER-DAEMON@mx.example\nReturn-Path: <>\nSubject: Undelivered Mail Returned to Sender\n",
		hostileAddresses(350000))
	m, err := mailbox.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c := classify(m, testIdentity); c.Class != ClassBounce {
			b.Fatalf("%+v", c)
		}
	}
}

func hostileAddresses(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "x%d@a.example ", i)
	}
	return b.String() + "\n"
}
