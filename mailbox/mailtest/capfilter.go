package mailtest

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
)

// capFilterConn removes capabilities from what an IMAP server writes.
//
// imapserver always advertises IDLE to IMAP4rev1 clients once they are
// logged in and has no option to hide it, so a server "without IDLE" needs
// the capability removed on the wire: from "* CAPABILITY ..." responses and
// from "[CAPABILITY ...]" response codes (RFC 9051 7.2.2, 7.1). The filter
// understands literals ({N} at the end of a line, RFC 9051 4.3) and passes
// their bytes through untouched, so message contents that happen to look
// like a capability line are never altered.
//
// It must sit above TLS (it reads plaintext), so it cannot be combined with
// STARTTLS, where imapserver does the TLS upgrade underneath it.
type capFilterConn struct {
	net.Conn
	drop map[string]bool // upper-case capability names

	mu      sync.Mutex
	line    []byte // partial line awaiting its LF
	literal int64  // literal bytes still to pass through
}

func newCapFilterConn(c net.Conn, drop ...string) *capFilterConn {
	m := make(map[string]bool, len(drop))
	for _, d := range drop {
		m[strings.ToUpper(d)] = true
	}
	return &capFilterConn{Conn: c, drop: m}
}

func (c *capFilterConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	var out []byte
	rest := p
	for len(rest) > 0 {
		if c.literal > 0 {
			n := min(int64(len(rest)), c.literal)
			out = append(out, rest[:n]...)
			rest = rest[n:]
			c.literal -= n
			continue
		}
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			// imapserver flushes only after complete responses, so a partial
			// line is completed by a later Write before anything waits on it.
			c.line = append(c.line, rest...)
			break
		}
		c.line = append(c.line, rest[:i+1]...)
		rest = rest[i+1:]
		out = append(out, c.filterLine(c.line)...)
		c.literal = literalSize(c.line)
		c.line = c.line[:0]
	}
	if len(out) > 0 {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// filterLine drops the unwanted names from a capability list in line.
func (c *capFilterConn) filterLine(line []byte) []byte {
	s := string(line)
	var start int
	switch {
	case strings.HasPrefix(s, "* CAPABILITY "):
		start = len("* CAPABILITY ")
	case strings.Contains(s, "[CAPABILITY "):
		start = strings.Index(s, "[CAPABILITY ") + len("[CAPABILITY ")
	default:
		return line
	}
	end := strings.IndexAny(s[start:], "]\r\n")
	if end < 0 {
		return line
	}
	end += start
	var kept []string
	for _, name := range strings.Fields(s[start:end]) {
		if !c.drop[strings.ToUpper(name)] {
			kept = append(kept, name)
		}
	}
	return []byte(s[:start] + strings.Join(kept, " ") + s[end:])
}

// literalSize returns N when line ends with a literal announcement "{N}" or
// "~{N}" (RFC 9051 4.3, RFC 3516), else 0.
func literalSize(line []byte) int64 {
	s := strings.TrimRight(string(line), "\r\n")
	if !strings.HasSuffix(s, "}") {
		return 0
	}
	open := strings.LastIndexByte(s, '{')
	if open < 0 {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(s[open+1:len(s)-1], "+"), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
