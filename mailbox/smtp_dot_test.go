package mailbox

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"
	"testing"
)

// dotWriterBytes is what net/textproto's DotWriter (go-mail's Data) sends
// for msg: the reference the sender must match byte for byte.
func dotWriterBytes(t testing.TB, msg []byte) []byte {
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	w := textproto.NewWriter(bw).DotWriter()
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// stuffPieces runs dotStuffer over msg cut at the given offsets, as
// writeData does at dataChunk.
func stuffPieces(msg []byte, cuts ...int) []byte {
	var d dotStuffer
	var out []byte
	prev := 0
	for _, c := range cuts {
		c = min(max(c, prev), len(msg))
		out = d.stuff(out, msg[prev:c])
		prev = c
	}
	out = d.stuff(out, msg[prev:])
	return d.end(out)
}

var dotCases = []string{
	"",
	"a",
	".",
	".\r\n",
	"..\r\n",
	"Subject: x\r\n\r\nline\r\n.\r\n..two\r\n.één\r\nend\r\n",
	"bare\nLF\n.dot after bare LF\n",
	"no final newline",
	"ends in CR\r",
	"ends in dot line\r\n.",
	"stray\rCR\r\n.next",
	"double CR\r\r\nx",
	"triple CR\r\r\r\n.y",
	"\r\n.\r\n",
	"\n\n.\n",
	"\r.\r\n",
	"x\r\n\r\n\r\n",
}

// The sender's dot-stuffing is exactly what textproto's DotWriter sent.
func TestDotStuffMatchesDotWriter(t *testing.T) {
	for _, c := range dotCases {
		msg := []byte(c)
		want := dotWriterBytes(t, msg)
		for cut := 0; cut <= len(msg); cut++ {
			if got := stuffPieces(msg, cut); !bytes.Equal(got, want) {
				t.Errorf("%q cut at %d:\n got %q\nwant %q", c, cut, got, want)
			}
		}
	}
	// What the daemon sends: CRLF lines, some with a leading dot, across
	// several dataChunk pieces.
	var b strings.Builder
	for i := 0; b.Len() < 3*dataChunk; i++ {
		if i%7 == 0 {
			b.WriteString(".")
		}
		b.WriteString("Regel met tekst, en een punt aan het eind.\r\n")
	}
	msg := []byte(b.String())
	if got, want := stuffPieces(msg, dataChunk, 2*dataChunk), dotWriterBytes(t, msg); !bytes.Equal(got, want) {
		t.Errorf("a %d-byte message in pieces differs from DotWriter's", len(msg))
	}
}

// FuzzDotStuff compares the sender's dot-stuffing with textproto's
// DotWriter for any message, cut into pieces anywhere.
func FuzzDotStuff(f *testing.F) {
	for _, c := range dotCases {
		f.Add([]byte(c), uint16(len(c)/2), uint16(len(c)))
	}
	f.Fuzz(func(t *testing.T, msg []byte, cut1, cut2 uint16) {
		a, b := int(cut1), int(cut2)
		if want, got := dotWriterBytes(t, msg), stuffPieces(msg, a, b); !bytes.Equal(got, want) {
			t.Fatalf("%q cut at %d, %d:\n got %q\nwant %q", msg, a, b, got, want)
		}
	})
}
