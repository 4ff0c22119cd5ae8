package workflow

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/complaintd/complaintd/internal/testcorpus"
	"github.com/complaintd/complaintd/mailbox"
)

// The corpus tests run the classifier and the reply extractor over the
// shared message corpus (corpus/README.md and corpus/nl/README.md).

// corpusRoot finds the shared message corpus (internal/testcorpus).
func corpusRoot(tb testing.TB) string { return testcorpus.Dir(tb) }

func readCorpusFile(tb testing.TB, root, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func parseCorpusFile(tb testing.TB, root, rel string) *mailbox.Message {
	tb.Helper()
	m, err := mailbox.Parse(readCorpusFile(tb, root, rel))
	if err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
	return m
}

// corpusExpectations reads the Expect column of the corpus README tables
// (one table per folder, under a "## folder/" heading) and the Kind column
// of nl/README.md: path relative to the corpus → expectation.
func corpusExpectations(tb testing.TB, root string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	read := func(readme, folder, column string) {
		section, col := folder, -1
		for line := range strings.Lines(string(readCorpusFile(tb, root, readme))) {
			line = strings.TrimSpace(line)
			if h, ok := strings.CutPrefix(line, "## "); ok {
				section, col = strings.TrimSpace(h), -1
				if folder != "" {
					section = folder
				}
				continue
			}
			if !strings.HasPrefix(line, "|") || !strings.HasSuffix(section, "/") {
				continue
			}
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			if cells[0] == "File" {
				col = slices.Index(cells, column)
				continue
			}
			if col < 0 || col >= len(cells) || !strings.HasPrefix(cells[0], "`") {
				continue
			}
			name := strings.Trim(cells[0], "`")
			if fields := strings.Fields(cells[col]); len(fields) > 0 {
				out[section+name] = fields[0]
			}
		}
	}
	read("README.md", "", "Expect")
	read("nl/README.md", "nl/", "Kind")
	return out
}

// corpusMessages lists the message files of the corpus: every file in its
// folders but the READMEs, licences and expected texts.
func corpusMessages(tb testing.TB, root string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && rel == "LICENSES":
			return filepath.SkipDir
		case d.IsDir(), strings.HasPrefix(d.Name(), "."), d.Name() == "README.md", strings.HasSuffix(d.Name(), ".expected.txt"):
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// corpusIdentity is the organisation of corpus/nl/README.md.
var corpusIdentity = testIdentity

// failedBounces holds, for every corpus bounce whose Expect is
// bounce-failed, the failed address (read from the report by hand) and the
// Message-ID of the returned message where the file holds one that the
// parser exposes; why not, otherwise.
var failedBounces = map[string]struct{ recipient, returnedID, noID string }{
	"bpar-non-autoreply.msg":               {"hbsdpphvfex@blackwebportal.com", "200607250935.k6P9Zdos034419@bacchus.thegestalt.org", ""},
	"cpython-msg_16.txt":                   {"jangel1@cougar.noc.ucla.edu", "002001c144a6$8752e060$56104586@oxy.edu", ""},
	"sisimai-lhost-amazonses-05.eml":       {"bounce@simulator.amazonses.com", "01010157b3c0c026-110cf920-4be1-4c36-87c0-1f48d0cc6639-000000@us-west-2.amazonses.com", ""},
	"sisimai-lhost-amazonses-09.eml":       {"bounce@simulator.amazonses.com", "", "the SES notification has no commonHeaders.messageId"},
	"sisimai-lhost-amazonworkmail-01.eml":  {"kijitora@example.jp", "000001523f1865dd-0dbfd06e-bfce-4637-b049-3318ea42f98a-000000@us-west-2.amazonses.com", ""},
	"sisimai-lhost-apachejames-01.eml":     {"000000000000@vtext.example.com", "00000000000000.00000.qmail@example.com", ""}, // the report's In-Reply-To
	"sisimai-lhost-courier-01.eml":         {"kijitora@example.co.jp", "", "the returned header part has no Message-ID"},
	"sisimai-lhost-domino-01.eml":          {"kijitora@example.jp", "", "only the original's Subject is quoted"},
	"sisimai-lhost-exchange2003-01.eml":    {"kijitora@example.jp", "", "only To, Subject and Sent of the original are quoted"},
	"sisimai-lhost-exchange2007-01.eml":    {"mikeneko@example.co.jp", "", "the returned header part has no Message-ID"},
	"sisimai-lhost-exchange2007-06.eml":    {"transports@agglo-saumur.fr", "1513177790.ha3dsljxgizc2mjrgq2dkobx@mb.newsletter-autos.fr", ""},
	"sisimai-lhost-exim-01.eml":            {"kijitora@example.ed.jp", "E1P1ce6-000Egt-GZ@e1.example.org", ""},
	"sisimai-lhost-exim-43.eml":            {"kijitora@example.net", "neko222-nyaaan-22@neko.example.com", ""},
	"sisimai-lhost-gmail-01.eml":           {"userunknown@example.jp", "D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com", ""},
	"sisimai-lhost-googleworkspace-01.eml": {"neko-nyaan-cat-meeting@google-groups.example.com", "CAByYQsF5qdTf_h-1AAVPW0RgR1YN+LE=+0Uv9LpQ4aA_myPtCw@mail.gmail.com", ""},
	"sisimai-lhost-kddi-01.eml":            {"kijitora@x0000000000000.dion.ne.jp", "2013000000000000@example.jp", ""},
	"sisimai-lhost-mailru-01.eml":          {"kijitora@example.jp", "8F3CE2D8-D60E-48C3-B9AF-BED628EE2CA5@mail.example.ru", ""},
	"sisimai-lhost-office365-06.eml":       {"neko@libsisimai.org", "SLXP216MB03812EA2935A3C31767F16B7A96B0@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM", ""},
	"sisimai-lhost-office365-09.eml":       {"azumakuniyuki@example.ne.jp", "SLXP216MB0381A2BCD997D05F53CDB50BA9220@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM", ""},
	"sisimai-lhost-office365-13.eml":       {"kijitora-nyaan@neko.kyoto.example.jp", "", "the returned header part has no Message-ID"},
	"sisimai-lhost-postfix-04.eml":         {"kijitora@example.co.jp", "A8F82EDD-E518-4F5C-8C70-BC4EFF24AB9F@example.ne.jp", ""},
	"sisimai-lhost-postfix-06.eml":         {"kijitora@neko.example.jp", "20141024104625.9C81E2203D@vagrant-centos65.vagrantup.com", ""},
	"sisimai-lhost-postfix-49.eml":         {"kijitora-neko-nyaan@ntt.example.ne.jp", "1409050600.12984636501178305590.JavaMail.root@mz-cb000p.noc-kyoto2jo.ocn.ad.jp", ""},
	"sisimai-lhost-postfix-63.eml":         {"neko@nyaaan.example.org", "BA77602D-7E1E-4C1B-92C9-4A2324E3E141@example.jp", ""},
	"sisimai-lhost-postfix-70.eml":         {"kijitora@google.example.com", "20201113004243.AF578C0196A@smtp.example.jp", ""},
	"sisimai-lhost-qmail-01.eml":           {"kijitora@example.ne.jp", "000000000.9999999999999.JavaMail.postmaster@mailhub", ""},
	"sisimai-lhost-qmail-20.eml":           {"pseudo-local-part-of-each-esp@gmail.com", "20240626062058.58879.qmail@email.example.jp", ""},
	"sisimai-lhost-receivingses-04.eml":    {"mailboxfull@neko.example.jp", "0D92F8BF-DD26-4CE5-8977-3609F070E0DD@example.co.jp", ""},
	"sisimai-lhost-sendmail-01.eml":        {"userunknown@bouncehammer.jp", "E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org", ""},
	"sisimai-lhost-sendmail-06.eml":        {"kijitora@example.org", "201204290000.y00000000000000@e.example.com", ""},
	"sisimai-lhost-sendmail-25.eml":        {"\U0001f408\U0001f408@example.org", "D69C17C3-6073-4B65-BD2C-52F3AE169C0F@example.jp", ""}, // RFC 2047 in the DSN, decoded
	"sisimai-lhost-v5sendmail-01.eml":      {"kijitora@example.com", "", "the returned header has no Message-ID"},
	"sisimai-lhost-x6-01.eml":              {"kijitora@nyaan.example.org", "", "its Message-ID is in a text/plain attachment (mailheaders-….txt), not a header part"},
	"sisimai-lhost-yahoo-01.eml":           {"kijitora@example.org", "6AE6249A-E7A8-4980-862C-F499F6B8E7C5@y.example.co.jp", ""},
	"sisimai-rb-issue-368-bug.eml":         {"xxxx@yyyyyy.net", "68e0b7e3615cd_1dc7010592ed@7cf4d87f87-9r5w2.mail", ""},
	"sisimai-rfc3464-04.eml":               {"kijitora@mailx-53.neko.example.edu", "00000000000.000000@mx4.example.co.jp", ""},
	"sisimai-rhost-google-05.eml":          {"kijitora@google.example.com", "qbddfL3NB0z0D2Ld@smtp-gw1.example.jp", ""},
	"sisimai-rhost-mimecast-01.eml":        {"sabatora@example.com", "7B0s8rbG08zYDdPt.WaOHIQht053802@NEKO-NYAAN-22.LOCAL", ""},
	"sisimai-rhost-outlook-01.eml":         {"kijitora@example.jp", "BLU436-SMTP6645ECA6E7FEFFE86D040BBA770@phx.gbl", ""},
	"sisimai-rhost-yahooinc-02.eml":        {"kijitora@y.example.ca", "9UK8P757b8z3ZQM@u1.em.example.jp", ""},
}

// TestCorpusClassify classifies every full message of the corpus and
// checks it against the Expect column of corpus/README.md and the Kind
// column of corpus/nl/README.md.
func TestCorpusClassify(t *testing.T) {
	root := corpusRoot(t)
	expect := corpusExpectations(t, root)
	files := corpusMessages(t, root)
	for rel := range expect {
		if !slices.Contains(files, rel) {
			t.Errorf("README lists %s, which is not in the corpus", rel)
		}
	}
	counts := map[string]int{}
	failedSeen := map[string]bool{}
	for _, rel := range files {
		want, ok := expect[rel]
		if !ok {
			t.Errorf("%s: no row in the README tables", rel)
			continue
		}
		if strings.HasPrefix(filepath.Base(rel), "erp-") {
			continue // a body without header: nothing to classify
		}
		counts[want]++
		t.Run(rel, func(t *testing.T) {
			c := classify(parseCorpusFile(t, root, rel), corpusIdentity)
			t.Logf("%s (%s): %s %s %q recipients %q ids %q", rel, want, c.Class, c.Outcome, c.Reason, c.Recipients, c.OriginalIDs)
			switch want {
			case "bounce-failed":
				checkBounce(t, c, OutcomeFailed)
				fb, ok := failedBounces[filepath.Base(rel)]
				if !ok {
					t.Fatalf("%s is not in failedBounces", rel)
				}
				failedSeen[filepath.Base(rel)] = true
				if !slices.Contains(c.Recipients, fb.recipient) {
					t.Errorf("Recipients %q lack %q", c.Recipients, fb.recipient)
				}
				if fb.returnedID != "" && !slices.Contains(c.OriginalIDs, fb.returnedID) {
					t.Errorf("OriginalIDs %q lack %q", c.OriginalIDs, fb.returnedID)
				}
			case "bounce-delayed":
				checkBounce(t, c, OutcomeDelayed)
			case "dsn-success":
				checkBounce(t, c, OutcomeDelivered)
			case "autoreply":
				if c.Class != ClassAutoReply || c.Reason == "" {
					t.Errorf("Class %q (%s); want %q", c.Class, c.Reason, ClassAutoReply)
				}
			case "reply", "not-bounce", "complaint", "staff-reply", "forward":
				if c.Class != ClassHuman {
					t.Errorf("Class %q (%s); want %q", c.Class, c.Reason, ClassHuman)
				}
			case "mime":
				// Damaged MIME: only that classifying it works.
				if c.Class == "" || c.Class == ClassOwn {
					t.Errorf("Class %q", c.Class)
				}
			default:
				t.Fatalf("unknown expectation %q", want)
			}
		})
	}
	for name := range failedBounces {
		if !failedSeen[name] {
			t.Errorf("failedBounces lists %s, which the README does not expect to be a failed bounce", name)
		}
	}
	t.Logf("classified: %v", counts)
}

func checkBounce(t *testing.T, c Classification, outcome string) {
	t.Helper()
	if c.Class != ClassBounce || c.Outcome != outcome || c.Reason == "" {
		t.Errorf("Class %q Outcome %q (%s); want %q %q", c.Class, c.Outcome, c.Reason, ClassBounce, outcome)
	}
	if len(c.Recipients) == 0 {
		t.Error("no Recipients")
	}
	for _, r := range c.Recipients {
		if r != strings.ToLower(r) {
			t.Errorf("recipient %q is not lower-case", r)
		}
	}
}

// upstreamContradictions are the two upstream expectations that contradict
// the rules of corpus/nl/README.md ("no -- signature, no Verstuurd vanaf
// mijn iPhone"), which complaintd follows. talon's extractor removes
// quotations only: it keeps signatures, and its iPhone fixture keeps the
// "Sent from my iPhone" line, while GitHub's email_reply_parser
// (erp-email_iPhone, erp-email_BlackBerry) and nl/iphone-reply remove the
// mobile line. For these files the test expects the upstream text without
// the signature, and checks that the upstream text still is that plus the
// signature, so a change upstream is noticed.
var upstreamContradictions = map[string]struct{ want, signature string }{
	"replies/talon-iphone.expected.txt":  {"Hello", "Sent from my iPhone"},
	"replies/talon-sparrow.expected.txt": {"Hello", "--\nxxx\nSent with Sparrow (http://www.sparrowmailapp.com/?sig)"},
}

// TestCorpusNewText extracts the new text of every corpus message with an
// expected text (replies/ and nl/) and compares after the normalisation of
// corpus/nl/README.md.
func TestCorpusNewText(t *testing.T) {
	root := corpusRoot(t)
	files := corpusMessages(t, root)
	var expected []string
	for _, dir := range []string{"replies", "nl"} {
		matches, err := filepath.Glob(filepath.Join(root, dir, "*.expected.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			expected = append(expected, dir+"/"+filepath.Base(m))
		}
	}
	// corpus/README.md lists 21 in replies/. Its folder table announces 6
	// in nl/, but nl/README.md names 5 (one per reply, staff reply and
	// forward) and 5 are there.
	if len(expected) < 26 {
		t.Fatalf("only %d expected texts in the corpus; want 21 in replies/ and 5 in nl/", len(expected))
	}
	passed := 0
	for _, exp := range expected {
		stem := strings.TrimSuffix(exp, ".expected.txt")
		i := slices.IndexFunc(files, func(f string) bool { return strings.TrimSuffix(f, filepath.Ext(f)) == stem })
		if i < 0 {
			t.Errorf("%s: no message file", exp)
			continue
		}
		rel := files[i]
		t.Run(rel, func(t *testing.T) {
			want := normaliseText(string(readCorpusFile(t, root, exp)))
			if c, ok := upstreamContradictions[exp]; ok {
				if upstream := normaliseText(c.want + "\n\n" + c.signature); want != upstream {
					t.Fatalf("upstream expectation changed: %q, was %q", want, upstream)
				}
				want = c.want
			}
			got := normaliseText(newText(corpusText(t, root, rel)))
			if got != want {
				t.Errorf("newText:\n%s\n---- want:\n%s", got, want)
				return
			}
			passed++
		})
	}
	t.Logf("%d of %d expected texts match (%d with the nl/README.md rule instead of a contradicting upstream one)",
		passed, len(expected), len(upstreamContradictions))
}

// corpusText is the text a corpus message gives the extractor: the file
// itself for the body-only erp-* files, else Text() of the parsed message.
func corpusText(t *testing.T, root, rel string) string {
	t.Helper()
	if strings.HasPrefix(filepath.Base(rel), "erp-") {
		return strings.ReplaceAll(string(readCorpusFile(t, root, rel)), "\r\n", "\n")
	}
	return parseCorpusFile(t, root, rel).Text()
}

// TestCorpusNewTextAll runs the extractor over every reply and Dutch
// message, expected text or not: it never returns nothing for a message
// with text, and never invents a line.
func TestCorpusNewTextAll(t *testing.T) {
	root := corpusRoot(t)
	n := 0
	for _, rel := range corpusMessages(t, root) {
		if !strings.HasPrefix(rel, "replies/") && !strings.HasPrefix(rel, "nl/") {
			continue
		}
		n++
		text := corpusText(t, root, rel)
		got := newText(text)
		if strings.TrimSpace(text) != "" && strings.TrimSpace(got) == "" {
			t.Errorf("%s: nothing extracted", rel)
		}
		var lines []string
		for l := range strings.Lines(text) {
			lines = append(lines, strings.TrimRightFunc(l, unicode.IsSpace))
		}
		for l := range strings.Lines(got) {
			if !slices.Contains(lines, strings.TrimRightFunc(l, unicode.IsSpace)) {
				t.Errorf("%s: line %q is not in the text", rel, l)
			}
		}
	}
	// Commands above the quote survive; the ones in the quoted
	// notification do not.
	staff := newText(corpusText(t, root, "nl/outlook-staff-reply-oordeel.eml"))
	if !strings.HasPrefix(staff, "#oordeel\n") || strings.Contains(staff, "#intern") || strings.Contains(staff, "#status") {
		t.Errorf("staff reply: %q", staff)
	}
	t.Logf("%d messages extracted", n)
}

var blankRun = regexp.MustCompile(`\n{3,}`)

// normaliseText is the normalise of corpus/nl/README.md: CRLF to LF,
// trailing white space (U+00A0 included) off every line, runs of empty
// lines collapsed into one, no empty lines at either end.
func normaliseText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(blankRun.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"), "\n")
}
