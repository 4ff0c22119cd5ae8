package mailbox

// The connection under both protocols: a TCP dial bounded by the command
// timeout, and a net.Conn that puts a fresh deadline on every read and
// write so a silent server cannot hang the daemon.

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// dialTCP opens a TCP connection bounded by ctx and timeout and wraps it in a
// deadlineConn with the given I/O timeout.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) (*deadlineConn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newDeadlineConn(raw, timeout), nil
}

// deadlineConn enforces its own read and write deadlines and ignores the ones
// set by the protocol libraries on top of it.
//
// Why: imapclient sets a fixed 5 minute deadline for a whole literal, which
// would cut off a 25 MB message on a slow link, and no deadline at all while it
// waits for a tagged response. Here every Read and Write gets a fresh deadline
// of the current timeout when it starts, so a transfer that keeps moving is
// never cut off while a server that stays silent for one timeout is.
//
// The read timeout can be switched off (SetReadTimeout(0)) for the periods in
// which silence is expected: while IDLE waits for news, while the daemon sleeps
// between rounds, and while the handler works on a message. Changing it also
// moves the deadline of a Read already blocked in another goroutine (the IMAP
// client's reader), so the timeout applies exactly while we wait on the server.
type deadlineConn struct {
	net.Conn

	mu           sync.Mutex
	readTimeout  time.Duration
	writeTimeout time.Duration

	timedOut atomic.Bool
}

func newDeadlineConn(c net.Conn, timeout time.Duration) *deadlineConn {
	return &deadlineConn{Conn: c, readTimeout: timeout, writeTimeout: timeout}
}

// SetReadTimeout sets the silence allowed on reads from now on, including a
// Read already in progress; 0 means wait forever.
func (c *deadlineConn) SetReadTimeout(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readTimeout = d
	_ = c.Conn.SetReadDeadline(deadlineFrom(d))
}

// TimedOut reports whether any read or write on this connection hit its
// deadline; the protocol libraries flatten their errors to strings, so this
// is how a timeout is recognised afterwards.
func (c *deadlineConn) TimedOut() bool { return c.timedOut.Load() }

func (c *deadlineConn) Read(b []byte) (int, error) {
	if c.timedOut.Load() {
		return 0, c.timeoutError("read")
	}
	c.mu.Lock()
	_ = c.Conn.SetReadDeadline(deadlineFrom(c.readTimeout))
	c.mu.Unlock()
	n, err := c.Conn.Read(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.expire()
	}
	return n, err
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if c.timedOut.Load() {
		return 0, c.timeoutError("write")
	}
	c.mu.Lock()
	_ = c.Conn.SetWriteDeadline(deadlineFrom(c.writeTimeout))
	c.mu.Unlock()
	n, err := c.Conn.Write(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.expire()
	}
	return n, err
}

// expire makes a timeout final. Protocol decoders retry a failed read
// (bufio hands out an error once), and each retry would wait a full timeout
// again; a connection that went silent once is not trusted any more.
func (c *deadlineConn) expire() {
	if !c.timedOut.Swap(true) {
		_ = c.Conn.Close()
	}
}

func (c *deadlineConn) timeoutError(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.ErrDeadlineExceeded}
}

// The libraries' own deadlines are ignored; see the type comment.
func (c *deadlineConn) SetDeadline(time.Time) error      { return nil }
func (c *deadlineConn) SetReadDeadline(time.Time) error  { return nil }
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

func deadlineFrom(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}
