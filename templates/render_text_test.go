package templates

import (
	"strings"
	"testing"
)

// The one-pass forms must give exactly what the plain forms they replaced
// gave: every message sent goes through them.

func oneLineAsBefore(s string) string { return strings.Join(strings.Fields(s), " ") }

func tidyTextAsBefore(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	blank := true
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

var renderTextSeeds = []string{
	"", "\n", "\r\n", " \t \n\n", "a", "a\n", "\n\n\na\n\n\n\nb  \t\n\n",
	"Beste Sanne,\r\n\r\n\r\nUw klacht   \r\nis ontvangen.\t\r\n",
	"a\r\r\nb\rc\r", "a \r\n \r\n\tb", "  lead\n\n", "x\u00a0\u0085y\u2028z", "\xff \xfe\x80\n\n\xc3",
	"Re:  [KL-2026-0042]\n  Klacht\tover\r\nhet ophalen", "\v\fa\v",
}

func TestOneLineAndTidyTextMatchThePlainForms(t *testing.T) {
	for _, s := range renderTextSeeds {
		if got, want := oneLine([]byte(s)), oneLineAsBefore(s); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
		}
		if got, want := tidyText([]byte(s)), tidyTextAsBefore(s); got != want {
			t.Errorf("tidyText(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzRenderText(f *testing.F) {
	for _, s := range renderTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := oneLine([]byte(s)), oneLineAsBefore(s); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
		}
		if got, want := tidyText([]byte(s)), tidyTextAsBefore(s); got != want {
			t.Errorf("tidyText(%q) = %q, want %q", s, got, want)
		}
	})
}
