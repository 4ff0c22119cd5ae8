package main

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

const ilse = "Ilse Kramer <ilse.kramer@vlinder.example>" // manager of BSO De Springplank

// bsoCaseWithDigest opens a complaint at the BSO with words a browser
// would run, lets Anna answer the parent, and sends the managers' digest
// of the next morning. It returns the case's reference and Ilse's digest.
func bsoCaseWithDigest(t *testing.T, h *harness) (string, sentMail) {
	t.Helper()
	ref := openCaseAt(t, h, time.Date(2026, 11, 30, 15, 0, 0, 0, amsterdam),
		"Ouder BSO <bso@example.nl>", "BSO De Springplank")
	h.deliver(rawMail(mailOpts{from: "Ouder BSO <bso@example.nl>", subject: "Re: [" + ref + "]", inReplyTo: lastTo(t, h, "bso@example.nl").msg.MessageID(),
		body: "Nog een vraag <script>alert('x')</script> over het uitje naar het zwembad.\n"}))
	h.poll()
	h.flush()
	annaAnswers(t, h, "Beste ouder,\n\nWe bellen u morgen over het zwembaduitje.\n\nAnna")
	h.at(time.Date(2026, 12, 1, 7, 30, 0, 0, amsterdam))
	return ref, lastTo(t, h, "ilse.kramer@vlinder.example")
}

// ilseReplies answers mail m from Ilse with body on top, as her client does.
func ilseReplies(t *testing.T, h *harness, body string, m sentMail) sentMail {
	t.Helper()
	h.deliver(rawMail(mailOpts{from: ilse, subject: "RE: " + m.msg.Subject(), inReplyTo: m.msg.MessageID(),
		body: body + "\n\nVan: Kinderopvang De Vlinder <klachten@vlinder.example>\nOnderwerp: " + m.msg.Subject() + "\n\n" + m.text}))
	h.poll()
	h.flush()
	return lastTo(t, h, "ilse.kramer@vlinder.example")
}

// attachments are the files of a mail as its recipient's client lists them.
func attachments(t *testing.T, m sentMail) []mailbox.Attachment {
	t.Helper()
	as, err := mailbox.Attachments(m.raw)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestManagerGetsTheCaseFileByReplyingToTheDigest(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"nl", "en"} {
		t.Run(lang, func(t *testing.T) {
			storetest.EachURL(t, func(t *testing.T, url string) {
				h := newHarnessWith(t, url, func(c *Config) { c.Organisation.Language = lang })
				ref, digest := bsoCaseWithDigest(t, h)
				for _, want := range []string{"#" + pick(lang, "dossier", "casefile") + " " + ref, pick(lang, "als bijlage", "as an attachment")} {
					if !strings.Contains(strings.Join(strings.Fields(digest.text), " "), want) {
						t.Errorf("the digest does not tell Ilse how to ask for a case file (%q):\n%s", want, digest.text)
					}
				}
				answer := ilseReplies(t, h, pick(lang, "#dossier ", "#casefile ")+ref, digest)
				if s := answer.msg.Subject(); !strings.HasPrefix(s, pick(lang, "Uitgevoerd", "Done")) {
					t.Errorf("answer subject %q", s)
				}
				file := "dossier-" + ref + ".html"
				if !strings.Contains(answer.text, file) || !strings.Contains(answer.text, pick(lang, "zit als bijlage", "is attached")) {
					t.Errorf("the answer does not say the case file is attached:\n%s", answer.text)
				}
				as := attachments(t, answer)
				if len(as) != 1 || as[0].Name != file || as[0].ContentType != "text/html" {
					t.Fatalf("attachments %+v, want one %s (text/html)", as, file)
				}
				html := string(as[0].Data)
				for _, want := range []string{
					"<!DOCTYPE html>", "Dossier " + ref + "", // nl title; en: "Case file "
					"Er ging iets mis.", // the complaint
					"Nog een vraag &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; over het uitje", // the parent's reply, escaped
					"We bellen u morgen over het zwembaduitje.",                                    // Anna's answer, read from what was sent
					"BSO De Springplank", "Anna de Vries",
					pick(lang, "afgeleverd bij de mailserver", "delivered to the mail server"), // delivery of our mail
					pick(lang, "Tijdlijn", "Timeline"), pick(lang, "Berichten", "Messages"),
				} {
					if lang == "en" && strings.HasPrefix(want, "Dossier ") {
						want = "Case file " + ref
					}
					if !strings.Contains(html, want) {
						t.Errorf("the case file lacks %q", want)
					}
				}
				// The timeline, stored in English for the operator, is said in
				// the manager's language.
				if lang == "nl" {
					for _, want := range []string{"klacht ontvangen", "ontvangstbevestiging aan", "antwoord van Anna de Vries naar de ouder gestuurd", "aangenomen"} {
						if !strings.Contains(html, want) {
							t.Errorf("the Dutch case file lacks %q", want)
						}
					}
					for _, english := range []string{"complaint received", "judgment due", "confirmation to", "sent to the complainant",
						"verified by", "accepted", ">sent", "message received"} {
						if strings.Contains(html, english) {
							t.Errorf("the Dutch case file says %q", english)
						}
					}
				}
				for _, bad := range []string{"<script", "src=", "href=", "<link", "@import", "url(", "<iframe", "<img"} {
					if strings.Contains(html, bad) {
						t.Errorf("the case file is not self-contained and inert: it holds %q", bad)
					}
				}
				if !hasEntry(h.timeline(ref), workflow.EventManagerRequest, "done: #") {
					t.Errorf("the request is not on the case's timeline")
				}
				if n := len(h.sentTo("bso@example.nl")); n != 2 {
					t.Errorf("the parent got %d mails, want the confirmation and Anna's answer only", n)
				}
			})
		})
	}
}

func pick(lang, nl, en string) string {
	if lang == "en" {
		return en
	}
	return nl
}

func TestManagerRequestsThatAreRefused(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		casefile := pick("#dossier ", "#casefile ")
		ref, digest := bsoCaseWithDigest(t, h)
		rups := openCaseAt(t, h, time.Date(2026, 12, 1, 9, 0, 0, 0, amsterdam), "Ouder Rups <rups@example.nl>", "KDV De Rups")

		// Not her location, an unknown reference: each line answered.
		answer := ilseReplies(t, h, casefile+rups+"\n"+casefile+"KL-2026-0999", digest)
		if len(attachments(t, answer)) != 0 {
			t.Errorf("a refused request came with an attachment")
		}
		for _, want := range []string{pick("Niet uitgevoerd", "Not done"),
			pick("Klacht "+rups+" hoort niet bij jouw locaties (BSO De Springplank)", "Case "+rups+" is not one of your locations' (BSO De Springplank)"),
			pick("Er is geen klacht met nummer KL-2026-0999", "There is no case KL-2026-0999")} {
			if !strings.Contains(answer.msg.Subject()+strings.Join(strings.Fields(answer.text), " "), want) {
				t.Errorf("the refusal lacks %q:\n%s\n%s", want, answer.msg.Subject(), answer.text)
			}
		}
		if strings.Contains(answer.text, "Er ging iets mis") || strings.Contains(answer.text, "rups@example.nl") {
			t.Errorf("the refusal shows content of the case:\n%s", answer.text)
		}
		if !hasEntry(h.timeline(rups), workflow.EventManagerRequest, "refused (not_yours): "+casefile+rups) {
			t.Errorf("the refused request is not on the timeline of %s", rups)
		}

		// A fresh message in her name, not answering our mail and without
		// DMARC: nothing is done, and she is told so.
		h.deliver(rawMail(mailOpts{from: ilse, subject: "Dossier graag", body: casefile + ref + "\n"}))
		h.poll()
		h.flush()
		answer = lastTo(t, h, "ilse.kramer@vlinder.example")
		if len(attachments(t, answer)) != 0 || !strings.Contains(answer.msg.Subject(), pick("niet geverifieerd", "not verified")) ||
			!strings.Contains(answer.text, pick("We hebben NIETS gedaan met je bericht", "We did NOTHING with your message")) {
			t.Errorf("an unverified request was not refused clearly:\n%s\n%s", answer.msg.Subject(), answer.text)
		}
		if !hasEntry(h.timeline(ref), workflow.EventManagerRequest, "could not be verified") {
			t.Errorf("the unverified request is not on the timeline of %s", ref)
		}
		if n := h.countRows("cases", ""); n != 2 {
			t.Errorf("%d cases: a manager's message opened one", n)
		}
	})
}

// A manager assigns a case of her location and leaves a note on it; both
// requests are on the case's timeline, which the case file she asks for
// next shows her.
func TestManagerAssignsAndNotesOnTheirCase(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		ref, digest := bsoCaseWithDigest(t, h)
		assign, note := pick("#toewijzen ", "#assign ")+ref+" marco.bos@vlinder.example", pick("#intern ", "#internal ")+ref
		answer := ilseReplies(t, h, assign+"\n"+note+"\n\n"+pick("Bel de ouder vandaag nog even op.", "Please call the parent today."), digest)
		if c := h.caseByRef(ref); c.Assignee != "marco.bos@vlinder.example" {
			t.Errorf("assignee %q, want Marco", c.Assignee)
		}
		text := strings.Join(strings.Fields(answer.text), " ")
		for _, want := range []string{pick("Gedaan", "Done") + ": " + assign,
			pick(ref+" is toegewezen aan Marco Bos <marco.bos@vlinder.example>", ref+" is now assigned to Marco Bos <marco.bos@vlinder.example>"),
			pick("Je notitie staat in het dossier van "+ref, "Your note is in the case file of "+ref)} {
			if !strings.Contains(text, want) {
				t.Errorf("the answer lacks %q:\n%s", want, answer.text)
			}
		}
		said := pick("Bel de ouder vandaag nog even op.", "Please call the parent today.")
		tl := h.timeline(ref)
		if !hasEntry(tl, workflow.EventNote, said) || !hasEntry(tl, "assignee", "marco.bos") {
			t.Errorf("the note or the assignment is not on the timeline")
		}
		for _, req := range []string{"done: " + assign, "done: " + note} {
			if !hasEntry(tl, workflow.EventManagerRequest, req) {
				t.Errorf("the request %q is not on the case's timeline", req)
			}
		}
		marco := lastTo(t, h, "marco.bos@vlinder.example")
		if !strings.Contains(marco.text, said) {
			t.Errorf("the handlers do not see the manager's message:\n%s", marco.text)
		}
		for _, m := range h.sentTo("bso@example.nl") {
			if strings.Contains(m.text, said) {
				t.Errorf("the manager's note reached the parent")
			}
		}
		// The case file she asks for next shows her requests and her note.
		file := attachments(t, ilseReplies(t, h, pick("#dossier ", "#casefile ")+ref, digest))
		if len(file) != 1 {
			t.Fatalf("%d attachments to the #dossier answer, want the case file", len(file))
		}
		for _, want := range []string{assign, note, said} {
			if !strings.Contains(string(file[0].Data), want) {
				t.Errorf("the case file does not show %q", want)
			}
		}
	})
}

// A manager's words without commands: on a case (her answer to the
// deadline notice) they reach the handlers, never the parent; to the
// digest, she is told what she can write, and no case is opened.
func TestManagerWritesWithoutCommands(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		ref, digest := bsoCaseWithDigest(t, h)
		answer := ilseReplies(t, h, pick("Wat moet ik hiermee?", "What should I do with this?"), digest)
		if !strings.HasPrefix(answer.msg.Subject(), pick("Geen opdracht gevonden", "No command found")) ||
			!strings.Contains(answer.text, pick("#dossier", "#casefile")+" KL-2026-0003") {
			t.Errorf("Ilse's plain reply to the digest got:\n%s\n%s", answer.msg.Subject(), answer.text)
		}
		if n := h.countRows("cases", ""); n != 1 {
			t.Errorf("%d cases: the manager's reply opened one", n)
		}

		h.at(time.Date(2027, 1, 12, 9, 0, 0, 0, amsterdam)) // the six weeks have passed
		var notice sentMail
		for _, m := range h.sentTo("ilse.kramer@vlinder.example") {
			if strings.Contains(m.msg.Subject(), pick("Termijn verstreken", "Term passed")) {
				notice = m
			}
		}
		if notice.msg == nil {
			t.Fatal("Ilse got no deadline notice")
		}
		said := pick("Ik spreek Anna morgen over deze klacht.", "I will talk to Anna about this complaint tomorrow.")
		toParent, toIlse := len(h.sentTo("bso@example.nl")), len(h.sentTo("ilse.kramer@vlinder.example"))
		ilseReplies(t, h, said, notice)
		if !strings.Contains(lastTo(t, h, "anna.devries@vlinder.example").text, said) {
			t.Errorf("the handler did not get the manager's words")
		}
		if n := len(h.sentTo("bso@example.nl")); n != toParent {
			t.Errorf("the parent got %d more mails after the manager wrote", n-toParent)
		}
		if n := len(h.sentTo("ilse.kramer@vlinder.example")); n != toIlse {
			t.Errorf("the manager got %d answers to her words, want none", n-toIlse)
		}
		if h.countRows("participants", "email = ?", "ilse.kramer@vlinder.example") != 0 {
			t.Errorf("the manager became a participant of %s", ref)
		}
	})
}
