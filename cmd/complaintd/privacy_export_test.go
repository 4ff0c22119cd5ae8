package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/workflow"
)

// Access (AVG art. 15): the export holds the complaint, the timeline and
// the organisation's answers, as HTML and JSON only the operator can read,
// with other people's names and addresses marked for review; the parent's
// text is shown, never run. The request is in the managers' digest, in
// their language, until it is marked done. Every showing is in the access
// log that cases show prints.
func TestPrivacyExportForReviewAndTheMonthToAnswer(t *testing.T) {
	t.Parallel()
	eachLanguage(t, func(t *testing.T, h *harness, pick func(nl, en string) string) {
		config := writeHarnessConfig(t, h.cfg)
		h.deliver(rawMail(mailOpts{from: sanne, subject: "Klacht over het ophalen van Noah", id: "x1@mail.example.nl",
			body: "Noah is meegegeven aan iemand die niet op de ophaallijst staat.\nDe leidster zei <b>dat het mocht</b>.\n"}))
		h.poll()
		h.flush()
		annaAnswers(t, h, "Beste Sanne, we zoeken uit hoe dit kon gebeuren.")
		annaAnswers(t, h, pick("#betreft Mirjam Visser", "#concerns Mirjam Visser"))
		// A message without a sender is set aside, in no case; it names her.
		h.deliver([]byte("To: klachten@vlinder.example\r\nCc: Sanne Jansen <Sanne.Jansen@example.nl>\r\nSubject: Noah\r\n" +
			"Message-ID: <nofrom@mail.example.nl>\r\nDate: Thu, 19 Nov 2026 21:40:00 +0100\r\n\r\nNog iets over Noah.\r\n"))
		h.poll()
		dir := t.TempDir()
		out, _, err := run(t, h.ctx, "privacy", "export", "-config", config, "-email", "sanne.jansen@example.nl", "-o", dir, "-received", "2026-11-20")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"access request 1 of sanne.jansen@example.nl: 1 case(s)", "REVIEW before handing it over",
			"the answer is due by 2026-12-20", "privacy done -id 1", "1 quarantined message(s) name the address"} {
			if !strings.Contains(out, want) {
				t.Errorf("privacy export lacks %q:\n%s", want, out)
			}
		}
		page := readPrivate(t, filepath.Join(dir, "privacy-request-1.html"))
		for _, want := range []string{"Noah is meegegeven aan iemand", "&lt;b&gt;dat het mocht&lt;/b&gt;", "KL-2026-0001",
			`<mark title="another person: review before handing over">anna.devries@vlinder.example</mark>`,
			"we zoeken uit hoe dit kon gebeuren", "Review before handing over"} {
			if !strings.Contains(page, want) {
				t.Errorf("the HTML copy lacks %q", want)
			}
		}
		if strings.Contains(page, "<b>dat") {
			t.Error("the parent's HTML reached the copy unescaped")
		}
		var f exportFile
		if err := json.Unmarshal([]byte(readPrivate(t, filepath.Join(dir, "privacy-request-1.json"))), &f); err != nil {
			t.Fatal(err)
		}
		if f.Person != "sanne.jansen@example.nl" || len(f.Cases) != 1 || f.AnswerDueOn != "2026-12-20" || len(f.Quarantined) != 1 {
			t.Fatalf("JSON copy: %+v", f)
		}
		var complaint, answer *exportMessage
		for i, m := range f.Cases[0].Messages {
			if strings.Contains(m.Text, "Noah is meegegeven") && m.Direction == workflow.DirIn && m.From == "sanne.jansen@example.nl" {
				complaint = &f.Cases[0].Messages[i]
			}
			if strings.Contains(m.Text, "we zoeken uit") && m.Direction == workflow.DirOut && m.To == "sanne.jansen@example.nl" {
				answer = &f.Cases[0].Messages[i]
			}
		}
		if complaint == nil || answer == nil || len(f.Cases[0].Timeline) == 0 {
			t.Fatalf("the JSON copy lacks the complaint, the answer or the timeline: %+v", f.Cases[0])
		}
		if !contains(f.Review, "anna.devries@vlinder.example") || !contains(f.Review, "Anna de Vries") || !contains(f.Review, "Mirjam Visser") || contains(f.Review, "sanne.jansen@example.nl") {
			t.Errorf("marked for review: %v", f.Review)
		}

		m, _ := h.c.wf.Manager("directie@vlinder.example")
		_, subject, text, err := h.c.wf.RenderDigest(h.ctx, m, time.Date(2026, 12, 18, 7, 30, 0, 0, amsterdam))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{pick("1 privacyverzoek", "1 privacy request")} {
			if !strings.Contains(subject, want) {
				t.Errorf("digest subject lacks %q: %s", want, subject)
			}
		}
		for _, want := range []string{pick("Privacyverzoeken (1)", "Privacy requests (1)"),
			pick("verzoek 1  inzage, ontvangen", "request 1  access, received"), pick("nog 2 dagen", "2 days left"),
			"complaintd privacy done -id"} {
			if !strings.Contains(text, want) {
				t.Errorf("digest lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "sanne.jansen") {
			t.Errorf("the digest names the person of a privacy request:\n%s", text)
		}
		out, _, err = run(t, h.ctx, "privacy", "requests", "-config", config)
		if err != nil || !strings.Contains(out, "sanne.jansen@example.nl") || !strings.Contains(out, "2026-12-20") {
			t.Errorf("privacy requests: %v\n%s", err, out)
		}
		if _, _, err := run(t, h.ctx, "privacy", "done", "-config", config, "-id", "1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := run(t, h.ctx, "privacy", "done", "-config", config, "-id", "1"); err == nil || !strings.Contains(err.Error(), "done before") {
			t.Errorf("marking done twice: %v", err)
		}
		v, err := h.c.wf.BuildDigest(h.ctx, m, time.Date(2026, 12, 18, 7, 30, 0, 0, amsterdam))
		if err != nil || len(v.PrivacyRequests) != 0 {
			t.Errorf("a request marked done stays in the digest: %v %+v", err, v.PrivacyRequests)
		}
		out, _, err = run(t, h.ctx, "cases", "show", "-config", config, "KL-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		log := out[strings.Index(out, "access log"):]
		if !strings.Contains(log, "privacy export") || !strings.Contains(log, "cases show") {
			t.Errorf("the access log lacks the export or this showing:\n%s", log)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readPrivate reads a file that must be readable by its owner only.
func readPrivate(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600: it holds a complaint file", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
