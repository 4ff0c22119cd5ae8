package main

import (
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// The organisation's contact blocks for the safeguarding notice.
const (
	inspectorBlock = "Vertrouwensinspecteurs Inspectie van het Onderwijs\n0900 111 3 111"
	policeBlock    = "Politie, wijkagent Centrum\n0900 8844"
	meldcodeBlock  = "Meldcode: https://www.vlinder.example/meldcode\nAandachtsfunctionaris Petra de Wit, 06 1234 5678"
)

func withSafeguardingContacts(c *Config) {
	c.Safeguarding.Vertrouwensinspecteur, c.Safeguarding.Police, c.Safeguarding.Meldcode = inspectorBlock, policeBlock, meldcodeBlock
}

// eachLanguageConfigured is eachLanguage with a change to the configuration.
func eachLanguageConfigured(t *testing.T, change func(*Config), f func(t *testing.T, h *harness, pick func(nl, en string) string)) {
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, func(c *Config) { c.Organisation.Language = lang; change(c) })
				f(t, h, func(nl, en string) string {
					if lang == "en" {
						return en
					}
					return nl
				})
			})
		})
	}
}

// flat folds the white space of a mail's subject and text, so a phrase is
// found across the lines it was wrapped on.
func flat(m sentMail) string {
	return strings.Join(strings.Fields(m.msg.Subject()+"\n"+m.text), " ")
}

func mustRead(t *testing.T, who string, m sentMail, phrases ...string) {
	t.Helper()
	got := flat(m)
	for _, p := range phrases {
		if !strings.Contains(got, strings.Join(strings.Fields(p), " ")) {
			t.Errorf("%s's mail lacks %q:\n%s\n\n%s", who, p, m.msg.Subject(), m.text)
		}
	}
}

// safeguardingNotices are the safeguarding notices sent to addr so far.
func safeguardingNotices(h *harness, addr string) []sentMail {
	var out []sentMail
	for _, m := range h.sentTo(addr) {
		if m.header("Subject") != "" && (strings.Contains(m.msg.Subject(), "] Signaal") || strings.Contains(m.msg.Subject(), "] Signal")) {
			out = append(out, m)
		}
	}
	return out
}

// Issue 13 (R17, art. 1.51b): a new complaint with a signal word (any case,
// a phrase wrapped over two lines) flags the case, and the managers of its
// location are told at once, in the delivery that sends the confirmation,
// with the statutory steps and the contact blocks; the handlers are told
// how to clear a false alarm. The six-week term runs on. The parent hears
// nothing of it.
func TestSignalWordsTellTheManagersAtOnce(t *testing.T) {
	t.Parallel()
	eachLanguageConfigured(t, withSafeguardingContacts, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		h.deliver(rawMail(mailOpts{from: "Sanne Jansen <sanne.jansen@example.nl>", subject: "Klacht over juf M.",
			body: pick("Mijn dochter zegt dat juf M. haar heeft GESLAGEN. Ze had blauwe\nplekken op haar arm.\n",
				"My daughter says teacher M. SLAPPED her. She had\nbruises on her arm.\n")}))
		h.poll()
		h.flush()
		c := h.cases()[0]
		if !c.Safeguarding {
			t.Fatal("the case is not flagged safeguarding")
		}
		// The six weeks run on: the term is that of any complaint, and
		// the notice names its last day as the confirmation does.
		if days := c.DeadlineAt.Sub(c.ReceivedAt).Hours() / 24; days < 41 || days > 43 {
			t.Errorf("the judgment is due %.1f days after receipt, want the six weeks", days)
		}
		for _, m := range []string{"directie@vlinder.example", "ilse.kramer@vlinder.example"} {
			got := safeguardingNotices(h, m)
			if len(got) != 1 {
				t.Fatalf("manager %s got %d safeguarding notices at once, want 1", m, len(got))
			}
			mustRead(t, m, got[0], c.Reference,
				pick("Signaal: mogelijk geweld of zedendelict tegen een kind", "Signal: possible violence or sexual offence against a child"),
				pick(`"geslagen", "blauwe plekken"`, `"slapped", "bruises"`),
				pick("Overleg direct met de vertrouwensinspecteur van de Inspectie van het Onderwijs",
					"Consult the vertrouwensinspecteur (confidential inspector) of the Inspectie van het Onderwijs at once"),
				pick("doe dan onverwijld aangifte bij de politie", "report it to the police without delay"),
				pick("Volg de meldcode", "Follow the organisation's meldcode"),
				inspectorBlock, policeBlock, meldcodeBlock,
				pick("De zes weken lopen door", "The six weeks keep running"),
				pick("#signaal-onterecht REDEN", "#signal-unfounded REASON"),
				pick("haar heeft GESLAGEN", "SLAPPED her"))
		}
		for _, handler := range []string{"anna.devries@vlinder.example", "marco.bos@vlinder.example"} {
			got := safeguardingNotices(h, handler)
			if len(got) != 1 {
				t.Fatalf("handler %s got %d safeguarding notices, want 1", handler, len(got))
			}
			mustRead(t, handler, got[0], pick("Beantwoord dit bericht met bovenaan #signaal-onterecht REDEN",
				"Reply to this notice with #signal-unfounded REASON at the top"))
		}
		parent := h.sentTo("sanne.jansen@example.nl")
		if len(parent) != 1 || strings.Contains(strings.ToLower(flat(parent[0])), "signa") {
			t.Errorf("the parent got %d mails, want only the confirmation, without the signal", len(parent))
		}
		out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), c.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "signal words in the complaint (geslagen, blauwe plekken)") && !strings.Contains(out, "signal words in the complaint (slapped, bruises)") {
			t.Errorf("the timeline does not say which signal words flagged the case:\n%s", out)
		}
	})
}

// Signal words are whole words: a word that only contains one, or a
// complaint without them, flags nothing and tells no manager; a joint
// complaint of a location's committee reaches that location's managers only.
func TestSignalWordsAreWholeWordsAndReachTheLocationsManagers(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		h.deliver(rawMail(mailOpts{from: "Sanne Jansen <sanne.jansen@example.nl>", subject: "Factuur",
			body: "De regeling is misbruikbaar, onze zoon slaapt slecht en the abusive-looking invoice misbruikte ons vertrouwen.\n"}))
		h.poll()
		h.flush()
		if h.cases()[0].Safeguarding || len(safeguardingNotices(h, "directie@vlinder.example")) != 0 {
			t.Fatal("a complaint without a whole signal word was flagged")
		}
		h.deliver(rawMail(mailOpts{from: "Fatima el Amrani <oudercommissie.derups@gmail.example>", subject: "Gezamenlijke klacht",
			body: "Namens de oudercommissie: een kind is door een medewerker aan de arm door elkaar geschud.\n"}))
		h.poll()
		h.flush()
		if n := len(safeguardingNotices(h, "directie@vlinder.example")); n != 1 {
			t.Errorf("the manager of every location got %d notices, want 1", n)
		}
		if n := len(safeguardingNotices(h, "ilse.kramer@vlinder.example")); n != 0 {
			t.Errorf("the manager of another location got %d notices about KDV De Rups", n)
		}
	})
}

// #signaal (#signal; #veiligheid and #safeguarding are aliases) flags a case
// and tells the managers at once with the handler's note; #signaal-onterecht
// needs a reason, clears the flag, puts the reason on the timeline and tells
// the managers.
func TestSignalCommandAndFalseAlarm(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		confirmationOf(t, h)
		if n := len(safeguardingNotices(h, "directie@vlinder.example")); n != 0 {
			t.Fatalf("%d safeguarding notices for a complaint without signal words", n)
		}
		annaAnswers(t, h, pick("#signaal", "#safeguarding")+"\n\n"+pick("De ouder vertelde aan de telefoon over een hardhandige medewerker.",
			"On the phone the parent told of a rough member of staff."))
		mustRead(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Verwerkt", "Applied"),
			pick("gemarkeerd als veiligheidskwestie", "marked as a safeguarding concern"))
		got := safeguardingNotices(h, "directie@vlinder.example")
		if len(got) != 1 {
			t.Fatalf("the manager got %d notices after #signaal, want 1", len(got))
		}
		mustRead(t, "the manager", got[0], pick("Anna de Vries heeft klacht", "Anna de Vries has marked case"),
			pick("onverwijld aangifte bij de politie", "report it to the police without delay"),
			pick("Anna de Vries schrijft erbij:", "Anna de Vries adds:"),
			pick("over een hardhandige medewerker", "of a rough member of staff"))
		if n := len(safeguardingNotices(h, "anna.devries@vlinder.example")); n != 0 {
			t.Errorf("Anna got %d notices about her own #signaal (she has the command result)", n)
		}

		annaAnswers(t, h, pick("#signaal uit", "#signal off"))
		mustRead(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
			pick("#signaal-onterecht REDEN", "#signal-unfounded REASON"))
		annaAnswers(t, h, pick("#signaal-onterecht", "#signal-unfounded"))
		mustRead(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Niet uitgevoerd", "Not applied"),
			pick("schrijf de reden op de regel", "write the reason on the line"))
		if !h.cases()[0].Safeguarding {
			t.Fatal("a #signaal-onterecht without a reason cleared the flag")
		}

		reason := pick("de medewerker bleek de vader van een ander kind", "the member of staff turned out to be another child's father")
		annaAnswers(t, h, pick("#signaal-onterecht ", "#signal-unfounded ")+reason)
		mustRead(t, "Anna", lastTo(t, h, "anna.devries@vlinder.example"), pick("Verwerkt", "Applied"), reason)
		if h.cases()[0].Safeguarding {
			t.Fatal("the flag is still set after #signaal-onterecht")
		}
		got = safeguardingNotices(h, "directie@vlinder.example")
		if len(got) != 2 {
			t.Fatalf("the manager got %d notices, want 2 (flagged, cleared)", len(got))
		}
		mustRead(t, "the manager", got[1], pick("Signaal onterecht", "Signal unfounded"),
			pick("Anna de Vries heeft het signaal bij klacht", "Anna de Vries has cleared the signal on case"), reason)
		c := h.cases()[0]
		out, _, err := run(t, h.ctx, "cases", "show", "-config", writeHarnessConfig(t, h.cfg), c.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "cleared as a false alarm (#signaal-onterecht): "+reason) {
			t.Errorf("the timeline lacks the reason the flag was cleared:\n%s", out)
		}
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Errorf("the parent got %d mails, want only the confirmation", n)
		}
	})
}

// A signal word that is empty stops start-up, naming the key.
func TestEmptySignalWordNamesTheKey(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(t.TempDir(), "127.0.0.1:1", "127.0.0.1:2")
	cfg.Safeguarding.SignalWords = []string{"geslagen", " "}
	err := cfg.validate()
	if err == nil || !strings.Contains(err.Error(), "safeguarding.signal_words[1]") {
		t.Fatalf("validate: %v, want an error naming safeguarding.signal_words[1]", err)
	}
}
