package mailbox_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// fetchWatch relays one IMAP connection to the server at addr and sends on
// fetches each time the client sends a UID FETCH.
func fetchWatch(t *testing.T, addr string) (listen string, fetches <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan struct{}, 100)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		defer s.Close()
		go func() { _, _ = io.Copy(c, s) }()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadBytes('\n')
			if bytes.Contains(line, []byte(" UID FETCH ")) {
				ch <- struct{}{}
			}
			if _, werr := s.Write(line); werr != nil || err != nil {
				return
			}
		}
	}()
	return ln.Addr().String(), ch
}

// While the group handler works on one batch, the poller already fetches
// the next; yet the handler gets the groups one at a time, in UID order, and
// a message is moved only after the handler returned for it.
func TestGroupPollerFetchesTheNextBatchWhileOneIsHandled(t *testing.T) {
	srv, cfg := pipelineInbox(t, 6)
	var fetches <-chan struct{}
	cfg.Addr, fetches = fetchWatch(t, srv.Addr())
	var (
		groups  [][]uint32
		running atomic.Int32
		seen    int // UID FETCH commands seen so far
	)
	p, err := mailbox.NewGroupPoller(cfg, func(_ context.Context, fs []mailbox.Fetched) []mailbox.Result {
		if running.Add(1) != 1 {
			t.Error("the handler was called while a call for another group was running")
		}
		defer running.Add(-1)
		var uids []uint32
		for _, f := range fs {
			uids = append(uids, f.UID)
		}
		groups = append(groups, uids)
		notMovedYet(t, srv, uids)
		// Every batch but the last: the next one's FETCH goes out while
		// this one is being handled.
		rs := make([]mailbox.Result, len(fs))
		if len(groups) < 3 {
			for seen < len(groups)+1 {
				select {
				case <-fetches:
					seen++
				case <-time.After(failAfter):
					return noOverlap(t, rs, "the FETCH of batch %d was not sent while batch %d was handled", len(groups)+1, len(groups))
				}
			}
		}
		return rs
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	pollPipeline(t, p, srv, &groups)
}

// With a staged handler, the next group's first stage (recording its
// arrivals) runs while the group before is acted on; second stages still
// run one at a time, in UID order, and a message is moved only after its
// group's second stage returned.
func TestStagedGroupPollerRecordsTheNextGroupWhileOneIsActedOn(t *testing.T) {
	srv, cfg := pipelineInbox(t, 6)
	var (
		firsts  atomic.Int32
		arrived = make(chan int32, 10) // the number of each group whose first stage ran
		latest  int32                  // the highest number read from arrived (second stages only)
		acted   [][]uint32
		running atomic.Int32
	)
	p, err := mailbox.NewStagedGroupPoller(cfg, func(_ context.Context, fs []mailbox.Fetched) func(bool) []mailbox.Result {
		n := firsts.Add(1)
		var uids []uint32
		for _, f := range fs {
			uids = append(uids, f.UID)
		}
		arrived <- n
		return func(stop bool) []mailbox.Result {
			if stop {
				t.Errorf("group %v was given back, not acted on, without a stop", uids)
				return nil
			}
			if running.Add(1) != 1 {
				t.Error("a second stage ran while another group's second stage was running")
			}
			defer running.Add(-1)
			acted = append(acted, uids)
			notMovedYet(t, srv, uids)
			rs := make([]mailbox.Result, len(fs))
			// Every group but the last: the next group's first stage runs
			// while this one is acted on.
			for n < 3 && latest < n+1 {
				select {
				case latest = <-arrived:
				case <-time.After(failAfter):
					return noOverlap(t, rs, "the first stage of group %d did not run while group %d was acted on", n+1, n)
				}
			}
			return rs
		}
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	pollPipeline(t, p, srv, &acted)
}

// pipelineInbox is a server with n messages in INBOX and a configuration
// fetching them two at a time.
func pipelineInbox(t *testing.T, n int) (*mailtest.IMAPServer, mailbox.IMAPConfig) {
	t.Helper()
	srv := startIMAP(t, mailtest.IMAPOptions{})
	now := time.Now()
	for i := range n {
		if _, err := srv.Deliver("INBOX", testMessage(i), now); err != nil {
			t.Fatal(err)
		}
	}
	cfg := imapConfig(srv, "none")
	cfg.BatchSize = 2
	return srv, cfg
}

// notMovedYet fails the test for each of uids no longer in INBOX.
func notMovedYet(t *testing.T, srv *mailtest.IMAPServer, uids []uint32) {
	in, err := srv.Messages("INBOX")
	if err != nil {
		t.Error(err)
	}
	for _, uid := range uids {
		if !slices.ContainsFunc(in, func(m mailtest.StoredMessage) bool { return m.UID == uid }) {
			t.Errorf("message %d was moved before its group was handled", uid)
		}
	}
}

// pollPipeline runs one round and checks the six messages were handled in
// three groups in UID order and all moved to Processed.
func pollPipeline(t *testing.T, p *mailbox.Poller, srv *mailtest.IMAPServer, groups *[][]uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), failAfter)
	defer cancel()
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if want := [][]uint32{{1, 2}, {3, 4}, {5, 6}}; fmt.Sprint(*groups) != fmt.Sprint(want) {
		t.Errorf("groups %v, want %v", *groups, want)
	}
	if n := len(stored(t, srv, "Processed")); n != 6 {
		t.Errorf("%d messages in Processed, want all 6", n)
	}
	if in := stored(t, srv, "INBOX"); len(in) != 0 {
		t.Errorf("%d messages left in INBOX, want none", len(in))
	}
}

// noOverlap reports that what should have happened while a group was
// handled did not, and fails the group's messages.
func noOverlap(t *testing.T, rs []mailbox.Result, format string, args ...any) []mailbox.Result {
	t.Errorf(format, args...)
	for i := range rs {
		rs[i].Err = fmt.Errorf("no overlap")
	}
	return rs
}

// dropOnFetch relays IMAP connections to the server at addr; the first one
// is cut, both ways, when the client sends its nth UID FETCH (which never
// reaches the server), and dropped is closed then. Later connections are
// relayed as they are.
func dropOnFetch(t *testing.T, addr string, n int) (listen string, dropped <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan struct{})
	go func() {
		for first := true; ; first = false {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				return
			}
			go func() { _, _ = io.Copy(c, s); c.Close() }()
			go func(cut bool) {
				defer s.Close()
				defer c.Close()
				r := bufio.NewReader(c)
				fetches := 0
				for {
					line, err := r.ReadBytes('\n')
					if cut && bytes.Contains(line, []byte(" UID FETCH ")) {
						if fetches++; fetches == n {
							close(ch)
							return
						}
					}
					if _, werr := s.Write(line); werr != nil || err != nil {
						return
					}
				}
			}(first)
		}
	}()
	return ln.Addr().String(), ch
}

// When the connection breaks while two groups are with the handler (one
// being acted on, the next waiting for it), the round ends only after both
// were acted on, and moves nothing: the connection is gone, and what they
// committed is offered again after reconnecting (the handler is idempotent),
// and then moved.
func TestStagedGroupsInFlightWhenTheConnectionBreaks(t *testing.T) {
	srv, cfg := pipelineInbox(t, 6)
	var dropped <-chan struct{}
	cfg.Addr, dropped = dropOnFetch(t, srv.Addr(), 3)
	var (
		acted    [][]uint32 // groups whose second stage returned, in order
		returned atomic.Bool
	)
	p, err := mailbox.NewStagedGroupPoller(cfg, func(_ context.Context, fs []mailbox.Fetched) func(bool) []mailbox.Result {
		var uids []uint32
		for _, f := range fs {
			uids = append(uids, f.UID)
		}
		return func(stop bool) []mailbox.Result {
			if stop {
				t.Errorf("group %v was given back, not acted on, without a stop", uids)
				return nil
			}
			rs := make([]mailbox.Result, len(fs))
			if uids[0] == 1 && len(acted) == 0 {
				// The first group is acted on until the third FETCH has
				// cut the connection: the second waits behind it.
				select {
				case <-dropped:
				case <-time.After(failAfter):
					t.Error("the connection was not cut while the first group was acted on")
				}
			}
			notMovedYet(t, srv, uids)
			if returned.Load() {
				t.Errorf("group %v was acted on after the round returned", uids)
			}
			acted = append(acted, uids)
			return rs
		}
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), failAfter)
	defer cancel()
	if err := p.PollOnce(ctx); err == nil {
		t.Fatal("the round with the cut connection succeeded")
	}
	returned.Store(true)
	if want := [][]uint32{{1, 2}, {3, 4}}; fmt.Sprint(acted) != fmt.Sprint(want) {
		t.Fatalf("before the round returned, groups %v were acted on, want %v", acted, want)
	}
	if in := stored(t, srv, "INBOX"); len(in) != 6 {
		t.Fatalf("%d messages left in INBOX after the cut, want all 6 (nothing can be moved)", len(in))
	}
	returned.Store(false)
	acted = nil
	// After reconnecting: everything offered again, acted on and moved.
	pollPipeline(t, p, srv, &acted)
}

// A stop while a group is acted on does not start the group waiting behind
// it with the cancelled context: its messages stay in the inbox for the
// next start, untouched, and its second stage is told to give back what
// its first stage took.
func TestStagedGroupWaitingAtAStopIsNotActedOn(t *testing.T) {
	srv, cfg := pipelineInbox(t, 6)
	ctx, cancel := context.WithTimeout(t.Context(), failAfter)
	defer cancel()
	arrived := make(chan struct{}, 10)
	var acted, given [][]uint32 // second stages that acted, and that gave their group back
	p, err := mailbox.NewStagedGroupPoller(cfg, func(_ context.Context, fs []mailbox.Fetched) func(bool) []mailbox.Result {
		var uids []uint32
		for _, f := range fs {
			uids = append(uids, f.UID)
		}
		arrived <- struct{}{}
		return func(stop bool) []mailbox.Result {
			if stop {
				given = append(given, uids)
				return nil
			}
			acted = append(acted, uids)
			if len(acted) == 1 {
				// The daemon is told to stop once the next group arrived.
				select {
				case <-arrived:
				case <-time.After(failAfter):
				}
				select {
				case <-arrived:
				case <-time.After(failAfter):
					t.Error("the second group did not arrive while the first was acted on")
				}
				cancel()
			}
			return make([]mailbox.Result, len(fs))
		}
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PollOnce(ctx); err == nil {
		t.Fatal("the stopped round succeeded")
	}
	if want := [][]uint32{{1, 2}}; fmt.Sprint(acted) != fmt.Sprint(want) {
		t.Errorf("groups %v were acted on, want only %v, the one under way at the stop", acted, want)
	}
	if want := [][]uint32{{3, 4}}; fmt.Sprint(given) != fmt.Sprint(want) {
		t.Errorf("groups %v were given back at the stop, want %v, the one waiting", given, want)
	}
	if in := stored(t, srv, "INBOX"); len(in) < 4 {
		t.Errorf("%d messages left in INBOX, want at least the 4 not acted on", len(in))
	}
}
