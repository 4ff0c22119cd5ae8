package e2e

import (
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/complaintd/complaintd/mailbox/mailtest/peers"
	"github.com/complaintd/complaintd/store/storetest"
)

const (
	parentAddr = "sanne.jansen@example.nl"
	annaAddr   = "anna.devries@vlinder.example"
	marcoAddr  = "marco.bos@vlinder.example"
	// The second parent's mail provider bounces our mail after accepting it.
	bouncingAddr = "p.hoekstra@example.org"
)

var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// world is one run of the flow: the servers, the daemon, and which of the
// letters each person received the test has looked at.
type world struct {
	t    *testing.T
	s    setup
	d    *daemon
	seen map[string]map[int]bool // per recipient, the indexes of letters taken
}

// inbox is everything delivered to addr so far, read as its client does.
func (w *world) inbox(addr string) []letter {
	w.t.Helper()
	var out []letter
	for _, d := range w.s.smtp.delivered(w.t) {
		if strings.EqualFold(d.rcpt, addr) {
			out = append(out, readLetter(w.t, d))
		}
	}
	return out
}

// await waits for a letter to addr that the test has not taken before and
// that is what the test expects (its subject names ref, and it says want),
// and takes it. Other mail to addr (another handler's answer copied to
// this one, say) stays for later.
func (w *world) await(addr, what, ref, want string) letter {
	w.t.Helper()
	if w.seen[addr] == nil {
		w.seen[addr] = map[int]bool{}
	}
	var found letter
	waitFor(w.t, what+" to reach "+addr, func() bool {
		for i, l := range w.inbox(addr) {
			if !w.seen[addr][i] && strings.Contains(l.subject, ref) && strings.Contains(l.subject+"\n"+l.text, want) {
				w.seen[addr][i] = true
				found = l
				return true
			}
		}
		return false
	})
	return found
}

// deliver APPENDs a message to the shared mailbox's INBOX, as the
// organisation's receiving server delivers it, received at the given time.
func (w *world) deliver(raw []byte, at time.Time) {
	w.t.Helper()
	w.s.imap.Append(w.t, "INBOX", raw, at)
}

// caseShow is `complaintd cases show REF`, as the operator runs it.
func (w *world) caseShow(ref string) string {
	w.t.Helper()
	return w.d.cli("cases", "show", ref)
}

// startWorld runs the built daemon against Dovecot (TLS) and Mailpit on the
// database at url, with extra appended to its configuration.
func startWorld(t *testing.T, url, extra string) *world {
	t.Helper()
	s := setup{
		dbURL: url, imap: peers.StartDovecot(t, peers.DovecotOptions{TLS: true}),
		smtp:    realSMTP{srv: peers.StartMailpit(t), tls: "none"},
		workDir: t.TempDir(),
		extra:   extra,
	}
	w := &world{t: t, s: s, seen: map[string]map[int]bool{}}
	w.d = newDaemon(t, s)
	w.d.start()
	return w
}

// runFlow is the whole flow, read as the recipients read it, step by step;
// each step waits for what its recipients receive before the next begins.
func runFlow(t *testing.T, s setup) {
	w := &world{t: t, s: s, seen: map[string]map[int]bool{}}
	w.d = newDaemon(t, s)
	// What the operator runs first: check reaches the database and both
	// servers, and the SMTP server takes our envelope.
	out := w.d.cli("check")
	if !strings.Contains(out, "all checks passed") {
		t.Fatalf("complaintd check:\n%s", out)
	}
	for _, secret := range []string{s.imap.Password(), s.smtp.submission().password} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("complaintd check prints a password:\n%s", out)
		}
	}
	w.d.start()
	c := w.complaint()
	// A restart between the notification and Anna's reply, as after an
	// upgrade: her reply token, signed with the secret the first process
	// generated and stored, still verifies in the second.
	w.d.stop()
	w.d.start()
	w.conversation(&c)
	w.clientAnswers(&c)
	judgment := w.judgment(c)
	w.vacation(c, judgment)
	peterRef := w.bounce()

	// The last message is moved to Processed after its commit, which may
	// come after the mail it caused went out: wait for that, then SIGTERM,
	// as systemd stops it: a clean exit. Then, with nothing left running
	// that could still send: Sanne received exactly the confirmation and
	// the judgment (nothing for her vacation reply), Peter only his
	// confirmation, and only Peter's case is flagged.
	waitFor(t, "INBOX to be empty", func() bool { return len(w.s.imap.Messages(t, "INBOX")) == 0 })
	// What the operator's monitoring sees of this second process: ready,
	// and the messages and mails of the flow since its restart counted.
	// Eight messages came in (Sanne's reply, Anna's three answers and her
	// judgment, the vacation reply, Peter's complaint, the bounce); at least ten mails
	// went out (notifications, the answer, the judgment, the command
	// result, Peter's confirmation, the bounce notices).
	if code, body := w.d.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz answered %d after the flow:\n%s", code, body)
	}
	waitFor(t, "the metrics to count the flow", func() bool {
		_, m := w.d.get("/metrics")
		return metric(m, "complaintd_messages_total", `outcome="processed"`) >= 8 &&
			metric(m, "complaintd_smtp_sends_total", `result="sent"`) >= 10
	})
	_, m := w.d.get("/metrics")
	if n := metric(m, "complaintd_messages_total", `outcome="quarantined"`); n != 0 {
		t.Errorf("/metrics counts %v quarantined messages, want none", n)
	}
	w.d.stop()
	if got := w.inbox(parentAddr); len(got) != 5 {
		t.Errorf("Sanne received %d mails, want the confirmation, Anna's three answers and the judgment only", len(got))
	}
	if got := w.inbox(bouncingAddr); len(got) != 1 {
		t.Errorf("Peter received %d mails, want only his confirmation", len(got))
	}
	// The shared mailbox as the staff see it in their own client: every
	// message moved to Processed, none deleted, none marked read.
	processed := w.s.imap.Messages(t, "Processed")
	if len(processed) != 9 {
		t.Errorf("Processed holds %d messages, want the 9 delivered", len(processed))
	}
	for _, m := range processed {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("the daemon marked message %d \\Seen; people read this mailbox too", m.UID)
		}
	}
	list := w.d.cli("cases", "list")
	for _, line := range strings.Split(list, "\n") {
		flagged := strings.Contains(line, "complainant-unreachable")
		switch {
		case strings.HasPrefix(line, peterRef) && !flagged:
			t.Errorf("case %s is not flagged unreachable after the bounce:\n%s", peterRef, list)
		case strings.HasPrefix(line, c.ref) && flagged:
			t.Errorf("case %s is flagged unreachable, but Sanne's mail never bounced:\n%s", c.ref, list)
		}
	}
}

// firstCase is what each step leaves for the next ones.
type firstCase struct {
	ref          string
	received     time.Time
	conf         letter
	lastToParent letter            // the latest letter Sanne received
	notes        map[string]letter // per handler, the latest notification about the case
}

// complaint: a parent writes a complaint; she receives the confirmation
// (reference, date of receipt, latest date of the judgment), each handler
// the new-case notification. The date of receipt is the IMAP INTERNALDATE
// the receiving server set.
func (w *world) complaint() firstCase {
	t := w.t
	t.Helper()
	received := time.Now().In(amsterdam).Truncate(time.Minute)
	w.deliver(rawComplaint(t, "Sanne Jansen", parentAddr, "Klacht over het ophalen van Noah",
		"Vandaag is onze zoon Noah meegegeven aan iemand die niet op de ophaallijst\n"+
			"staat. Niemand heeft ons gebeld. Ik wil weten hoe dit kon gebeuren.", received), received)

	c := firstCase{received: received, notes: map[string]letter{}}
	c.conf = w.await(parentAddr, "the confirmation", "KL-", "Ontvangstbevestiging")
	c.ref = reference(t, c.conf.subject)
	c.lastToParent = c.conf
	// Six weeks: the end of the 42nd day after receipt, in the
	// organisation's zone.
	due := time.Date(received.Year(), received.Month(), received.Day()+42, 0, 0, 0, 0, amsterdam)
	for _, want := range []string{c.ref, dutchDate(received) + " om " + received.Format("15:04"), dutchDayDate(due),
		"Klachtenloket Kinderopvang", "ophaallijst"} {
		if !strings.Contains(c.conf.text, want) {
			t.Errorf("the parent's confirmation lacks %q:\n%s", want, c.conf.text)
		}
	}
	if got, _ := c.conf.header.Text("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("confirmation Auto-Submitted %q, want auto-replied", got)
	}
	for _, h := range []string{annaAddr, marcoAddr} {
		n := w.await(h, "the new-case notification", c.ref, "Nieuwe klacht")
		if !strings.Contains(n.text, "niet op de ophaallijst") {
			t.Errorf("the notification to %s lacks the complaint:\n%s", h, n.text)
		}
		c.notes[h] = n
	}
	return c
}

// conversation: Sanne answers her confirmation from Gmail; the handlers
// receive her new text, without the confirmation she quoted. Anna answers
// that notification from Thunderbird without command lines; Sanne receives
// Anna's new text from the organisation, in her own thread.
func (w *world) conversation(c *firstCase) {
	t := w.t
	t.Helper()
	at := time.Now()
	w.deliver(gmailReply(t, "Sanne Jansen", parentAddr, c.conf, at,
		"Het gebeurde ook al op 3 november, toen met zijn oma.\n\nSanne"), at)
	for _, h := range []string{annaAddr, marcoAddr} {
		n := w.await(h, "Sanne's reply", c.ref, "3 november")
		if strings.Contains(n.text, "We hebben uw klacht ontvangen") || strings.Contains("\n"+n.text, "\n> ") {
			t.Errorf("the notification of Sanne's reply to %s shows the confirmation she quoted:\n%s", h, n.text)
		}
		c.notes[h] = n
	}

	at = time.Now()
	answer := "Dank u voor uw aanvulling. Wij spreken deze week met de leidster van de groep en met de " +
		"invalkracht die Noah heeft meegegeven."
	w.deliver(thunderbirdReply(t, c.notes[annaAddr], at, "Beste mevrouw Jansen,\n\n"+flowed(answer)), at)
	relay := w.await(parentAddr, "Anna's answer", c.ref, answer)
	for _, leak := range []string{"schreef", "\n> ", "Nieuw bericht", "3 november", "anna.devries@"} {
		if strings.Contains("\n"+relay.text, leak) {
			t.Errorf("Sanne reads %q from Anna's reply (quoted history or internal detail):\n%s", leak, relay.text)
		}
	}
	if from := relay.header.Get("From"); !strings.Contains(from, "klachten@vlinder.example") {
		t.Errorf("Anna's answer reaches Sanne From %q, want the organisation", from)
	}
	if got := relay.header.Get("In-Reply-To"); got != "<"+c.lastToParent.messageID()+">" {
		t.Errorf("Anna's answer In-Reply-To %q, want our last letter to Sanne (issue 8 item 6)", got)
	}
	c.lastToParent = relay
}

// judgment: Anna answers her notification from Thunderbird with command
// lines and the reasoned judgment below them. Sanne receives the judgment
// with only Anna's new text; Anna receives the command result.
//
// Trust: Anna's reply verifies by her own signed reply token, which her
// client carries back in In-Reply-To/References because she answers the
// notification; the Authentication-Results of the organisation's MX
// (trust.authserv_id mx.vlinder.example, dmarc=pass) is on it as well, as
// the MX writes it, so either proof alone would do (policy token_or_dmarc).
// Its Message-ID is on the organisation's own domain, as Thunderbird
// writes it: it must not pass for our own mail coming back.
func (w *world) judgment(c firstCase) letter {
	t := w.t
	t.Helper()
	measureDate := time.Date(c.received.Year(), c.received.Month(), c.received.Day()+30, 0, 0, 0, 0, amsterdam)
	reasoned := "Wij vinden uw klacht gegrond. Noah is meegegeven aan een persoon die niet op de " +
		"ophaallijst stond, zonder dat iemand u heeft gebeld; dat had nooit mogen gebeuren."
	at := time.Now()
	w.deliver(thunderbirdReply(t, c.notes[annaAddr], at, "#oordeel gegrond\n#categorie overig\n#maatregel "+measureDate.Format("2006-01-02")+
		" Alle medewerkers nemen het ophaalprotocol opnieuw door.\n\nBeste mevrouw Jansen,\n\n"+flowed(reasoned)+
		"\n\nMet vriendelijke groet,\nAnna de Vries"), at)

	j := w.await(parentAddr, "the judgment", c.ref, "oordeel")
	for _, want := range []string{c.ref, reasoned, dutchDate(measureDate), "ophaalprotocol opnieuw door",
		"Geschillencommissie", "Anna de Vries"} {
		if !strings.Contains(j.text, want) {
			t.Errorf("the judgment lacks %q:\n%s", want, j.text)
		}
	}
	for _, leak := range []string{"#oordeel", "#maatregel", "schreef", "\n> ", "Nieuwe klacht"} {
		if strings.Contains("\n"+j.text, leak) {
			t.Errorf("the parent reads %q from the handler's reply (commands or quoted history):\n%s", leak, j.text)
		}
	}
	if got := j.header.Get("In-Reply-To"); got != "<"+c.lastToParent.messageID()+">" {
		t.Errorf("judgment In-Reply-To %q, want our last letter to Sanne: her client threads it there (issue 8 item 6)", got)
	}
	result := w.await(annaAddr, "the command result", c.ref, "Verwerkt")
	if !strings.Contains(result.text, "#oordeel") {
		t.Errorf("Anna's command result does not say what was done:\n%s", result.text)
	}
	if show := w.caseShow(c.ref); !strings.Contains(show, "status:        decided") {
		t.Errorf("cases show after the judgment:\n%s", show)
	}
	return j
}

// vacation: Sanne is away, and Gmail answers the judgment with her
// vacation reply. It is recorded on the case and nothing is sent to her.
func (w *world) vacation(c firstCase, judgment letter) {
	t := w.t
	t.Helper()
	at := time.Now()
	w.deliver(vacationReply(t, judgment, at), at)
	var show string
	waitFor(t, "the out-of-office reply on the case's timeline", func() bool {
		show = w.caseShow(c.ref)
		return strings.Contains(show, "Afwezig tot en met 4 januari")
	})
	// Whatever processing a message queues is committed with its record,
	// so the timeline now shows every mail ever queued for Sanne.
	var toSanne []string
	for _, line := range strings.Split(show, "\n") {
		if strings.Contains(line, "  out  ") && strings.Contains(line, " to "+parentAddr+":") {
			toSanne = append(toSanne, strings.TrimSpace(line))
		}
	}
	if len(toSanne) != 5 {
		t.Errorf("%d mails queued for Sanne after her vacation reply, want the confirmation, Anna's three answers and the judgment only:\n%s",
			len(toSanne), strings.Join(toSanne, "\n"))
	}
}

// bounce: a second parent's provider accepts his confirmation, then
// bounces it: a delivery status notification returns to the shared
// mailbox. The handlers are told, with the server's reason. It returns the
// case's reference.
func (w *world) bounce() string {
	t := w.t
	t.Helper()
	at := time.Now()
	w.deliver(rawComplaint(t, "Peter Hoekstra", bouncingAddr, "Facturen kloppen niet",
		"De facturen van oktober en november kloppen niet. Er is twee keer betaald.", at), at)
	conf := w.await(bouncingAddr, "the second confirmation", "KL-", "Ontvangstbevestiging")
	ref := reference(t, conf.subject)
	for _, h := range []string{annaAddr, marcoAddr} {
		if n := w.await(h, "the second new-case notification", ref, "Nieuwe klacht"); !strings.Contains(n.text, "twee keer betaald") {
			t.Errorf("the notification to %s lacks the complaint:\n%s", h, n.text)
		}
	}
	at = time.Now()
	w.deliver(postfixBounce(conf, at), at)
	for _, h := range []string{annaAddr, marcoAddr} {
		n := w.await(h, "the bounce notice", ref, "kwam niet aan")
		if !strings.Contains(n.text, bouncingAddr) || !strings.Contains(n.text, "Recipient address rejected") {
			t.Errorf("the bounce notice to %s does not name the address and the server's reason:\n%s", h, n.text)
		}
	}
	return ref
}

// reference finds the case reference (KL-YYYY-NNNN) in a subject.
func reference(t *testing.T, subject string) string {
	t.Helper()
	i := strings.Index(subject, "KL-")
	if i < 0 || len(subject) < i+12 {
		t.Fatalf("no case reference in %q", subject)
	}
	return subject[i : i+12]
}

// thunderbirdReply is a handler's reply to a notification as Thunderbird
// (115, Dutch locale) writes it: a Message-ID on the sender's own domain
// (the organisation's), "Op … schreef …:" attribution, "> " quoting,
// format=flowed, User-Agent Thunderbird; received by the organisation's MX,
// which found DMARC pass for vlinder.example.
func thunderbirdReply(t *testing.T, to letter, at time.Time, body string) []byte {
	t.Helper()
	replyTo := to.header.Get("Reply-To") // as written, encoded words and all
	if replyTo == "" {
		replyTo = to.header.Get("From")
	}
	refs, _ := to.header.Text("References")
	id := to.messageID()
	refs = strings.TrimSpace(refs + " <" + id + ">")
	sent, _ := to.header.Date()
	uuid := randomToken(t, 16)
	uuid = uuid[:8] + "-" + uuid[8:12] + "-" + uuid[12:16] + "-" + uuid[16:20] + "-" + uuid[20:]
	msg := fmt.Sprintf(`Message-ID: <%s@vlinder.example>
Date: %s
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: %s
Content-Language: nl
To: %s
References: %s
From: Anna de Vries <%s>
In-Reply-To: <%s>
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

%s

Op %s om %s schreef Kinderopvang De Vlinder:
%s
`, uuid, at.In(amsterdam).Format(time.RFC1123Z), mime.QEncoding.Encode("UTF-8", to.subject), replyTo, refs, annaAddr, id,
		body, sent.In(amsterdam).Format("2-1-2006"), sent.In(amsterdam).Format("15:04"), quoted(to.text))
	return receivedBy(crlf(msg), annaAddr,
		"dkim=pass header.d=vlinder.example header.s=mail; spf=pass smtp.mailfrom="+annaAddr+"; dmarc=pass (policy=quarantine) header.from=vlinder.example", at)
}

// TestEndToEnd runs the real daemon through the whole flow against Dovecot
// and each real SMTP server, on SQLite and (with TEST_DATABASE_URL) on
// PostgreSQL.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, p := range smtpPeers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				t.Parallel()
				runFlow(t, setup{
					dbURL:   url,
					imap:    peers.StartDovecot(t, peers.DovecotOptions{TLS: true}),
					smtp:    p.start(t),
					workDir: t.TempDir(),
				})
			})
		})
	}
}

// clientAnswers: Anna answers from Outlook for Windows and from Apple Mail
// on her Mac, shaped as the client matrix has them (testdata/clients, with
// their sources): quoted notification, Outlook's header block or Apple's
// attribution, HTML beside the text, a Message-ID on the organisation's
// own domain for Apple Mail. Each answer reaches Sanne through the real
// servers with only Anna's new words, greeted and signed once.
func (w *world) clientAnswers(c *firstCase) {
	t := w.t
	t.Helper()
	for i, client := range []string{"outlook-windows", "apple-mail-macos"} {
		dir := filepath.Join("..", "..", "..", "testdata", "clients", client)
		tmpl, err := os.ReadFile(filepath.Join(dir, "handler-answer.eml"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, "handler-answer.expected.txt"))
		if err != nil {
			t.Fatal(err)
		}
		note := c.notes[annaAddr]
		refs, _ := note.header.Text("References")
		raw := strings.NewReplacer(
			"{{.MessageID}}", fmt.Sprintf("e2e%s%d", strings.ReplaceAll(client, "-", ""), i),
			"{{.InReplyTo}}", note.messageID(),
			"{{.References}}", strings.TrimSpace(refs+" <"+note.messageID()+">"),
			"{{.Subject}}", note.subject,
		).Replace(string(tmpl))
		// Her own greeting (the first paragraph) and sign-off (the last)
		// give way to the letter's.
		paras := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(want), "\r\n", "\n")), "\n\n")
		if len(paras) < 3 {
			t.Fatalf("%s: expected answer has no greeting, body and sign-off", client)
		}
		body := strings.TrimSpace(strings.SplitN(paras[1], "\n", 2)[0])
		at := time.Now()
		w.deliver([]byte(raw), at)
		relay := w.await(parentAddr, client+" answer", c.ref, body)
		for _, leak := range []string{"NIET-VOOR-DE-OUDER", "#intern", "Nieuwe klacht", "Oorspronkelijk",
			"schreef", "geschreven", "Van: ", "From: ", "Verzonden:"} {
			if strings.Contains(relay.text, leak) {
				t.Errorf("Sanne reads %q from Anna's %s answer:\n%s", leak, client, relay.text)
			}
		}
		if strings.Count(relay.text, "Beste ") != 1 {
			t.Errorf("Anna's %s answer does not greet Sanne exactly once:\n%s", client, relay.text)
		}
		if got := relay.header.Get("In-Reply-To"); got != "<"+c.lastToParent.messageID()+">" {
			t.Errorf("Anna's %s answer In-Reply-To %q, want our last letter to Sanne", client, got)
		}
		c.lastToParent = relay
	}
}
