package mailbox

import (
	"bytes"
	"mime/quotedprintable"
	"net/textproto"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

// Compose writes MIME itself; what recipients receive must stay what
// go-mail wrote before, byte for byte but for the random boundaries.

var composeBoundary = regexp.MustCompile(`[0-9a-f]{60}`)

// sameBoundaries numbers the boundaries in the order they first appear.
func sameBoundaries(b []byte) string {
	seen := map[string]string{}
	return composeBoundary.ReplaceAllStringFunc(string(b), func(s string) string {
		if _, ok := seen[s]; !ok {
			seen[s] = "BOUNDARY" + strconv.Itoa(len(seen)+1)
		}
		return seen[s]
	})
}

// composeBoth composes with Compose and with go-mail (a no-op more sends
// compose down go-mail's path) and fails when they differ.
func composeBoth(t *testing.T, h textproto.MIMEHeader, text, html string, original []byte) {
	t.Helper()
	own, err := Compose(h, text, html, original)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	viaGoMail, err := compose(h, text, html, original, func(*gomail.Msg) error { return nil })
	if err != nil {
		t.Fatalf("go-mail: %v", err)
	}
	if got, want := sameBoundaries(own), sameBoundaries(viaGoMail); got != want {
		t.Errorf("Compose writes other bytes than go-mail\n--- Compose:\n%s\n--- go-mail:\n%s", got, want)
	}
	checkCRLF(t, own)
	// Its one buffer was large enough.
	m, _ := prepare(h)
	text, html = toLF(text), toLF(html)
	var body []byte
	var b64 bool
	if original != nil {
		body, b64 = originalBody(original)
	}
	if size := m.size(text, html, body, b64); len(own) > size {
		t.Errorf("Compose sized its buffer %d bytes for %d", size, len(own))
	}
}

func TestComposeWritesWhatGoMailWrites(t *testing.T) {
	long := strings.Repeat("Lange regel zonder einde, met = tekens en é, ", 12)
	longLined := []byte("From: a@example.nl\r\nSubject: x\r\n\r\n" + strings.Repeat("x", 1200) + "\r\n")
	texts := []string{
		"", "Beste Sanne,\n\nUw klacht is ontvangen.\n", "regel met spaties aan het eind   \nen\ttab\t\n",
		"CRLF\r\nen een losse CR\rhier\r\n", long + "\n" + long, "a=b ünïcode € 😀\n.\n..\nFrom me\n",
		strings.Repeat("y", 75) + "\n" + strings.Repeat("z", 76) + "\n" + strings.Repeat("w", 77),
	}
	htmls := []string{"", "<p style=\"color: red\">Hallo <b>Sanne</b> – é</p>\n", "<p>" + long + "</p>"}
	originals := [][]byte{nil, {}, []byte("From: Sanne <s@example.nl>\r\nSubject: Klacht\r\n\r\nTekst\r\n"),
		[]byte("bare\nLF\rand CR\r\n"), longLined, bytes.Repeat([]byte("q"), 57*1400/57)}
	for i, text := range texts {
		for j, html := range htmls {
			for k, original := range originals {
				t.Run(strconv.Itoa(i)+"/"+strconv.Itoa(j)+"/"+strconv.Itoa(k), func(t *testing.T) {
					composeBoth(t, composeHeader(), text, html, original)
				})
			}
		}
	}

	headers := map[string]func(textproto.MIMEHeader){
		"long ASCII subject": func(h textproto.MIMEHeader) {
			h.Set("Subject", "Re: "+strings.Repeat("een heel lange onderwerpregel ", 8)+" met  dubbele  spaties en een\ttab")
		},
		"long non-ASCII subject": func(h textproto.MIMEHeader) { h.Set("Subject", strings.Repeat("Klacht over Zoë – één ", 9)) },
		"one long word":          func(h textproto.MIMEHeader) { h.Set("Subject", strings.Repeat("x", 150)+" y") },
		"empty subject":          func(h textproto.MIMEHeader) { h.Set("Subject", "") },
		"spaces only":            func(h textproto.MIMEHeader) { h.Set("Subject", "   ") },
		"many references": func(h textproto.MIMEHeader) {
			var ids []string
			for i := range 14 {
				ids = append(ids, "<id-"+strconv.Itoa(i)+"-"+strings.Repeat("r", i*3)+"@mail.example>")
			}
			h.Set("References", strings.Join(ids, " "))
		},
		"many recipients": func(h textproto.MIMEHeader) {
			h.Set("To", "Één Twee <een@example.nl>, \"Jansen, Thomas\" <t@example.nl>, plain@example.nl, Ånne Ölsen <anne@example.nl>")
			h.Set("Cc", "a@example.nl, b@example.nl, c@example.nl, d@example.nl, e@example.nl, f@example.nl")
		},
		"no Cc, no Reply-To": func(h textproto.MIMEHeader) { h.Del("Cc"); h.Del("Reply-To") },
		"extra with values": func(h textproto.MIMEHeader) {
			h["X-Multi"] = []string{"één", "two", strings.Repeat("drie ", 20)}
			h["x-lower-case"] = []string{"v"}
			h["X-Empty"] = []string{}
		},
		"date with spaces":   func(h textproto.MIMEHeader) { h.Set("Date", "  Thu, 19 Nov 2026 21:50:00 +0100 ") },
		"date another form":  func(h textproto.MIMEHeader) { h.Set("Date", "19 Nov 26 21:50 GMT") },
		"no threading":       func(h textproto.MIMEHeader) { h.Del("In-Reply-To"); h.Del("References") },
		"message id bracket": func(h textproto.MIMEHeader) { h.Set("Message-Id", " <v1abc@klachten.vlinder.example> ") },
	}
	// Every column a fold can fall at: words of each length after a
	// first word of each length.
	for first := range 80 {
		words := []string{strings.Repeat("f", first)}
		for n := 1; n < 24; n++ {
			words = append(words, strings.Repeat("w", n))
		}
		headers["fold after "+strconv.Itoa(first)] = func(h textproto.MIMEHeader) { h.Set("Subject", strings.Join(words, " ")) }
	}
	for name, edit := range headers {
		t.Run(name, func(t *testing.T) {
			h := composeHeader()
			edit(h)
			composeBoth(t, h, texts[1], htmls[1], originals[2])
			composeBoth(t, h, texts[1], "", nil)
		})
	}
}

// FuzzCompose holds Compose to go-mail's bytes for any subject, name and
// body.
func FuzzCompose(f *testing.F) {
	f.Add("Onderwerp", "Zoë de Wit", "Tekst\n", "<p>x</p>", []byte("From: a@b\r\n\r\nx\r\n"))
	f.Add(strings.Repeat("lang ", 30), "", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, subject, name, text, html string, original []byte) {
		h := composeHeader()
		h.Set("Subject", subject)
		h.Set("To", (&gomailAddress{name}).String())
		if _, err := prepare(h); err != nil {
			return // refused either way: TestComposeErrors
		}
		composeBoth(t, h, text, html, original)
	})
}

// gomailAddress is a recipient named name.
type gomailAddress struct{ name string }

func (a *gomailAddress) String() string {
	return strconv.Quote(a.name) + " <sanne@example.nl>"
}

// qpExact is s quoted-printable, as mime/quotedprintable writes it.
func qpExact(s string) int {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Len()
}

func FuzzQPSize(f *testing.F) {
	f.Add("Beste Sanne,\n\nUw klacht \n" + strings.Repeat("é=x ", 40) + " \t\n")
	f.Add(strings.Repeat("a", 74) + " \n" + strings.Repeat("b", 75) + "\t")
	f.Fuzz(func(t *testing.T, s string) {
		s = toLF(s)
		if got, want := qpSize(s), qpExact(s); got != want {
			t.Errorf("qpSize(%q) = %d, quoted-printable is %d bytes", s, got, want)
		}
	})
}

// qpStd is s as mime/quotedprintable writes it.
func qpStd(s string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func FuzzAppendQP(f *testing.F) {
	for _, s := range []string{"", "a", " ", "a \n", "a\t\r\nb", "\r\r\n\n", "=", strings.Repeat("x", 75) + " \n" + strings.Repeat("é", 40),
		strings.Repeat("y", 74) + "=\r" + "\x00\n", "tail \t", "\r\xff\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendQP([]byte("prefix"), s), append([]byte("prefix"), qpStd(s)...); !bytes.Equal(got, want) {
			t.Errorf("appendQP(%q) = %q, quoted-printable is %q", s, got, want)
		}
	})
}

func TestComposeWithoutMessageIDMakesOne(t *testing.T) {
	h := composeHeader()
	h.Del("Message-Id")
	a, err := Compose(h, "x", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compose(h, "x", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`(?m)^Message-ID: <[0-9a-f]{22}@[^<>\s]+>\r$`)
	if len(id.FindAll(a, -1)) != 1 || id.Find(a) == nil || bytes.Equal(id.Find(a), id.Find(b)) {
		t.Errorf("want one Message-ID of our own, different each time:\n%s\n%s", id.Find(a), id.Find(b))
	}
}

// Compose reads the caller's header without changing it (it no longer
// works on a copy): the workflow keeps the header it passed.
func TestComposeLeavesTheHeaderAsGiven(t *testing.T) {
	h := composeHeader()
	h["X-Multi"] = []string{"één", "two"}
	want := textproto.MIMEHeader{}
	for k, vs := range h {
		want[k] = slices.Clone(vs)
	}
	if _, err := Compose(h, "tekst\n", "<p>tekst</p>", []byte("From: a@b\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("header after Compose:\n%v\nwant\n%v", h, want)
	}
}
