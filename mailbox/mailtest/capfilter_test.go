package mailtest

import (
	"bytes"
	"net"
	"strconv"
	"testing"
)

type sink struct {
	net.Conn
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) { return s.buf.Write(p) }

func TestCapFilterRemovesOnlyCapabilities(t *testing.T) {
	body := "From: a\r\n\r\n* CAPABILITY IMAP4rev1 IDLE\r\nT1 OK [CAPABILITY IDLE] x\r\n"
	in := "* OK [CAPABILITY IMAP4rev1 SASL-IR IDLE] ready\r\n" +
		"* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n" +
		"* 1 FETCH (UID 1 BODY[] {" + itoa(len(body)) + "}\r\n" + body + ")\r\n" +
		"T2 OK [CAPABILITY IMAP4rev1 idle MOVE] Logged in\r\n"
	want := "* OK [CAPABILITY IMAP4rev1 SASL-IR] ready\r\n" +
		"* CAPABILITY IMAP4rev1 UIDPLUS\r\n" +
		"* 1 FETCH (UID 1 BODY[] {" + itoa(len(body)) + "}\r\n" + body + ")\r\n" +
		"T2 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n"

	// Any split of the stream into writes gives the same result.
	for _, size := range []int{1, 3, 7, 64, len(in)} {
		s := &sink{}
		f := newCapFilterConn(s, "IDLE")
		for i := 0; i < len(in); i += size {
			chunk := in[i:min(i+size, len(in))]
			if n, err := f.Write([]byte(chunk)); err != nil || n != len(chunk) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if got := s.buf.String(); got != want {
			t.Fatalf("write size %d:\n got %q\nwant %q", size, got, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
