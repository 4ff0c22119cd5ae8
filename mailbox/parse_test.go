package mailbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// toWire turns the LF line breaks of a test message into CRLF, as on the wire.
func toWire(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func mustParseMessage(t testing.TB, raw string) *Message {
	t.Helper()
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func hasProblem(m *Message, substr string) bool {
	return slices.ContainsFunc(m.Problems(), func(p string) bool { return strings.Contains(p, substr) })
}

func TestParseUnparseable(t *testing.T) {
	for name, raw := range map[string]string{
		"empty":           "",
		"white space":     " \r\n\t\n",
		"text, no header": "Hello,\n\nthis is just a letter.\n",
		"word colon text": "Thanks: I will look into it.\nBye\n",
		"pdf":             "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
		"only mbox line":  "From someone@example.com Mon Jan  1 00:00:00 2026\n",
		"binary":          "\x00\x01\x02\xff\xfe",
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Parse([]byte(raw))
			if !errors.Is(err, ErrUnparseable) || m != nil {
				t.Fatalf("Parse = %v, %v; want nil and ErrUnparseable", m, err)
			}
			if strings.TrimPrefix(err.Error(), ErrUnparseable.Error()) == "" {
				t.Errorf("error %q gives no reason", err)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	m := mustParseMessage(t, toWire("Received: from a\n\tby b; Mon, 1 Jan 2026 10:00:00 +0100\n"+
		"Received: from c by d\n"+
		"subject: =?utf-8?q?caf=C3=A9?=\n"+
		"X-Weird :  spaced   \n"+
		"X-Latin: Verr\xe9kt\n"+
		"\nbody\n"))
	h := m.Header()
	if got := h["Received"]; !slices.Equal(got, []string{"from a by b; Mon, 1 Jan 2026 10:00:00 +0100", "from c by d"}) {
		t.Errorf("Received = %q; want unfolded, topmost first", got)
	}
	if got := h.Get("Subject"); got != "=?utf-8?q?caf=C3=A9?=" {
		t.Errorf("Header Subject = %q; want it not decoded", got)
	}
	if got := h.Get("X-Weird"); got != "spaced" {
		t.Errorf("X-Weird = %q", got)
	}
	if got := h.Get("X-Latin"); got != "Verrékt" {
		t.Errorf("8-bit header = %q; want windows-1252 read as UTF-8", got)
	}
	if m.Subject() != "café" {
		t.Errorf("Subject = %q", m.Subject())
	}
	h.Set("Subject", "changed")
	if m.Header().Get("Subject") == "changed" {
		t.Error("Header returns the message's own map")
	}
}

func TestParseCRLFAndLFAgree(t *testing.T) {
	msg := "From: A <a@example.nl>\nTo: b@example.nl\nSubject: test\nContent-Type: multipart/alternative; boundary=b1\n\n" +
		"--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nregel een=\n en nog\nregel twee\n" +
		"--b1\nContent-Type: text/html\n\n<p>html</p>\n--b1--\n"
	lf, crlfMsg := mustParseMessage(t, msg), mustParseMessage(t, toWire(msg))
	for _, m := range []*Message{lf, crlfMsg} {
		if got, want := m.Text(), "regel een en nog\nregel twee"; got != want {
			t.Errorf("Text = %q; want %q", got, want)
		}
		if m.HTML() != "<p>html</p>" {
			t.Errorf("HTML = %q", m.HTML())
		}
	}
}

func TestParseMboxAndSeparator(t *testing.T) {
	m := mustParseMessage(t, "From MAILER-DAEMON Mon Jan  1 00:00:00 2026\nFrom: a@example.nl\nSubject: hi\n\nbody\n")
	if m.Subject() != "hi" || m.Text() != "body" || !hasProblem(m, "mbox") {
		t.Errorf("mbox: subject %q text %q problems %q", m.Subject(), m.Text(), m.Problems())
	}
	m = mustParseMessage(t, "From: a@example.nl\nSubject: no separator\nthis line is the body\nand this\n")
	if m.Subject() != "no separator" || m.Text() != "this line is the body\nand this" {
		t.Errorf("no separator: subject %q text %q", m.Subject(), m.Text())
	}
	if !hasProblem(m, "no empty line") {
		t.Errorf("problems %q lack the missing separator", m.Problems())
	}
	m = mustParseMessage(t, " From: a@example.nl\nSubject: indented start\n\nx\n")
	if got := m.From(); len(got) != 1 || got[0].Address != "a@example.nl" {
		t.Errorf("indented first line: From = %v", got)
	}
}

func TestParseUnindentedFolds(t *testing.T) {
	m := mustParseMessage(t, "From: a@example.nl\nReceived-SPF: None (x.example: does not designate\npermitted sender hosts)\n"+
		"Content-Type: multipart/mixed;\nboundary=\"xyz\"\nSubject: s\n\n--xyz\nContent-Type: text/plain\n\nhello\n--xyz--\n")
	if m.Text() != "hello" || m.Subject() != "s" {
		t.Errorf("Text %q Subject %q; problems %q", m.Text(), m.Subject(), m.Problems())
	}
}

func TestParseThreadingLenient(t *testing.T) {
	for _, tc := range []struct {
		header, value string
		want          []string
	}{
		{"In-Reply-To", "<a1@example.nl>", []string{"a1@example.nl"}},
		{"In-Reply-To", "a1@example.nl", []string{"a1@example.nl"}},
		{"In-Reply-To", "<a1@example.nl> (from Jan)", []string{"a1@example.nl"}},
		{"In-Reply-To", `Your message of "Mon, 1 Jan" <a1@example.nl>`, []string{"a1@example.nl"}},
		{"References", "<a1@example.nl>,<b2@example.nl>", []string{"a1@example.nl", "b2@example.nl"}},
		{"References", "<a1@example.nl>, <b2@example.nl>", []string{"a1@example.nl", "b2@example.nl"}},
		{"References", "a1@example.nl b2@example.nl", []string{"a1@example.nl", "b2@example.nl"}},
		{"References", "<a1@example.nl> (comment <x@y>) <b2@example.nl> <a1@example.nl>", []string{"a1@example.nl", "b2@example.nl"}},
		{"References", "<a1@exa\n mple.nl> <b2@example.nl", []string{"a1@example.nl", "b2@example.nl"}},
	} {
		m := mustParseMessage(t, "From: a@example.nl\n"+tc.header+": "+tc.value+"\n\nx\n")
		got := m.References()
		if tc.header == "In-Reply-To" {
			got = m.InReplyTo()
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q = %q; want %q", tc.header, tc.value, got, tc.want)
		}
	}
	m := mustParseMessage(t, "From: a@example.nl\nMessage-ID:  <id-1@example.nl> \n\nx\n")
	if m.MessageID() != "id-1@example.nl" {
		t.Errorf("MessageID = %q", m.MessageID())
	}
	if mustParseMessage(t, "From: a@example.nl\n\nx\n").MessageID() != "" {
		t.Error("MessageID of a message without one is not empty")
	}
}

func TestParseAddresses(t *testing.T) {
	type addr struct{ name, address string }
	for _, tc := range []struct {
		value string
		want  []addr
	}{
		{"Jan Jansen <Jan.Jansen@Example.NL>", []addr{{"Jan Jansen", "Jan.Jansen@example.nl"}}},
		{"jan@example.nl (Jan Jansen)", []addr{{"Jan Jansen", "jan@example.nl"}}},
		{"=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <j@example.de>", []addr{{"Jörg Müller", "j@example.de"}}},
		{`"=?iso-8859-1?q?Ren=E9?=" <r@example.fr>`, []addr{{"René", "r@example.fr"}}},
		{`"Jansen, Jan" <jan@example.nl>, piet@example.nl,`, []addr{{"Jansen, Jan", "jan@example.nl"}, {"", "piet@example.nl"}}},
		{"Bob <bob@extern.example> Bobby <bobby@extern.example>", []addr{{"Bob", "bob@extern.example"}, {"Bobby", "bobby@extern.example"}}},
		{"undisclosed-recipients:;", nil},
		{"garbage without address", nil},
		{"Name <broken@example.nl", []addr{{"", "broken@example.nl"}}},
	} {
		m := mustParseMessage(t, "From: "+tc.value+"\nSubject: x\n\nx\n")
		var got []addr
		for _, a := range m.From() {
			got = append(got, addr{a.Name, a.Address})
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("From %q = %q; want %q", tc.value, got, tc.want)
		}
	}
	m := mustParseMessage(t, "From: a@example.nl\nTo: b@example.nl\nTo: c@example.nl\nCc: d@example.nl\nReply-To: e@example.nl\nSender: f@example.nl\n\nx\n")
	if len(m.To()) != 2 || m.Cc()[0].Address != "d@example.nl" || m.ReplyTo()[0].Address != "e@example.nl" || m.Sender()[0].Address != "f@example.nl" {
		t.Errorf("To %v Cc %v Reply-To %v Sender %v", m.To(), m.Cc(), m.ReplyTo(), m.Sender())
	}
}

func TestParseTraceHelpers(t *testing.T) {
	m := mustParseMessage(t, "Return-Path: <>\nDelivered-To: klachten@example.nl\nX-Original-To: <Klachten+tok@example.nl>\nFrom: a@example.nl\n\nx\n")
	if path, ok := m.ReturnPath(); path != "" || !ok {
		t.Errorf("ReturnPath = %q, %v; want \"\", true", path, ok)
	}
	if got := m.DeliveredTo(); !slices.Equal(got, []string{"klachten@example.nl", "Klachten+tok@example.nl"}) {
		t.Errorf("DeliveredTo = %q", got)
	}
	m = mustParseMessage(t, "Return-Path: <Bounce@Example.NL>\nReturn-Path: <older@example.nl>\nFrom: a@example.nl\n\nx\n")
	if path, ok := m.ReturnPath(); path != "Bounce@example.nl" || !ok {
		t.Errorf("ReturnPath = %q, %v", path, ok)
	}
	if _, ok := mustParseMessage(t, "From: a@example.nl\n\nx\n").ReturnPath(); ok {
		t.Error("ReturnPath present without the header")
	}
}

func TestParseDate(t *testing.T) {
	cet := time.FixedZone("", 3600)
	for value, want := range map[string]time.Time{
		"Thu, 19 Nov 2026 21:47:26 +0100":         time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"19 Nov 2026 21:47:26 +0100 (CET)":        time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"Thu, 19 Nov 2026 21:47 +0100":            time.Date(2026, 11, 19, 21, 47, 0, 0, cet),
		"Thursday, 19 Nov 2026 21:47:26 +0100":    time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"Thu, 19 Nov 2026 21:47:26 CET":           time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"Thu Nov 19 21:47:26 2026":                time.Date(2026, 11, 19, 21, 47, 26, 0, time.UTC),
		"2026-11-19T21:47:26+01:00":               time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"Nov 19, 2026 21:47:26 +0100":             time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"Thu, 19 Nov 26 21:47:26 +0100":           time.Date(2026, 11, 19, 21, 47, 26, 0, cet),
		"Tue, 06 Jun 2017 27:39:33 +0600":         {},
		"gisteren":                                {},
		"Tue, 7 Apr 2026 10:00:t <rimap@example>": {},
	} {
		got := mustParseMessage(t, "From: a@example.nl\nDate: "+value+"\n\nx\n").Date()
		if !got.Equal(want) {
			t.Errorf("Date %q = %v; want %v", value, got, want)
		}
	}
	if !mustParseMessage(t, "From: a@example.nl\n\nx\n").Date().IsZero() {
		t.Error("Date without a Date header is not zero")
	}
}

func TestParseSubjectEncodedWords(t *testing.T) {
	for value, want := range map[string]string{
		"=?UTF-8?B?R2V6YW1lbmxpamtlIGtsYWNodCBvdWRlcmNvbW1pc3NpZSBLRFYgRA==?=\n =?UTF-8?B?ZSBSdXBzIOKAkyBwZXJzb25lbGUgYmV6ZXR0aW5n?=": "Gezamenlijke klacht oudercommissie KDV De Rups – personele bezetting",
		"=?utf-8?b?4oA=?= =?utf-8?b?kw==?=":                "–", // one character split across two words
		"=?NONE?B?VEVTVA=?=":                               "TEST",
		"=?x-unknown?q?caf=C3=A9?=":                        "café",
		"=?x-unknown?q?caf=E9?=":                           "café",
		"=?utf-8*nl?q?hallo?=":                             "hallo",
		"Re: =?iso-8859-1?q?r=E9ponse?= and =?bad?? x":     "Re: réponse and =?bad?? x",
		"=?UTF-8? Q?caf=C3=A9?=":                           "café",
		"[Automatyczna =?ISO-8859-2?Q?odpowied=BC?=] test": "[Automatyczna odpowiedź] test",
	} {
		got := mustParseMessage(t, toWire("From: a@example.nl\nSubject: "+value+"\n\nx\n")).Subject()
		if got != want {
			t.Errorf("Subject %q = %q; want %q", value, got, want)
		}
	}
}

func TestParseCharsets(t *testing.T) {
	for _, tc := range []struct {
		charset, body, want string
	}{
		{"windows-1252", "\x92s middags caf\xe9", "’s middags café"},
		{"iso-8859-1", "caf\xc3\xa9", "café"}, // labelled Latin-1, really UTF-8
		{"us-ascii", "caf\xc3\xa9", "café"},
		{"us-ascii", "caf\xe9", "café"},
		{"x-made-up", "caf\xe9", "café"},
		{"utf-8", "caf\xe9 \xc3\xa9", "caf\u00e9 é"},
		{"ks_c_5601-1987", "\xbd\xba\xc6\xbc", "스티"},
		{"\"Shift_JIS\"", "\x82\xa0\x82\xa2", "あい"},
		{"gb2312", "\xc4\xe3\xba\xc3", "你好"},
	} {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: text/plain; charset="+tc.charset+"\n\n"+tc.body)
		got := m.Text()
		if tc.charset == "utf-8" {
			// Invalid UTF-8 in a UTF-8 part: read as windows-1252 throughout.
			if !utf8.ValidString(got) || !strings.HasPrefix(got, "café") {
				t.Errorf("charset %s: Text = %q", tc.charset, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("charset %s: Text = %q; want %q", tc.charset, got, tc.want)
		}
	}
	m := mustParseMessage(t, "From: a@example.nl\nContent-Type: text/html\n\n<html><head><meta charset=\"windows-1252\"></head><body>\x93ja\x94</body></html>")
	if m.Text() != "“ja”" {
		t.Errorf("meta charset: Text = %q", m.Text())
	}
}

func TestParseFlowed(t *testing.T) {
	for _, tc := range []struct {
		params, body, want string
	}{
		{"format=flowed", "Dit is een \nlange regel.\n\nNieuwe alinea.\n", "Dit is een lange regel.\n\nNieuwe alinea."},
		{"format=flowed; delsp=yes", "Een woo \nrd.\n", "Een woord."},
		{"format=flowed", "> geciteerd \n> verder\n>> diep\n", "> geciteerd verder\n>> diep"},
		{"format=flowed", " From the start\n", "From the start"},
		{"format=flowed", "groet \n-- \nJan\n", "groet -- \nJan"},
		{"format=fixed", "niet \nsamen\n", "niet \nsamen"},
	} {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: text/plain; charset=utf-8; "+tc.params+"\n\n"+tc.body)
		if m.Text() != tc.want {
			t.Errorf("%s %q: Text = %q; want %q", tc.params, tc.body, m.Text(), tc.want)
		}
	}
}

func TestParseMultipartDamage(t *testing.T) {
	t.Run("no boundary parameter", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/mixed\n\n--zz\nContent-Type: text/plain\n\ntext\n--zz\nContent-Type: application/pdf\n\nPDF\n--zz--\n")
		if m.Text() != "text" || m.AttachmentCount() != 1 || !hasProblem(m, "no boundary") {
			t.Errorf("Text %q attachments %d problems %q", m.Text(), m.AttachmentCount(), m.Problems())
		}
	})
	t.Run("no boundary anywhere", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/report;\n\nI am text after all\n")
		if m.Text() != "I am text after all" || m.ContentType() != "multipart/report" {
			t.Errorf("Text %q type %q", m.Text(), m.ContentType())
		}
	})
	t.Run("missing close-delimiter", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\nfirst\n--b\nContent-Type: image/png; name=x.png\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n")
		if m.Text() != "first" || m.AttachmentCount() != 1 {
			t.Fatalf("Text %q attachments %d", m.Text(), m.AttachmentCount())
		}
		if name, ct, size := m.Attachment(0); name != "x.png" || ct != "image/png" || size != 5 {
			t.Errorf("Attachment = %q %q %d", name, ct, size)
		}
	})
	t.Run("parameters", func(t *testing.T) {
		for ctype, want := range map[string]string{
			"application/pdf; name=Invoice_(3021).pdf":                       "Invoice_(3021).pdf",
			`application/pdf name="Invoice 3021.pdf"`:                        "Invoice 3021.pdf",
			`application/pdf; name="Invoice 3021.pdf`:                        "Invoice 3021.pdf",
			"application/msword;\n\tname=管理.doc":                             "管理.doc",
			"application/msword; name=\xe7\xae\xa1.doc":                      "管.doc",
			"application/pdf; x-mac-type=0;\nname=\"wrapped.pdf\"":           "wrapped.pdf",
			`application/pdf; name="=?UTF-8?Q?foto=E2=80=99s.pdf?="`:         "foto’s.pdf",
			"application/pdf; name*=iso-8859-1'nl'caf%E9.pdf; name=cafe.pdf": "café.pdf",
			"application/pdf; name*0*=utf-8''%E2%80%99a; name*1=b.pdf":       "’ab.pdf",
			"application/pdf; name*1=\"second.pdf\"; name*0=\"first-\"":      "first-second.pdf",
			`application/pdf; name="C:\Users\jan\scan.pdf"`:                  "scan.pdf",
			`application/pdf; name="incident 12/11.pdf"`:                     "incident 12/11.pdf",
			"application/pdf; charset=utf-8 name=spaced-out.pdf":             "spaced-out.pdf",
		} {
			m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "+ctype+"\n\nx\n--b--\n")
			if name, _, _ := m.Attachment(0); name != want || m.AttachmentCount() != 1 {
				t.Errorf("Content-Type %q: name %q (count %d); want %q", ctype, name, m.AttachmentCount(), want)
			}
		}
	})
	t.Run("disposition filename wins", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; name=a.txt\nContent-Disposition: attachment;\n filename*=UTF-8''foto%E2%80%99s%20incident.pdf\n\nx\n--b--\n")
		if name, ct, _ := m.Attachment(0); name != "foto’s incident.pdf" || ct != "text/plain" || m.Text() != "" {
			t.Errorf("Attachment %q %q, Text %q", name, ct, m.Text())
		}
	})
	t.Run("base64 with garbage", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\naGVs*bG8g\nd29y!bGQ\n")
		if _, _, size := m.Attachment(0); size != len64("hello world") || !hasProblem(m, "base64") {
			t.Errorf("size %d; problems %q", size, m.Problems())
		}
		m = mustParseMessage(t, "From: a@example.nl\nContent-Type: text/plain\nContent-Transfer-Encoding: BASE64\n\naGVsbG8=\nIHdvcmxk\n")
		if m.Text() != "hello world" {
			t.Errorf("concatenated base64: Text %q", m.Text())
		}
	})
	t.Run("reused boundary", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: multipart/alternative; boundary=\"B\"\n\n\n"+
			"--B\nContent-Type: text/plain\n\nplain\n--B\nContent-Type: text/html\n\n<b>html</b>\n--B--\n\n--B\nContent-Type: image/gif; name=x.gif\n\nGIF\n--B--\n")
		if m.Text() != "plain" || m.HTML() != "<b>html</b>" || m.AttachmentCount() != 1 {
			t.Errorf("Text %q HTML %q attachments %d", m.Text(), m.HTML(), m.AttachmentCount())
		}
	})
}

func len64(s string) int64 { return int64(len(s)) }

func TestParseBodySelection(t *testing.T) {
	t.Run("alternative prefers text/plain", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>html</p>\n--b\nContent-Type: text/plain\n\nplain\n--b--\n")
		if m.Text() != "plain" || m.TextFromHTML() || m.HTML() != "<p>html</p>" {
			t.Errorf("Text %q fromHTML %v HTML %q", m.Text(), m.TextFromHTML(), m.HTML())
		}
	})
	t.Run("html only", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: multipart/related; boundary=c\n\n--c\nContent-Type: text/html\n\n<div>een</div><div>twee</div>\n--c\nContent-Type: image/png\nContent-ID: <i1>\n\npng\n--c--\n--b--\n")
		if m.Text() != "een\ntwee" || !m.TextFromHTML() || m.AttachmentCount() != 1 {
			t.Errorf("Text %q fromHTML %v attachments %d", m.Text(), m.TextFromHTML(), m.AttachmentCount())
		}
	})
	t.Run("mixed with inline and attached text", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\ndeel een\n"+
			"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=log.txt\n\nlog\n"+
			"--b\nContent-Type: text/plain\nContent-Disposition: inline\n\ndeel twee\n--b--\n")
		if m.Text() != "deel een\ndeel twee" || m.AttachmentCount() != 1 {
			t.Errorf("Text %q attachments %d", m.Text(), m.AttachmentCount())
		}
		if name, ct, size := m.Attachment(0); name != "log.txt" || ct != "text/plain" || size != 3 {
			t.Errorf("Attachment %q %q %d", name, ct, size)
		}
		if name, ct, size := m.Attachment(5); name != "" || ct != "" || size != 0 {
			t.Error("Attachment out of range is not zero")
		}
	})
	t.Run("signed", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: multipart/signed; boundary=b; protocol=\"application/pgp-signature\"\n\n--b\nContent-Type: text/plain\n\nsigned text\n--b\nContent-Type: application/pgp-signature\n\nsig\n--b--\n")
		if m.Text() != "signed text" || m.AttachmentCount() != 0 {
			t.Errorf("Text %q attachments %d", m.Text(), m.AttachmentCount())
		}
	})
	t.Run("top-level message/rfc822", func(t *testing.T) {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: message/rfc822\n\nFrom: b@example.nl\nMessage-ID: <inner@example.nl>\nSubject: inner\n\ninner text\n")
		if m.Text() != "inner text" || len(m.EmbeddedHeaders()) != 1 || m.AttachmentCount() != 0 {
			t.Errorf("Text %q embedded %d attachments %d", m.Text(), len(m.EmbeddedHeaders()), m.AttachmentCount())
		}
	})
}

func TestParseReport(t *testing.T) {
	raw := toWire(`From: MAILER-DAEMON@mx.example.nl
To: klachten@example.nl
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=Delivery-Status; boundary="r"

--r
Content-Type: text/plain

Your message could not be delivered.
--r
Content-Type: message/delivery-status
Content-Transfer-Encoding: quoted-printable

Reporting-MTA: dns; mx.example.nl

Final-Recipient: rfc822; ouder@example.nl
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user un=
known

Final-Recipient: rfc822; tweede@example.nl
Action: delayed
Status: 4.4.7
--r
Content-Type: text/rfc822-headers

From: klachten@example.nl
Message-ID: <v1abc@klachten.example.nl>
Subject: Ontvangstbevestiging
--r--
`)
	m := mustParseMessage(t, raw)
	if m.ContentType() != "multipart/report" || m.ReportType() != "delivery-status" {
		t.Errorf("ContentType %q ReportType %q", m.ContentType(), m.ReportType())
	}
	if m.Text() != "Your message could not be delivered." {
		t.Errorf("Text %q", m.Text())
	}
	ds := m.DeliveryStatus()
	if len(ds) != 3 {
		t.Fatalf("DeliveryStatus has %d groups: %v", len(ds), ds)
	}
	if ds[0].Get("Reporting-MTA") != "dns; mx.example.nl" || ds[1].Get("Status") != "5.1.1" ||
		ds[1].Get("Diagnostic-Code") != "smtp; 550 5.1.1 user unknown" || ds[2].Get("Action") != "delayed" {
		t.Errorf("DeliveryStatus = %v", ds)
	}
	emb := m.EmbeddedHeaders()
	if len(emb) != 1 || emb[0].Get("Message-Id") != "<v1abc@klachten.example.nl>" {
		t.Errorf("EmbeddedHeaders = %v", emb)
	}
	if m.AttachmentCount() != 0 {
		t.Errorf("report parts counted as attachments: %d", m.AttachmentCount())
	}
	if mustParseMessage(t, "From: a@example.nl\n\nx\n").DeliveryStatus() != nil {
		t.Error("DeliveryStatus of a plain message is not nil")
	}
}

func TestParseBodySHA256(t *testing.T) {
	body := "\r\nhetzelfde\r\n"
	a := mustParseMessage(t, "Received: from one\r\nFrom: a@example.nl\r\n"+body)
	b := mustParseMessage(t, "Received: from two\r\nReceived: from three\r\nFrom: a@example.nl\r\n"+body)
	if a.BodySHA256() != b.BodySHA256() || len(a.BodySHA256()) != 64 {
		t.Errorf("BodySHA256 %q and %q differ", a.BodySHA256(), b.BodySHA256())
	}
	if c := mustParseMessage(t, "From: a@example.nl\r\n\r\nanders\r\n"); c.BodySHA256() == a.BodySHA256() {
		t.Error("different bodies give the same BodySHA256")
	}
}

func TestParseTextPartCap(t *testing.T) {
	big := strings.Repeat("0123456789abcdé\n", (maxTextPart/16)+1000)
	m := mustParseMessage(t, "From: a@example.nl\nContent-Type: text/plain; charset=utf-8\n\n"+big)
	if len(m.Text()) > maxTextPart || len(m.Text()) < maxTextPart-100 || !utf8.ValidString(m.Text()) {
		t.Errorf("Text is %d bytes; want just under %d, valid UTF-8", len(m.Text()), maxTextPart)
	}
	if !hasProblem(m, "longer than 4 MB") {
		t.Errorf("problems %q do not mention the cut", m.Problems())
	}
}

// TestParseMemory parses a 25 MB message (a short text and a 25 MB base64
// attachment) and checks that parsing allocates less than twice its size:
// attachments are decoded through a counter, never held.
func TestParseMemory(t *testing.T) {
	const attachmentSize = 18 << 20 // about 25 MB once base64-encoded
	payload := bytes.Repeat([]byte("complaintd\x00\xff"), attachmentSize/12)
	var raw bytes.Buffer
	raw.WriteString(toWire("From: Ouder <ouder@example.nl>\nTo: klachten@example.nl\nSubject: Grote bijlage\n" +
		"Content-Type: multipart/mixed; boundary=\"big\"\n\n--big\nContent-Type: text/plain; charset=utf-8\n\nZie bijlage.\n" +
		"--big\nContent-Type: video/mp4; name=\"opname.mp4\"\nContent-Transfer-Encoding: base64\n\n"))
	enc := base64.StdEncoding.EncodeToString(payload)
	for len(enc) > 76 {
		raw.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	raw.WriteString(enc + "\r\n--big--\r\n")
	input := raw.Bytes()
	payload, enc = nil, ""

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Parse(input)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("input %d bytes, parse allocated %d bytes", len(input), allocated)
	if allocated > 2*uint64(len(input)) {
		t.Errorf("parsing a %d-byte message allocated %d bytes; want at most twice the input", len(input), allocated)
	}
	if name, _, size := m.Attachment(0); name != "opname.mp4" || size != int64(attachmentSize/12*12) {
		t.Errorf("Attachment = %q, %d bytes", name, size)
	}
	if m.Text() != "Zie bijlage." {
		t.Errorf("Text = %q", m.Text())
	}
}

func TestParseQuotedPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"caf=C3=A9 =e2=80=99":         "café ’",
		"soft=\nbreak":                "softbreak",
		"trailing   \nspace\t\n":      "trailing\nspace\n",
		"bad =G1 and =\t\nend = here": "bad =G1 and end = here",
		"1 =3D 1=":                    "1 = 1",
	} {
		m := mustParseMessage(t, "From: a@example.nl\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: Quoted-Printable\n\n"+in)
		if got := m.Text(); got != strings.TrimRight(want, "\n") {
			t.Errorf("QP %q = %q; want %q", in, got, want)
		}
	}
}
