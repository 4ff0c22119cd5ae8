package workflow_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/templates"
	"github.com/complaintd/complaintd/workflow"
)

// Issue 15 point 6: one phrasebook per language, the same keys in both, the
// same values to fill in, and the case states named as the templates name
// them ("oordeel verzonden" everywhere, never "voorzien van een oordeel" in
// one place and "oordeel verzonden" in another).

var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func TestPhrasebooksAgree(t *testing.T) {
	nl, en := workflow.Phrasebook("nl"), workflow.Phrasebook("en")
	for _, pair := range [][2]map[string]string{{nl, en}, {en, nl}} {
		for k := range pair[0] {
			if _, ok := pair[1][k]; !ok {
				t.Errorf("phrase %q is in one language only", k)
			}
		}
	}
	for k, v := range nl {
		if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(en[k], -1); !slices.Equal(a, b) {
			t.Errorf("phrase %q fills in %v in Dutch but %v in English", k, a, b)
		}
		if v == "" || en[k] == "" {
			t.Errorf("phrase %q is empty", k)
		}
	}
	for _, s := range []string{workflow.StatusReceived, workflow.StatusAcknowledged, workflow.StatusInProgress,
		workflow.StatusDecided, workflow.StatusClosed, workflow.StatusWithdrawn} {
		for _, lang := range goldenLangs {
			if got, want := workflow.Phrasebook(lang)["status."+s], templates.StatusLabel(lang, s); got != want {
				t.Errorf("%s: the state %s is %q in command results but %q in messages", lang, s, got, want)
			}
		}
	}
}

// dutchFragments are the fixed parts of every Dutch phrase, long enough to
// be Dutch words rather than a shared "#" or name.
func dutchFragments() []string {
	en := workflow.Phrasebook("en")
	var out []string
	for k, v := range workflow.Phrasebook("nl") {
		for _, f := range verbs.Split(v, -1) {
			f = strings.TrimSpace(f)
			if len([]rune(f)) >= 6 && !strings.Contains(en[k], f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// dutchWords are common Dutch words that no English message uses; names
// ("Anna de Vries", "KDV De Rups") and the Klachtenloket's and
// Geschillencommissie's own names are English mail too, and so is the
// inspectorate's ("Inspectie van het Onderwijs", dutchNames).
var dutchWords = regexp.MustCompile(`(?i)\b(je|jij|jouw|uw|het|een|niet|voor|met|naar|klacht|geen|maatregel|maatregelen|wordt|dagen|uur|naamloos|onderwerp|geverifieerd|oordeel)\b`)

var dutchNames = regexp.MustCompile(`Inspectie van het Onderwijs`)

var dutchCommandHelp = regexp.MustCompile(`(?s)The Dutch names work too:.*?#signaal-onterecht\.`)

// No Dutch in English mail: not a phrase of the Dutch phrasebook, not a
// common Dutch word, in any English message.
func TestNoDutchInEnglishMail(t *testing.T) {
	fragments := dutchFragments()
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "en", "*.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no English golden files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The command help names the Dutch commands on purpose.
		text := dutchCommandHelp.ReplaceAllString(string(b), "")
		text = dutchNames.ReplaceAllString(text, "")
		for _, fr := range fragments {
			if strings.Contains(text, fr) {
				t.Errorf("%s: Dutch phrase %q in English mail", f, fr)
			}
		}
		if m := dutchWords.FindAllString(text, -1); m != nil {
			t.Errorf("%s: Dutch words %q in English mail", f, m)
		}
	}
}

// No placeholder in any message: plurals are written out ("2 maatregelen",
// never "maatregel(en)"), days are counted in words (never "(- days
// left)"), and nothing unfilled ("%!d", "<nil>", "<no value>") shows.
func TestNoPlaceholdersInMail(t *testing.T) {
	bad := regexp.MustCompile(`\w\((en|s|n)\)|\(-|%!|<nil>|<no value>|\bmaatregel\(`)
	for _, lang := range goldenLangs {
		files, _ := filepath.Glob(filepath.Join("testdata", "golden", lang, "*.golden"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m := bad.FindAllString(string(b), -1); m != nil {
				t.Errorf("%s: placeholders %q", f, m)
			}
		}
	}
}

// The words the workflow fills in itself — an unnamed attachment, a
// missing subject — are in the organisation's language: an English
// organisation's handler reads "(unnamed)", not "(naamloos)".
func TestPlaceholdersAreInTheOrganisationsLanguage(t *testing.T) {
	for _, lang := range goldenLangs {
		t.Run(lang, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				s := testSettings()
				s.Organisation.Language = lang
				clock := workflow.NewManualClock(goldenReceived)
				w, err := workflow.New(workflow.Deps{DB: db, Parse: parse, Render: realTemplates(t), Compose: mailbox.Compose,
					Clock: clock, Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				raw := "From: Sanne Jansen <sanne.jansen@example.nl>\r\nTo: klachten@vlinder.example\r\nMessage-ID: <unnamed@example.nl>\r\n" +
					"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
					"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNoah is meegegeven aan de buurvrouw.\r\n" +
					"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nxyz\r\n--b--\r\n"
				if disp, err := w.Process(t.Context(), workflow.Delivery{Mailbox: "INBOX", UIDValidity: 7, UID: 1, InternalDate: clock.Now(), Raw: []byte(raw)}); err != nil || disp != workflow.Done {
					t.Fatalf("Process = %v, %v", disp, err)
				}
				var raws [][]byte
				if err := db.Select(t.Context(), &raws, `SELECT raw FROM outbox WHERE rcpt_to = ?`, "anna.devries@vlinder.example"); err != nil || len(raws) != 1 {
					t.Fatalf("%d notifications: %v", len(raws), err)
				}
				m, err := mailbox.Parse(raws[0])
				if err != nil {
					t.Fatal(err)
				}
				want := map[string][]string{"nl": {"(naamloos)", "(geen onderwerp)"}, "en": {"(unnamed)", "(no subject)"}}
				other := map[string][]string{"nl": want["en"], "en": want["nl"]}
				for _, s := range want[lang] {
					if !strings.Contains(m.Subject()+"\n"+m.Text(), s) {
						t.Errorf("the notification lacks %q:\n%s\n%s", s, m.Subject(), m.Text())
					}
				}
				for _, s := range other[lang] {
					if strings.Contains(m.Subject()+"\n"+m.Text(), s) {
						t.Errorf("the notification says %q in the wrong language:\n%s\n%s", s, m.Subject(), m.Text())
					}
				}
			})
		})
	}
}
