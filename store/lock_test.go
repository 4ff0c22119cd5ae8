package store_test

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/complaintd/complaintd/store"
	"github.com/complaintd/complaintd/store/storetest"
)

// A lock whose session the server ended (pg_terminate_backend) is known to
// be lost at the next Held, says why, and can be taken by another handle;
// on SQLite a lock excludes within its handle until released.
func TestLockKnowsWhenItIsLost(t *testing.T) {
	storetest.EachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		// Advisory locks are per database, not per schema: a name of its own.
		name := fmt.Sprintf("imap-poll:test-%d", time.Now().UnixNano())
		open := func() *store.DB {
			db, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		a := open()
		lock, ok, err := a.Acquire(ctx, name)
		if err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		if err := lock.Held(ctx); err != nil {
			t.Fatalf("a fresh lock is not held: %v", err)
		}
		if _, ok, _ := a.Acquire(ctx, name); ok {
			t.Fatal("the lock was taken twice")
		}
		if a.Dialect() == store.SQLite {
			lock.Release()
			if err := lock.Held(ctx); !errors.Is(err, store.ErrLockLost) {
				t.Errorf("a released lock: %v", err)
			}
			again, ok, err := a.Acquire(ctx, name)
			if err != nil || !ok {
				t.Fatalf("after release: %v %v", ok, err)
			}
			again.Release()
			return
		}
		b := open()
		var killed bool
		if err := b.Get(ctx, &killed, `SELECT pg_terminate_backend(?)`, lock.Backend); err != nil || !killed {
			t.Fatalf("pg_terminate_backend(%d): %v %v", lock.Backend, killed, err)
		}
		err = lock.Held(ctx)
		if !errors.Is(err, store.ErrLockLost) {
			t.Fatalf("Held after the session ended: %v, want ErrLockLost", err)
		}
		t.Logf("lost: %v", err)
		lock.Release() // harmless after the loss
		deadline := time.Now().Add(10 * time.Second)
		for {
			l, ok, err := b.Acquire(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				l.Release()
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("another handle cannot take the lock after its session ended")
			}
			time.Sleep(20 * time.Millisecond) // the server drops the session a moment after terminating it
		}
	})
}

// silentProxy forwards TCP connections to addr until silence is called;
// from then on it passes nothing on in either direction and keeps every
// connection open, as a server that failed over or a broken network does.
type silentProxy struct {
	ln     net.Listener
	silent chan struct{}
	once   sync.Once
}

func startSilentProxy(t *testing.T, addr string) *silentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &silentProxy{ln: ln, silent: make(chan struct{})}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			select {
			case <-p.silent:
				return // swallowed: nothing passes any more
			default:
			}
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	return p
}

func (p *silentProxy) silence() { p.once.Do(func() { close(p.silent) }) }

// A lock whose server goes silent (no answer, no closed connection: a
// failover or a broken network) is counted lost within the check's bound,
// not when TCP gives up: a holder that cannot prove it holds the lock must
// stop before another daemon, on the new server, may take it.
func TestLockCheckOnASilentServerEndsInTime(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	ctx := t.Context()
	u, err := url.Parse(storetest.URL(t, store.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startSilentProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	db, err := store.Open(ctx, u.String(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { go db.Close() }) // its connections hang until the proxy closes them
	lock, ok, err := db.Acquire(ctx, fmt.Sprintf("imap-poll:silent-%d", time.Now().UnixNano()))
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if err := lock.Held(ctx); err != nil {
		t.Fatalf("a fresh lock is not held: %v", err)
	}
	proxy.silence()
	start := time.Now()
	checked := make(chan error, 1)
	go func() { checked <- lock.Held(ctx) }()
	select {
	case err := <-checked:
		if !errors.Is(err, store.ErrLockLost) {
			t.Fatalf("Held on a silent server: %v, want ErrLockLost", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Held took %v on a silent server, want at most its 2 s bound", took)
		}
		t.Logf("lost after %v: %v", time.Since(start).Round(10*time.Millisecond), err)
	case <-time.After(15 * time.Second):
		t.Fatal("Held did not return within 15 s on a silent server")
	}
}
