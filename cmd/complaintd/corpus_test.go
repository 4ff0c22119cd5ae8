package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/internal/testcorpus"
	"github.com/complaintd/complaintd/store/storetest"
	"github.com/complaintd/complaintd/workflow"
)

// corpusDir finds the shared corpus (internal/testcorpus).
func corpusDir(t *testing.T) string { return testcorpus.Dir(t) }

func globCorpus(t *testing.T, dir, sub string) []string {
	t.Helper()
	var out []string
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".expected.txt") {
			out = append(out, filepath.Join(dir, sub, e.Name()))
		}
	}
	return out
}

// readCorpus reads a corpus file as a mail server would store it: without a
// leading mbox "From " line, and only the first of concatenated messages.
func readCorpus(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(b), "From ") {
		b = b[strings.IndexByte(string(b), '\n')+1:]
		if i := strings.Index(string(b), "\nFrom "); i >= 0 {
			b = b[:i+1]
		}
	}
	return b
}

// Weak signs never swallow a complaint (issue 8): a first message whose
// only signs of automatic mail are its subject or a noreply-ish sender
// opens a case and is confirmed; the same signs on a message answering
// ours make it an automatic reply, recorded and not answered.
func TestWeakSignsOpenACaseUnlessTheyAnswerUs(t *testing.T) {
	t.Parallel()
	const portal = "Ouderportaal <no-reply@ouderportaal.example.nl>"
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		h.deliver(rawMail(mailOpts{
			from: portal, subject: "Niet aanwezig bij de overdracht", id: "weak-1@ouderportaal.example.nl",
			body: "Bij het ophalen van Daan was er geen leidster bij de overdracht aanwezig.\n",
		}))
		h.deliver(rawMail(mailOpts{
			from: "Sanne Jansen <sanne.jansen@example.nl>", subject: "Afwezig: de mentor van Daan", id: "weak-2@example.nl",
			body: "De mentor van Daan is al drie weken afwezig en niemand heeft ons iets gezegd.\n",
		}))
		h.poll()
		h.flush()
		if n := len(h.cases()); n != 2 {
			t.Fatalf("%d cases; want one per complaint", n)
		}
		conf := h.sentTo("no-reply@ouderportaal.example.nl")
		if len(conf) != 1 || len(h.sentTo("sanne.jansen@example.nl")) != 1 {
			t.Fatalf("confirmations: %d to the portal, %d to Sanne; want 1 each", len(conf), len(h.sentTo("sanne.jansen@example.nl")))
		}
		before := len(h.sent())
		h.deliver(rawMail(mailOpts{
			from: portal, subject: "Niet aanwezig bij de overdracht", id: "weak-3@ouderportaal.example.nl",
			inReplyTo: conf[0].msg.MessageID(), body: "Dit adres wordt niet gelezen.\n",
		}))
		h.poll()
		h.flush()
		if n := len(h.sent()); n != before {
			t.Errorf("%d mails sent in answer to a no-reply robot", n-before)
		}
		if n := len(h.cases()); n != 2 {
			t.Errorf("%d cases after the robot's answer; want 2", n)
		}
		ref := ""
		for _, c := range h.cases() {
			if c.ComplainantEmail == "no-reply@ouderportaal.example.nl" {
				ref = c.Reference
			}
		}
		if !hasEntry(h.timeline(ref), workflow.EventAutoReply, "Niet aanwezig bij de overdracht") {
			t.Errorf("the answer is not recorded as an automatic reply on %s: %+v", ref, h.timeline(ref))
		}
	})
}

// Every bounce and machine message of the project's corpus
// (testdata/corpus/{bounces,machine}, issue 12), delivered to the inbox
// of a running daemon: none opens a case or gets an answer. The files
// whose NAME.expect says "class: human" (spam without any sign of
// automatic mail) are left out: for complaintd they are a person's.
func TestProjectCorpusMachinesOpenNoCase(t *testing.T) {
	t.Parallel()
	var files []string
	for _, sub := range []string{"bounces", "machine"} {
		expects, err := filepath.Glob(filepath.Join("..", "..", "testdata", "corpus", sub, "*.expect"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range expects {
			b, err := os.ReadFile(e)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "class: human\n") {
				files = append(files, strings.TrimSuffix(e, ".expect"))
			}
		}
	}
	if len(files) < 150 {
		t.Fatalf("only %d machine messages in testdata/corpus", len(files))
	}
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		for _, f := range files {
			h.deliver(readCorpus(t, f))
		}
		h.poll()
		h.flush()
		for _, c := range h.cases() {
			t.Errorf("%s opened by %s: %s", c.Reference, c.ComplainantEmail, c.Subject)
		}
		if n := len(h.sent()); n != 0 {
			t.Errorf("%d mails sent in answer to machines", n)
		}
		if n := h.countRows("ledger", "state = 'ignored'"); n != len(files) {
			t.Errorf("%d of %d machine messages ignored", n, len(files))
		}
	})
}
