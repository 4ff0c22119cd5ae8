package main

import (
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// A letter under #toewijzen/#locatie stays internal, the command result
// says so plainly, and answering that result with only the letter sends
// it to the parent (issue 8 item 7).
func TestTextUnderCommandsIsKeptAndTheResultSaysHowToSendIt(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		letter := "Beste Sanne,\n\nIk spreek morgen met de leidster van de Rupsen en bel je daarna.\n\nAnna"
		annaAnswers(t, h, "#toewijzen Anna de Vries\n#locatie KDV De Rups\n\n"+letter)
		if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
			t.Fatalf("the parent got %d mails, want only the confirmation", n)
		}
		got := h.sentTo("anna.devries@vlinder.example")
		res := got[len(got)-1]
		for _, want := range []string{"NIET naar de ouder", "zonder opdrachtregels"} {
			if !strings.Contains(res.msg.Subject()+"\n"+res.text, want) {
				t.Errorf("the command result does not say %q:\n%s\n%s", want, res.msg.Subject(), res.text)
			}
		}
		// Anna replies to the result with only the letter: it is relayed.
		annaAnswers(t, h, letter)
		parent := h.sentTo("sanne.jansen@example.nl")
		if len(parent) != 2 || !strings.Contains(parent[1].text, "bel je daarna") {
			t.Fatalf("the parent did not get the letter (%d mails)", len(parent))
		}
		if strings.Contains(parent[1].text, "opdrachtregels") || strings.Contains(parent[1].text, "#toewijzen") {
			t.Errorf("the parent sees the command result:\n%s", parent[1].text)
		}
	})
}

// A handler's empty reply, or one written below an Outlook header block,
// never sends the quoted notification (with a colleague's #intern note) to
// the parent; the handler is told (issue 9 item 2).
func TestHandlerReplyWithoutNewTextIsNotRelayed(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"empty", "bottom-posted"} {
		t.Run(name, func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarness(t, url)
				confirmationOf(t, h)
				// Marco's internal note reaches Anna in a case_reply notification.
				marco := h.sentTo("marco.bos@vlinder.example")[0]
				h.deliver(rawMail(mailOpts{
					from: "Marco Bos <marco.bos@vlinder.example>", subject: "RE: " + marco.msg.Subject(), id: "m1@vlinder.example",
					inReplyTo: marco.msg.MessageID(), body: "#intern\n\nDe moeder van Sanne belde boos; geheim houden.",
				}))
				h.poll()
				h.flush()
				notes := h.sentTo("anna.devries@vlinder.example")
				note := notes[len(notes)-1]
				if !strings.Contains(note.text, "geheim houden") {
					t.Fatalf("Anna's notification does not carry Marco's note:\n%s", note.text)
				}
				full := "\n\nVan: Kinderopvang De Vlinder <klachten@vlinder.example>\nVerzonden: donderdag 19 november 2026 21:49\n" +
					"Aan: Anna de Vries <anna.devries@vlinder.example>\nOnderwerp: " + note.msg.Subject() + "\n\n" + note.text
				if name == "bottom-posted" {
					full += "\n\nBeste Sanne, ik bel je morgen.\n"
				}
				h.deliver(rawMail(mailOpts{from: anna, subject: "RE: " + note.msg.Subject(), id: "a-" + name + "@vlinder.example",
					inReplyTo: note.msg.MessageID(), body: full}))
				h.poll()
				h.flush()
				if n := len(h.sentTo("sanne.jansen@example.nl")); n != 1 {
					for _, m := range h.sentTo("sanne.jansen@example.nl")[1:] {
						t.Logf("sent to the parent:\n%s", m.text)
					}
					t.Fatalf("the parent got %d mails, want only the confirmation", n)
				}
				got := h.sentTo("anna.devries@vlinder.example")
				if res := got[len(got)-1]; !strings.Contains(res.msg.Subject(), "Niet naar de ouder gestuurd") || !strings.Contains(res.text, "bovenaan") {
					t.Errorf("Anna was not told: %q\n%s", res.msg.Subject(), res.text)
				}
				if !hasEntry(h.timeline("KL-2026-0001"), workflow.EventRelay, "not relayed") {
					t.Errorf("no relay event says it was not relayed")
				}
			})
		})
	}
}

// A handler's client that quotes our notification in a shape the extractor
// does not know (here Outlook in Hungarian) still sends the parent only her
// words: the run of our own lines and everything below is left out.
func TestUnknownQuoteShapeOfOurMailIsNotRelayed(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		marco := h.sentTo("marco.bos@vlinder.example")[0]
		h.deliver(rawMail(mailOpts{
			from: "Marco Bos <marco.bos@vlinder.example>", subject: "RE: " + marco.msg.Subject(), id: "m2@vlinder.example",
			inReplyTo: marco.msg.MessageID(), body: "#intern\n\nDe moeder van Sanne belde boos; dit blijft binnen het team.",
		}))
		h.poll()
		h.flush()
		notes := h.sentTo("anna.devries@vlinder.example")
		note := notes[len(notes)-1]
		h.deliver(rawMail(mailOpts{from: anna, subject: "VS: " + note.msg.Subject(), id: "hu1@vlinder.example", inReplyTo: note.msg.MessageID(),
			body: "Beste Sanne,\n\nIk bel je morgen.\n\nAnna\n\nFeladó: Kinderopvang De Vlinder <klachten@vlinder.example>\nElküldve: 2026. november 19. 21:49\nCímzett: Anna de Vries\nTárgy: " +
				note.msg.Subject() + "\n\n" + note.text}))
		h.poll()
		h.flush()
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 {
			t.Fatalf("the parent got %d mails, want the confirmation and the answer", len(got))
		}
		if !strings.Contains(got[1].text, "Ik bel je morgen.") {
			t.Errorf("the answer lacks Anna's words:\n%s", got[1].text)
		}
		for _, leak := range []string{"binnen het team", "Feladó", "Dossier"} {
			if strings.Contains(got[1].text, leak) {
				t.Errorf("the parent sees %q:\n%s", leak, got[1].text)
			}
		}
	})
}

// With no header or attribution at all above the quoted notification (a
// client that pastes it plainly), the lines of our own mail still end what
// goes to the parent; the parent's own words may be quoted back to her.
func TestOurMailPastedWithoutMarkerIsNotRelayed(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		confirmationOf(t, h)
		marco := h.sentTo("marco.bos@vlinder.example")[0]
		h.deliver(rawMail(mailOpts{
			from: "Marco Bos <marco.bos@vlinder.example>", subject: "RE: " + marco.msg.Subject(), id: "m3@vlinder.example",
			inReplyTo: marco.msg.MessageID(), body: "#intern\n\nDe moeder van Sanne belde boos; dit blijft binnen het team.",
		}))
		h.poll()
		h.flush()
		notes := h.sentTo("anna.devries@vlinder.example")
		note := notes[len(notes)-1]
		// Without its first line, which the extractor reads as an
		// attribution ("Marco Bos <…> schreef op … over klacht …:").
		var pasted []string
		for _, l := range strings.Split(note.text, "\n")[1:] {
			if strings.HasPrefix(strings.TrimSpace(l), "--") || strings.HasPrefix(strings.TrimSpace(l), "__") {
				continue // no rule the extractor would stop at
			}
			pasted = append(pasted, l)
		}
		h.deliver(rawMail(mailOpts{from: anna, subject: "RE: " + note.msg.Subject(), id: "p1@vlinder.example", inReplyTo: note.msg.MessageID(),
			body: "Beste Sanne,\n\nIk bel je morgen.\n\nAnna\n\n" + strings.Join(pasted, "\n")}))
		h.poll()
		h.flush()
		got := h.sentTo("sanne.jansen@example.nl")
		if len(got) != 2 {
			t.Fatalf("the parent got %d mails, want the confirmation and the answer", len(got))
		}
		if !strings.Contains(got[1].text, "Ik bel je morgen.") {
			t.Errorf("the answer lacks Anna's words:\n%s", got[1].text)
		}
		if strings.Contains(got[1].text, "binnen het team") || strings.Contains(got[1].text, "KL-2026-0001\n") {
			t.Errorf("the parent sees the pasted notification:\n%s", got[1].text)
		}
	})
}
