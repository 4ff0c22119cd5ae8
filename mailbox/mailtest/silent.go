package mailtest

import (
	"net"
	"sync"
)

// StartSilent listens on 127.0.0.1, accepts TCP connections and never sends
// a byte: neither greeting nor TLS handshake. Clients talking to it must give
// up by their own timeouts. closeFn closes the listener and every accepted
// connection and waits for the accept loop to end; it is safe to call twice.
func StartSilent() (addr string, closeFn func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var (
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed
			}
			mu.Lock()
			if closed {
				c.Close()
			} else {
				// Held open and never read: whatever the client writes sits
				// in the kernel buffers.
				conns = append(conns, c)
			}
			mu.Unlock()
		}
	}()
	var once sync.Once
	closeFn = func() {
		once.Do(func() {
			ln.Close()
			mu.Lock()
			closed = true
			for _, c := range conns {
				c.Close()
			}
			conns = nil
			mu.Unlock()
			<-done
		})
	}
	return ln.Addr().String(), closeFn, nil
}
