package mailbox

import (
	"errors"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/complaintd/complaintd/internal/testcorpus"
)

// corpusUnparseable lists corpus messages for which ErrUnparseable is the
// expected result, with the reason. The body-only replies/erp-*.txt files
// are not messages and are not listed: for them only the absence of a panic
// is checked.
var corpusUnparseable = map[string]string{}

// corpusDir finds the shared message corpus (internal/testcorpus).
func corpusDir(tb testing.TB) string { return testcorpus.Dir(tb) }

func readCorpus(tb testing.TB, rel string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir(tb), filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func parseCorpus(tb testing.TB, rel string) *Message {
	tb.Helper()
	m, err := Parse(readCorpus(tb, rel))
	if err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
	return m
}

// TestCorpusParses parses every message of the corpus: no panic, and either
// a message whose texts are valid UTF-8 or an expected ErrUnparseable.
func TestCorpusParses(t *testing.T) {
	root := corpusDir(t)
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
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("corpus at %s has only %d message files", root, len(files))
	}
	var parsed, bodyOnly, unparseable int
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(raw)
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Parse panicked: %v", err)
			}
			if strings.HasPrefix(filepath.Base(rel), "erp-") {
				bodyOnly++ // a message body without header: any outcome but a panic
				return
			}
			if reason, expected := corpusUnparseable[rel]; expected || err != nil {
				unparseable++
				if !errors.Is(err, ErrUnparseable) || !expected {
					t.Fatalf("Parse error %v; expected unparseable: %v (%s)", err, expected, reason)
				}
				return
			}
			parsed++
			checkValidUTF8(t, m)
		})
	}
	t.Logf("%d messages parsed, %d unparseable, %d body-only files", parsed, unparseable, bodyOnly)
}

func checkValidUTF8(t *testing.T, m *Message) {
	t.Helper()
	check := func(what, s string) {
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8: %q", what, s)
		}
	}
	check("Subject", m.Subject())
	check("Text", m.Text())
	check("HTML", m.HTML())
	if strings.Contains(m.Text(), "\r") {
		t.Error("Text contains CR")
	}
	for _, list := range [][]string{m.InReplyTo(), m.References(), m.DeliveredTo(), m.Problems(), {m.MessageID()}} {
		for _, s := range list {
			check("id, trace or problem", s)
		}
	}
	for _, f := range [](func() []*mail.Address){m.From, m.Sender, m.ReplyTo, m.To, m.Cc} {
		for _, a := range f() {
			check("address name", a.Name)
			check("address", a.Address)
		}
	}
	for i := range m.AttachmentCount() {
		name, ct, _ := m.Attachment(i)
		check("attachment name", name)
		check("attachment type", ct)
	}
	headers := append([]textproto.MIMEHeader{m.Header()}, append(m.EmbeddedHeaders(), m.DeliveryStatus()...)...)
	for _, h := range headers {
		for k, vs := range h {
			for _, v := range vs {
				check("header "+k, v)
			}
		}
	}
}

func TestCorpusNL(t *testing.T) {
	t.Run("thunderbird pdf attachment", func(t *testing.T) {
		m := parseCorpus(t, "nl/thunderbird-complaint-injury-pdf.eml")
		if m.AttachmentCount() != 1 {
			t.Fatalf("AttachmentCount = %d; want 1", m.AttachmentCount())
		}
		name, ct, size := m.Attachment(0)
		if name != "foto\u2019s incident 12-11.pdf" || ct != "application/pdf" || size != 1336 {
			t.Errorf("Attachment = %q %q %d; want \"foto’s incident 12-11.pdf\" application/pdf 1336", name, ct, size)
		}
		// format=flowed joins the soft-broken lines.
		if !strings.Contains(m.Text(), "een klacht in over de manier waarop KDV De Rups is omgegaan met een ongeluk") {
			t.Errorf("flowed text not joined:\n%s", m.Text())
		}
		if m.ContentType() != "multipart/mixed" || m.TextFromHTML() {
			t.Errorf("ContentType %q TextFromHTML %v", m.ContentType(), m.TextFromHTML())
		}
	})
	t.Run("samsung html only", func(t *testing.T) {
		m := parseCorpus(t, "nl/samsung-html-only-joint-complaint.eml")
		if !m.TextFromHTML() || m.HTML() == "" {
			t.Errorf("TextFromHTML %v, HTML %d bytes", m.TextFromHTML(), len(m.HTML()))
		}
		if want := "Gezamenlijke klacht oudercommissie KDV De Rups \u2013 personele bezetting"; m.Subject() != want {
			t.Errorf("Subject = %q; want %q", m.Subject(), want)
		}
		lines := strings.Split(m.Text(), "\n")
		for _, prefix := range []string{"1. Op de groepen", "2. Groepen worden", "3. Ouders krijgen", "4. De vragen",
			"- per groep een vaste bezetting", "- ouders minimaal", "- een schriftelijke reactie", "Geachte klachtenfunctionaris,"} {
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) }) {
				t.Errorf("no line starts with %q in:\n%s", prefix, m.Text())
			}
		}
		if strings.Contains(m.Text(), "<") || strings.Contains(m.Text(), "\n\n\n") {
			t.Errorf("tags or double empty lines left:\n%s", m.Text())
		}
		if got := m.From(); len(got) != 1 || got[0].Address != "oudercommissie.derups@gmail.example" {
			t.Errorf("From = %v", got)
		}
	})
	t.Run("outlook windows-1252", func(t *testing.T) {
		m := parseCorpus(t, "nl/outlook-desktop-reply.eml")
		for _, want := range []string{"Amir volgens de medewerker \u2019s middags", "van \u00e9\u00e9n van de medewerkers"} {
			if !strings.Contains(m.Text(), want) {
				t.Errorf("Text lacks %q", want)
			}
		}
		if strings.ContainsRune(m.Text(), utf8.RuneError) {
			t.Error("Text holds replacement characters")
		}
	})
	t.Run("gmail threading", func(t *testing.T) {
		m := parseCorpus(t, "nl/gmail-reply.eml")
		if got, want := m.InReplyTo(), []string{"v1dg5ssddeyygderb3nrssu6ti@klachten.vlinder.example"}; !slices.Equal(got, want) {
			t.Errorf("InReplyTo = %q; want %q", got, want)
		}
		want := []string{"CAPYEg5gPoUy=0lBZF7-b1qg=41V9cFndXLEXUAMY4d9aE2Zn@mail.gmail.example", "v1dg5ssddeyygderb3nrssu6ti@klachten.vlinder.example"}
		if got := m.References(); !slices.Equal(got, want) {
			t.Errorf("References = %q; want %q", got, want)
		}
		if got := m.Cc(); len(got) != 1 || got[0].Name != "Thomas Jansen" {
			t.Errorf("Cc = %v", got)
		}
		if got := m.To(); len(got) != 1 || got[0].Address != "klachten+v17klfyylbeg3rhdsv5ucdrd6p@vlinder.example" {
			t.Errorf("To = %v", got)
		}
	})
	t.Run("iphone threading", func(t *testing.T) {
		m := parseCorpus(t, "nl/iphone-reply.eml")
		want := []string{"ccc58469-debc-424f-a222-17275a116587@ziggo.example", "v1cnc53bypi6czxuqmxgkgwxbk@klachten.vlinder.example", "v1psytdamfpb4xkumkzpf5esom@klachten.vlinder.example"}
		if got := m.References(); !slices.Equal(got, want) {
			t.Errorf("References = %q; want %q", got, want)
		}
	})
	t.Run("exchange autoreply", func(t *testing.T) {
		m := parseCorpus(t, "nl/exchange-online-autoreply.eml")
		if path, ok := m.ReturnPath(); path != "" || !ok {
			t.Errorf("ReturnPath = %q, %v; want \"\", true", path, ok)
		}
		if m.Header().Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted = %q", m.Header().Get("Auto-Submitted"))
		}
		if !strings.HasPrefix(m.Subject(), "Automatisch antwoord: [KL-2026-0042]") {
			t.Errorf("Subject = %q", m.Subject())
		}
	})
	t.Run("staff reply two authentication-results", func(t *testing.T) {
		m := parseCorpus(t, "nl/outlook-staff-reply-oordeel.eml")
		if got := m.Header()["Authentication-Results"]; len(got) != 2 || !strings.HasPrefix(got[0], "mx.vlinder.example;") {
			t.Errorf("Authentication-Results = %q; want two, the trusted one first", got)
		}
		if !strings.HasPrefix(m.Text(), "#oordeel\n") {
			t.Errorf("Text starts %q", m.Text()[:min(40, len(m.Text()))])
		}
	})
}

// TestCorpusExpectedText checks that the new text of every reply with an
// expected text stands at the top of Text(), after the normalisation
// nl/README.md prescribes: the charset, transfer encoding and format=flowed
// decoding must be exact for the reply extractor to have a chance.
func TestCorpusExpectedText(t *testing.T) {
	for _, name := range []string{"gmail-reply", "iphone-reply", "outlook-desktop-reply", "outlook-staff-reply-oordeel", "gmail-forward-complaint"} {
		t.Run(name, func(t *testing.T) {
			m := parseCorpus(t, "nl/"+name+".eml")
			want := string(readCorpus(t, "nl/"+name+".expected.txt"))
			if got := normaliseForCompare(m.Text()); !strings.HasPrefix(got, want) {
				t.Errorf("Text does not start with the expected text.\n got: %q\nwant: %q", got[:min(len(got), len(want)+40)], want)
			}
		})
	}
}

var blankRunRE = regexp.MustCompile(`\n{3,}`)

// normaliseForCompare is the normalise of nl/README.md.
func normaliseForCompare(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(blankRunRE.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"), "\n")
}

func TestCorpusBounces(t *testing.T) {
	for _, tc := range []struct {
		file, recipient, action, status, returnedID string
	}{
		{"bounces/sisimai-lhost-postfix-04.eml", "rfc822; kijitora@example.co.jp", "failed", "5.1.1", "<A8F82EDD-E518-4F5C-8C70-BC4EFF24AB9F@example.ne.jp>"},
		{"bounces/sisimai-lhost-exim-43.eml", "rfc822;kijitora@example.net", "failed", "5.0.0", "<neko222-nyaaan-22@neko.example.com>"},
		{"bounces/sisimai-lhost-office365-06.eml", "rfc822;neko@libsisimai.org", "failed", "5.4.312", "<SLXP216MB03812EA2935A3C31767F16B7A96B0@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM>"},
		{"bounces/sisimai-lhost-sendmail-01.eml", "RFC822; userunknown@bouncehammer.jp", "failed", "5.1.1", "<E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org>"},
		{"bounces/sisimai-lhost-outlook-06.eml", "rfc822;kijitora@example.com", "delayed", "4.4.7", ""},
		{"bounces/sisimai-lhost-opensmtpd-06.eml", "rfc822; nekochan@libsisimai.org", "delayed", "4.4.7", "<201612140903.uBE938DJ094645@nyaan.example.jp>"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := parseCorpus(t, tc.file)
			if tc.file != "bounces/sisimai-lhost-opensmtpd-06.eml" && (m.ContentType() != "multipart/report" || m.ReportType() != "delivery-status") {
				t.Errorf("ContentType %q ReportType %q", m.ContentType(), m.ReportType())
			}
			ds := m.DeliveryStatus()
			if len(ds) < 2 || ds[0].Get("Reporting-MTA") == "" {
				t.Fatalf("DeliveryStatus = %v", ds)
			}
			r := ds[1]
			if r.Get("Final-Recipient") != tc.recipient || r.Get("Action") != tc.action || r.Get("Status") != tc.status {
				t.Errorf("recipient fields = %v", r)
			}
			if tc.returnedID == "" {
				return
			}
			ids := []string{}
			for _, h := range m.EmbeddedHeaders() {
				ids = append(ids, h.Get("Message-Id"))
			}
			if !slices.Contains(ids, tc.returnedID) {
				t.Errorf("EmbeddedHeaders Message-Ids %q lack %q", ids, tc.returnedID)
			}
			if strings.TrimSpace(m.Text()) == "" {
				t.Error("no human-readable text")
			}
		})
	}
	t.Run("empty delivery-status part", func(t *testing.T) {
		m := parseCorpus(t, "bounces/sisimai-lhost-googleworkspace-01.eml")
		if m.DeliveryStatus() != nil || !strings.Contains(m.Text(), "Message not delivered") {
			t.Errorf("DeliveryStatus %v Text %q", m.DeliveryStatus(), m.Text())
		}
	})
	t.Run("upper-case media types", func(t *testing.T) {
		m := parseCorpus(t, "bounces/cpython-msg_16.txt")
		if ds := m.DeliveryStatus(); len(ds) != 2 || ds[1].Get("Action") != "failed" || len(m.EmbeddedHeaders()) != 1 {
			t.Errorf("DeliveryStatus %v, %d embedded", ds, len(m.EmbeddedHeaders()))
		}
	})
}

func TestCorpusCharsets(t *testing.T) {
	for _, tc := range []struct {
		file  string
		want  string
		class *unicode.RangeTable
	}{
		{"mime/rubymail-ks_c_5601-1987.eml", "스티해", unicode.Hangul},
		{"mime/rubymail-japanese_shift_jis.eml", "このメールはテスト用のメールです。", unicode.Hiragana},
		{"mime/enmime-chardet-success-big-5.raw", "顏是家訓", unicode.Han},
		{"mime/sisimai-is-not-bounce-01.eml", "", unicode.Hiragana},
		{"bounces/sisimai-lhost-kddi-01.eml", "メール", unicode.Katakana},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := parseCorpus(t, tc.file)
			if !strings.Contains(m.Text(), tc.want) || !strings.ContainsFunc(m.Text(), func(r rune) bool { return unicode.Is(tc.class, r) }) {
				t.Errorf("Text lacks %q:\n%s", tc.want, m.Text()[:min(300, len(m.Text()))])
			}
			if strings.ContainsRune(m.Text(), utf8.RuneError) {
				t.Error("Text holds replacement characters")
			}
		})
	}
	for file, want := range map[string]string{
		"mime/rubymail-invalid_subject_characters.eml":    "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
		"mime/rubymail-utf8_headers.eml":                  "Säying Hello",
		"bounces/sisimai-lhost-kddi-01.eml":               "メールエラー通知",
		"mime/rubymail-bad_encoded_subject.eml":           "TEST",
		"bounces/sisimai-lhost-office365-13.eml":          "Undeliverable: にゃーん",
		"autoreplies/bpar-polish-autoreply.msg":           "[Automatyczna odpowiedź] test",
		"mime/rubymail-japanese_attachment_long_name.eml": strings.Repeat("まみむめも", 10),
	} {
		if got := parseCorpus(t, file).Subject(); got != want {
			t.Errorf("%s: Subject = %q; want %q", file, got, want)
		}
	}
	m := parseCorpus(t, "mime/rubymail-invalid_subject_characters.eml")
	if got := m.From(); len(got) != 1 || got[0].Name != "Formação Frenetikpolis" {
		t.Errorf("From = %v", got)
	}
}

func TestCorpusAttachmentNames(t *testing.T) {
	for _, tc := range []struct {
		file        string
		name, ctype string
	}{
		{"mime/enmime-mime-unquoted-tspecials-param.raw", "Invoice_(302232133150612).pdf", "application/pdf"},
		{"mime/enmime-mime-bad-content-type.raw", "Invoice_302232133150612.pdf", "application/pdf"},
		{"mime/enmime-mime-bad-8bit-filename.raw", "管理.doc", "application/msword"},
		{"mime/enmime-bad-header-wrap.raw", "7DDA4_foo_9E5D72.zip", "application/x-zip-compressed"},
		{"mime/rubymail-attachment_with_quoted_filename.eml", "Eelanalüüsi päring.jpg", "image/jpeg"},
		{"mime/rubymail-japanese_attachment_long_name.eml", strings.Repeat("かきくけこ", 5) + ".txt", "text/plain"},
		{"mime/mailparser-malformed-017.eml", "image001.png", "image/png"},
		{"mime/mailparser-rfc-008.eml", "attached_email.eml", "message/rfc822"},
	} {
		m := parseCorpus(t, tc.file)
		if m.AttachmentCount() == 0 {
			t.Errorf("%s: no attachment", tc.file)
			continue
		}
		if name, ctype, _ := m.Attachment(0); name != tc.name || ctype != tc.ctype {
			t.Errorf("%s: Attachment = %q %q; want %q %q", tc.file, name, ctype, tc.name, tc.ctype)
		}
	}
	// RFC 2231 with a charset that does not fit its bytes (ISO-2022-JP
	// label, 8-bit %8a): best effort, but readable and valid.
	name, _, _ := parseCorpus(t, "mime/rubymail-attachment_with_encoded_name.eml").Attachment(0)
	if !strings.HasPrefix(name, "01 Quien Te Dij") || !strings.HasSuffix(name, "at. Pitbull.mp3") || !utf8.ValidString(name) {
		t.Errorf("encoded name = %q", name)
	}
}

func TestCorpusStructureDamage(t *testing.T) {
	for _, tc := range []struct {
		file, text  string
		attachments int
	}{
		{"mime/cpython-msg_35.txt", "counter to RFC 5322, there's no separating newline here", 0},
		{"mime/cpython-msg_15.txt", "Some removed test.", 1},
		{"mime/enmime-bad-final-boundary.raw", "A text section", 1},
		{"mime/enmime-multipart-wo-boundary.raw", "I'm  multipart message without boundary", 0},
		{"mime/enmime-epilogue-sample.raw", "", 1},
		{"mime/mailparser-malformed-019.eml", "Plain text body of the multipart fixture.", 0},
		{"bounces/sisimai-lhost-apachejames-01.eml", "", -1},
		{"mime/enmime-bad-header-start.raw", "A text section", 0},
		{"mime/enmime-empty-header.raw", "", 0},
	} {
		m := parseCorpus(t, tc.file)
		if !strings.Contains(m.Text(), tc.text) || (tc.attachments >= 0 && m.AttachmentCount() != tc.attachments) {
			t.Errorf("%s: Text %q, %d attachments; want text containing %q and %d attachments", tc.file, m.Text(), m.AttachmentCount(), tc.text, tc.attachments)
		}
	}
	m := parseCorpus(t, "mime/enmime-epilogue-sample.raw")
	if strings.Contains(m.Text(), "malicious") {
		t.Errorf("epilogue read as body: %q", m.Text())
	}
	m = parseCorpus(t, "bounces/sisimai-lhost-apachejames-01.eml")
	if m.Text() == "" || m.Subject() != "Re:Test message" {
		t.Errorf("apachejames: Subject %q Text %q", m.Subject(), m.Text())
	}
	m = parseCorpus(t, "mime/enmime-malformed-multiple-address-header-values.raw")
	if got := m.From(); len(got) != 2 || got[1].Address != "bobby@extern" {
		t.Errorf("two mailboxes without a comma: From = %v", got)
	}
	if m.AttachmentCount() != 2 {
		t.Errorf("AttachmentCount = %d; want the PDF and the text attachment", m.AttachmentCount())
	}
}

// BenchmarkParse parses a typical Dutch reply (Gmail, multipart/alternative,
// quoted-printable).
func BenchmarkParse(b *testing.B) {
	raw := readCorpus(b, "nl/gmail-reply.eml")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
