package workflow_test

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/workflow"
)

// Every Dutch message to a parent addresses them the way the organisation
// chose (organisation.address_form, issue 11): "u" or "je", never a mix.
// Messages to staff address colleagues as "je" whatever the setting.

// parentTemplates are the messages a parent (or a parent committee) reads.
var parentTemplates = []string{
	"confirmation", "progress", "judgment", "relay", "closed", "withdrawn",
	"measure_delayed", "measure_done", "deadline_passed",
}

// staffTemplates are the messages handlers and managers read.
var staffTemplates = []string{
	"new_case", "case_reply", "bounce_notice", "which_case", "command_result", "spoof_alert",
	"flood_notice", "reminder", "measure_due", "deadline_passed_staff", "digest",
	"safeguarding_notice", "case_file", "manager_result",
}

var (
	jeWords = regexp.MustCompile(`(?i)\b(je|jij|jou|jouw|jezelf|jullie)\b`)
	uWords  = regexp.MustCompile(`(?i)\b(u|uw|uzelf)\b`)
	tags    = regexp.MustCompile(`<[^>]*>`)
)

// ourWords is what the organisation wrote in a rendered message, as its
// reader sees it: the HTML without tags, and without the words of the
// handler or parent that the message passes on (they write as they like).
func ourWords(r rendered, l workflow.Letter) []string {
	out := []string{r.subject, r.text, html.UnescapeString(tags.ReplaceAllString(r.html, " "))}
	for i := range out {
		for _, line := range strings.Split(l.Text, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out[i] = strings.ReplaceAll(out[i], line, "")
			}
		}
	}
	return out
}

func TestEveryTemplateIsForParentsOrStaff(t *testing.T) {
	for _, name := range goldenTemplateNames(t) {
		if slices.Contains(parentTemplates, name) == slices.Contains(staffTemplates, name) {
			t.Errorf("template %s: list it in parentTemplates or staffTemplates (workflow/forms_test.go), once", name)
		}
	}
}

func TestDutchParentMessagesUseOneAddressForm(t *testing.T) {
	set := goldenSet(t)
	for _, c := range goldenCases {
		if !slices.Contains(parentTemplates, c.template) {
			continue
		}
		for _, form := range []string{"u", "je"} {
			t.Run(c.name+"/"+form, func(t *testing.T) {
				l := c.letter("nl")
				l.Org.AddressForm = form
				r := goldenRender(t, set, c.template, "nl", l)
				wrong, want := jeWords, uWords
				if form == "je" && !l.Case.Joint {
					wrong, want = uWords, jeWords
				}
				seen := false
				for _, part := range ourWords(r, l) {
					if m := wrong.FindAllString(part, -1); m != nil {
						t.Errorf("the %s-form message says %q:\n%s", form, m, part)
					}
					seen = seen || want.MatchString(part)
				}
				if !seen {
					t.Errorf("the %s-form message never addresses the parent:\n%s", form, r.text)
				}
			})
		}
	}
}

// A parent committee is addressed as a body: with "u" (singular and
// plural), even when the organisation writes "je" to a single parent.
func TestCommitteeIsAddressedAsACommittee(t *testing.T) {
	set := goldenSet(t)
	for _, c := range goldenCases {
		for _, lang := range goldenLangs {
			l := c.letter(lang)
			if !l.Case.Joint || !slices.Contains(parentTemplates, c.template) {
				continue
			}
			l.Org.AddressForm = "je"
			r := goldenRender(t, set, c.template, lang, l)
			greeting := goldenPick(lang, "Beste leden van Oudercommissie KDV De Rups,", "Dear members of Oudercommissie KDV De Rups,")
			if !strings.Contains(r.text, greeting) || !strings.Contains(r.html, greeting) {
				t.Errorf("%s/%s: not greeted as a committee (%q):\n%s", lang, c.name, greeting, r.text)
			}
			if strings.Contains(r.text, "Beste Fatima") || strings.Contains(r.text, "Dear Fatima") {
				t.Errorf("%s/%s: greets the writer, not the committee:\n%s", lang, c.name, r.text)
			}
			if lang == "nl" && !strings.Contains(r.text, "uw klacht") {
				t.Errorf("nl/%s: a committee is addressed with u:\n%s", c.name, r.text)
			}
			writer := goldenPick(lang, "door Fatima el Amrani", "by Fatima el Amrani")
			if !strings.Contains(strings.Join(strings.Fields(r.text), " "), writer) {
				t.Errorf("%s/%s: does not name who wrote on the committee's behalf (%q):\n%s", lang, c.name, writer, r.text)
			}
		}
	}
}

// English has one form: the setting changes nothing.
func TestEnglishIgnoresTheAddressForm(t *testing.T) {
	set := goldenSet(t)
	for _, c := range goldenCases {
		u := c.letter("en")
		je := c.letter("en")
		u.Org.AddressForm, je.Org.AddressForm = "u", "je"
		if a, b := goldenRender(t, set, c.template, "en", u), goldenRender(t, set, c.template, "en", je); a != b {
			t.Errorf("en/%s differs between the address forms", c.name)
		}
	}
}
