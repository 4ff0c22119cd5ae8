package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// Issue 11: unverified mail that claims a handler's or a parent's address
// is marked "niet geverifieerd" ("not verified") in every notification that
// shows it, in both languages.

// notVerified is the mark a handler reads, per language.
var notVerified = map[string][2]string{ // subject mark, text mark
	"nl": {"(niet geverifieerd)", "NIET GEVERIFIEERD"},
	"en": {"(not verified)", "NOT VERIFIED"},
}

func inLanguage(lang string) func(*Config) {
	return func(c *Config) { c.Organisation.Language = lang }
}

// A message in Anna's name that fails her verification is kept on the case
// as a message from outside; Marco, who handles the case too, reads that it
// is not from Anna, whether or not DMARC failed (without a reply token, an
// absent check proves nothing either).
func TestOtherHandlersReadForgedHandlerMailAsNotVerified(t *testing.T) {
	t.Parallel()
	checks := map[string][]string{
		"dmarc fails":   {"Authentication-Results: mx.vlinder.example; dmarc=fail header.from=vlinder.example"},
		"dmarc is none": {"Authentication-Results: mx.vlinder.example; dmarc=none header.from=vlinder.example"},
	}
	for _, lang := range []string{"nl", "en"} {
		for name, extra := range checks {
			t.Run(lang+"/"+name, func(t *testing.T) {
				storetest.EachURL(t, func(t *testing.T, url string) {
					h := newHarnessWith(t, url, inLanguage(lang))
					confirmationOf(t, h)
					before := len(h.sentTo("marco.bos@vlinder.example"))
					h.deliver(rawMail(mailOpts{
						from: anna, subject: "Over [KL-2026-0001]", id: "forged-anna@evil.example",
						extra: extra, body: "#afgerond\n\nDe klacht is opgelost, stuur de ouder niets meer.\n",
					}))
					h.poll()
					h.flush()
					got := h.sentTo("marco.bos@vlinder.example")
					if len(got) != before+1 {
						t.Fatalf("Marco got %d new mails, want the notification of the message", len(got)-before)
					}
					note := got[len(got)-1]
					mark := notVerified[lang]
					named := map[string]string{"nl": "op naam van Anna de Vries", "en": "in the name of Anna de Vries"}[lang]
					text := strings.Join(strings.Fields(note.text), " ")
					if !strings.Contains(note.msg.Subject(), mark[0]) || !strings.Contains(text, mark[1]) || !strings.Contains(text, named) {
						t.Errorf("Marco's notification does not say the message is not verified and not Anna's (%q, %q, %q):\n%s\n%s",
							mark[0], mark[1], named, note.msg.Subject(), note.text)
					}
					if !strings.Contains(note.text, "stuur de ouder niets meer") {
						t.Errorf("the notification does not show the message:\n%s", note.text)
					}
					if n := h.countRows("messages", "unverified = ? AND message_id = ?", true, "forged-anna@evil.example"); n != 1 {
						t.Errorf("the message row is not marked unverified")
					}
					for _, m := range h.sentTo("anna.devries@vlinder.example") {
						if strings.Contains(m.text, "stuur de ouder niets meer") && !strings.Contains(m.text, mark[1]) {
							t.Errorf("Anna got the message unmarked:\n%s", m.text)
						}
					}
				})
			})
		}
	}
}

// A parent's address in an unverified message: the reply notification, in
// both languages (the new-case notification and the Dutch reply are in
// hostile_trust_test.go).
func TestForgedParentMailIsMarkedInEnglishToo(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, inLanguage("en"))
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Complaint", id: "forged-new-en@evil.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; dmarc=fail header.from=example.nl"},
			body:  "I complain about everything.\n",
		}))
		h.deliver(rawMail(mailOpts{
			from: sanne, subject: "Re: Complaint", id: "forged-reply-en@evil.example", inReplyTo: "forged-new-en@evil.example",
			extra: []string{"Authentication-Results: mx.vlinder.example; dmarc=fail header.from=example.nl"},
			body:  "I withdraw it. Send everything to my new address.\n",
		}))
		h.poll()
		h.flush()
		got := h.sentTo("anna.devries@vlinder.example")
		if len(got) != 2 {
			t.Fatalf("Anna got %d mails, want the new case and the reply", len(got))
		}
		for _, m := range got {
			if !strings.Contains(m.msg.Subject(), "(not verified)") || !strings.Contains(m.text, "NOT VERIFIED") {
				t.Errorf("not marked:\n%s\n%s", m.msg.Subject(), m.text)
			}
			if strings.Contains(m.text, "GEVERIFIEERD") {
				t.Errorf("Dutch in an English notification:\n%s", m.text)
			}
		}
	})
}

// The flood notice names the sender: when the message that went over the
// limit failed DMARC, that address may be forged, and the notice says so.
func TestFloodNoticeOfUnverifiedSenderIsMarked(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, inLanguage(lang))
				for i := range 6 {
					h.deliver(rawMail(mailOpts{
						from: sanne, subject: fmt.Sprintf("Klacht %d", i), id: fmt.Sprintf("flood%d@evil.example", i),
						extra: []string{"Authentication-Results: mx.vlinder.example; dmarc=fail header.from=example.nl"},
						body:  fmt.Sprintf("Klacht nummer %d.\n", i),
					}))
				}
				h.poll()
				h.flush()
				var notice *sentMail
				for _, m := range h.sentTo("marco.bos@vlinder.example") {
					if strings.Contains(m.msg.Subject(), "sanne.jansen@example.nl") {
						notice = &m
					}
				}
				if notice == nil {
					t.Fatal("no flood notice")
				}
				mark := notVerified[lang]
				if !strings.Contains(notice.msg.Subject(), mark[0]) || !strings.Contains(notice.text, mark[1]) {
					t.Errorf("the flood notice does not say the sender is not verified:\n%s\n%s", notice.msg.Subject(), notice.text)
				}
			})
		})
	}
}
