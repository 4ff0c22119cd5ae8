package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/complaintd/complaintd/store/storetest"
)

// hostileText reports what in out would act on a terminal: an ESC, BEL or
// other control character but newline, a C1 control, or a bidi override.
func hostileText(out string) string {
	for _, r := range out {
		if r != '\n' && needsEscape(r) {
			return strings.ToValidUTF8(string(r), "?")
		}
	}
	if !utf8.ValidString(out) {
		return "invalid UTF-8"
	}
	return ""
}

// A complaint whose subject, name and text carry terminal escapes (an OSC
// that sets the window title, a screen clear, a bidi override) is listed
// and shown with them escaped, never acted on.
func TestCasesOutputEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		enc := func(s string) string { return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?=" }
		h.deliver(rawMail(mailOpts{
			from:    enc("Eva \u202eevilname\u202c") + " <eva@example.nl>",
			subject: enc("Klacht \x1b]0;owned\x07over\x1b[2J het eten\r\nKL-2026-0099 closed"),
			body:    "De lunch was koud.\r\n\x1b[31mRood\x1b[0m en \x9b31m nog eens.\r\n",
		}))
		h.poll()
		config := writeHarnessConfig(t, h.cfg)

		list, _, err := run(t, h.ctx, "cases", "list", "-config", config)
		if err != nil {
			t.Fatal(err)
		}
		show, _, err := run(t, h.ctx, "cases", "show", "-config", config, "KL-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"cases list": list, "cases show": show} {
			if bad := hostileText(out); bad != "" {
				t.Errorf("%s printed %q raw:\n%s", name, bad, out)
			}
			if !strings.Contains(out, `\x1b`) {
				t.Errorf("%s does not show the escape as \\x1b:\n%s", name, out)
			}
		}
		if strings.Count(list, "KL-2026-") != 1 {
			t.Errorf("a newline in the subject made a row of its own:\n%s", list)
		}
		for _, want := range []string{`\u202e`, `\x1b[31mRood`} {
			if !strings.Contains(show, want) {
				t.Errorf("cases show lacks %q:\n%s", want, show)
			}
		}
	})
}

func TestTermSafeWriterKeepsTextAndSplitRunes(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := newTermSafe(&b)
	text := "Zoë\tbelde\n€ 12,50 \x1b[2J\u202e einde\xff"
	for i := 0; i < len(text); i++ { // byte by byte: every rune split across writes
		if _, err := w.Write([]byte{text[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "Zoë\tbelde\n€ 12,50 \\x1b[2J\\u202e einde\\xff"
	if b.String() != want {
		t.Fatalf("got  %q\nwant %q", b.String(), want)
	}
}
