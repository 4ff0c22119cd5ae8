package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// smtpSink is the end-to-end benchmark's SMTP peer: it speaks just enough
// ESMTP (EHLO, PIPELINING, 8BITMIME, SMTPUTF8, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT) to accept and count mail, and keeps nothing. It stands in
// for the provider's server, which in a deployment runs on another machine:
// go-smtp's server (mailtest.StartSMTP) reads the message text a byte at a
// time and cost the shared two cores more than the daemon's own sending,
// so the benchmark measured its peer as much as the daemon. Every other
// test sends to go-smtp, Postfix or Mailpit; this only counts.
type smtpSink struct {
	ln   net.Listener
	want int64
	got  atomic.Int64
	done chan struct{}
	once sync.Once
}

// startSMTPSink listens on 127.0.0.1 and closes Done once it accepted want
// mails.
func startSMTPSink(want int) (*smtpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{ln: ln, want: int64(want), done: make(chan struct{})}
	go s.serve()
	return s, nil
}

func (s *smtpSink) Addr() string          { return s.ln.Addr().String() }
func (s *smtpSink) Done() <-chan struct{} { return s.done }
func (s *smtpSink) Close()                { s.ln.Close() }

func (s *smtpSink) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = s.session(c)
		}()
	}
}

// session answers one connection's commands in order. Answers are written
// when the client has nothing more buffered, so a pipelined envelope gets
// its answers in one write, as a real server's.
func (s *smtpSink) session(c net.Conn) error {
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 4<<10)
	reply := "220 127.0.0.1 ESMTP benchmark sink\r\n"
	for {
		if _, err := w.WriteString(reply); err != nil {
			return err
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		verb := line[:min(4, len(line))]
		switch {
		case bytes.EqualFold(verb, []byte("EHLO")):
			reply = "250-127.0.0.1\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 52428800\r\n"
		case bytes.EqualFold(verb, []byte("HELO")):
			reply = "250 127.0.0.1\r\n"
		case bytes.EqualFold(verb, []byte("MAIL")), bytes.EqualFold(verb, []byte("RCPT")),
			bytes.EqualFold(verb, []byte("RSET")), bytes.EqualFold(verb, []byte("NOOP")):
			reply = "250 2.0.0 OK\r\n"
		case bytes.EqualFold(verb, []byte("DATA")):
			// The client waits for the 354 before it sends the message.
			if _, err := w.WriteString("354 End data with <CR><LF>.<CR><LF>\r\n"); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if err := s.data(r); err != nil {
				return err
			}
			reply = "250 2.0.0 Queued\r\n"
		case bytes.EqualFold(verb, []byte("QUIT")):
			_, _ = w.WriteString("221 2.0.0 Bye\r\n")
			return w.Flush()
		default:
			reply = "502 5.5.2 Command not implemented\r\n"
		}
	}
}

// data reads a message's lines up to the lone dot and counts it.
func (s *smtpSink) data(r *bufio.Reader) error {
	for midLine := false; ; {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if err == nil && !midLine && len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			break
		}
		midLine = err != nil // a line longer than the buffer goes on
	}
	if s.got.Add(1) == s.want {
		s.once.Do(func() { close(s.done) })
	}
	return nil
}
