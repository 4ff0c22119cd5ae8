package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// organisation.address_form reaches every letter the daemon sends the
// parent (issue 11): with "je" the Dutch confirmation, progress message,
// relayed answer and judgment say je and never u; with "u" the reverse.
// English mail reads the same either way.
func TestAddressFormReachesTheParentsMail(t *testing.T) {
	t.Parallel()
	words := map[string]*regexp.Regexp{
		"je": regexp.MustCompile(`(?i)\b(je|jij|jou|jouw|jezelf)\b`),
		"u":  regexp.MustCompile(`(?i)\b(u|uw|uzelf)\b`),
	}
	other := map[string]string{"u": "je", "je": "u"}
	for _, lang := range []string{"nl", "en"} {
		read := map[string][]string{} // form: the subjects the parent read
		for _, form := range []string{"u", "je"} {
			t.Run(lang+"/"+form, func(t *testing.T) {
				h := newHarnessWith(t, storetest.URL(t, "sqlite"), func(c *Config) {
					c.Organisation.Language, c.Organisation.AddressForm = lang, form
				})
				confirmationOf(t, h)
				h.at(received.AddDate(0, 0, 14)) // a progress message
				annaAnswers(t, h, pick(lang, "Morgen spreken we met de leidster van de Rupsen.", "Tomorrow we talk to the group leader."))
				annaAnswers(t, h, pick(lang, "#oordeel gegrond\n#categorie overig\n#geen-maatregelen\n\nNoah had niet mee mogen gaan.",
					"#judgment upheld\n#category overig\n#no-measures\n\nNoah should not have left with her."))
				got := h.sentTo("sanne.jansen@example.nl")
				if len(got) != 4 {
					t.Fatalf("the parent got %q, want the confirmation, a progress message, the answer and the judgment", subjects(h, "sanne.jansen@example.nl"))
				}
				for _, m := range got {
					read[form] = append(read[form], m.msg.Subject())
					if lang != "nl" {
						continue
					}
					// Her own complaint, quoted in the confirmation, is hers.
					var ours []string
					for _, l := range strings.Split(m.msg.Subject()+"\n"+m.text, "\n") {
						if !strings.HasPrefix(strings.TrimSpace(l), ">") {
							ours = append(ours, l)
						}
					}
					text := strings.Join(ours, "\n")
					if w := words[other[form]].FindAllString(text, -1); w != nil {
						t.Errorf("the %s-form letter %q says %q:\n%s", form, m.msg.Subject(), w, text)
					}
					if !words[form].MatchString(text) {
						t.Errorf("the %s-form letter %q never addresses the parent:\n%s", form, m.msg.Subject(), text)
					}
				}
				verdict := map[string]string{"u": "Uw klacht is gegrond.", "je": "Je klacht is gegrond."}[form]
				mustContain(t, "Sanne", got[3], pick(lang, verdict, "Your complaint is upheld."), pick(lang, "Noah had niet mee mogen gaan.", "Noah should not have left with her."))
			})
		}
		if lang == "en" && !slices.Equal(read["u"], read["je"]) {
			t.Errorf("English mail differs with the address form: %q and %q", read["u"], read["je"])
		}
	}
}
