package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// maxPrealloc bounds the buffer allocated up front from a size the server
// announced, so a lying server cannot make us allocate gigabytes at once.
const maxPrealloc = 64 << 20

// roundStats is what one round did, for logs and tests.
type roundStats struct {
	UIDValidity               uint32
	Offered, Done, Quarantine int
	Failed, Skipped           int
}

// round processes everything currently in the mailbox: SELECT, UID SEARCH,
// then UID FETCH in batches, handing each message to the handler as it
// streams in and moving the batch afterwards.
func (p *Poller) round(ctx context.Context, s *imapSession) (roundStats, error) {
	var st roundStats
	// Anything announced before this SEARCH is covered by it; a token left
	// in newMail after it means mail arrived during the round.
	select {
	case <-s.newMail:
	default:
	}

	// SELECT every round, also on a kept connection: it is how a changed
	// UIDVALIDITY (RFC 9051 2.3.1.1) becomes visible.
	sel, err := s.selectMailbox(ctx)
	if err != nil {
		return st, err
	}
	st.UIDValidity = sel.UIDValidity
	p.noteUIDValidity(sel.UIDValidity)
	if sel.NumMessages == 0 {
		return st, nil
	}

	// UNDELETED: a message flagged \Deleted is on its way out, whether a
	// person deleted it or our own COPY fallback left it (see move).
	s.waiting()
	data, err := s.client.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return st, s.wrap(ctx, "UID SEARCH UNDELETED", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids) // oldest first: complaints are handled in arrival order

	var gp *groupPipe
	if p.group != nil {
		gp = newGroupPipe(ctx, p, &st)
		defer gp.wait()
	}
	for len(uids) > 0 {
		n := min(len(uids), p.cfg.BatchSize)
		chunk := uids[:n]
		uids = uids[n:]

		b, ferr := p.fetchBatch(ctx, s, chunk, sel.UIDValidity, &st, gp)
		var refused *imap.Error
		if ferr != nil && (!errors.As(ferr, &refused) || s.closed()) {
			// The connection failed: nothing can be moved now. What the
			// handler finished is offered again after reconnecting.
			return st, ferr
		}
		if gp != nil {
			// The groups handled so far; the last one fetched may still
			// be with the handler and is moved after the next FETCH.
			b = gp.take()
		}
		if merr := p.moveBatch(ctx, s, b); merr != nil {
			return st, merr
		}
		if ferr != nil {
			// The server answered NO for part of the batch (a damaged
			// message, for instance) but the connection is fine: do not let
			// it block the messages behind it.
			p.log.Warn("imap fetch partly refused; continuing with the next batch", "mailbox", p.cfg.Mailbox, "err", ferr)
		}
		if err := ctx.Err(); err != nil {
			return st, s.wrap(ctx, "round", err)
		}
	}
	if gp != nil {
		s.working()
		gp.wait()
		if err := p.moveBatch(ctx, s, gp.take()); err != nil {
			return st, err
		}
	}
	return st, nil
}

// batch holds the UIDs of one FETCH by outcome.
type batch struct {
	done, quarantine imap.UIDSet
}

// fetchBatch streams one UID FETCH and calls the handler per message. Bodies
// are read one at a time and released after the handler returns, so memory
// holds one message, not a batch. With a group handler (gp not nil) the
// messages go to gp in groups instead, and their outcomes are recorded there.
func (p *Poller) fetchBatch(ctx context.Context, s *imapSession, uids []imap.UID, validity uint32, st *roundStats, gp *groupPipe) (batch, error) {
	var b batch
	set := imap.UIDSetNum(uids...)
	s.waiting()
	cmd := s.client.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		RFC822Size:   true,
		// BODY.PEEK[]: never sets \Seen (RFC 9051 6.4.5); people read this
		// mailbox too, and \Seen is not our "processed" marker.
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	// Close drains what is left; it must run before the client is closed or
	// the client's reader goroutine would wait for us forever.
	defer cmd.Close()
	var l *lanes
	var g *pendingGroup
	if gp != nil {
		g = &pendingGroup{}
	} else if p.cfg.Workers > 1 {
		l = newLanes(ctx, p, p.cfg.Workers, &b, st)
		// On an early return, wait for what was handed out: its outcome is
		// committed, and the caller must not move the batch meanwhile.
		defer func() {
			if l != nil {
				l.close()
			}
		}()
	}

	for {
		s.waiting()
		msg := cmd.Next()
		if msg == nil {
			break
		}
		f, ok, err := readFetched(msg)
		s.working()
		if err != nil {
			return b, s.wrap(ctx, "UID FETCH body", err)
		}
		if !ok {
			st.Skipped++
			p.log.Warn("imap fetch returned no body; leaving the message in place", "mailbox", p.cfg.Mailbox, "uid", f.UID)
			continue
		}
		if err := ctx.Err(); err != nil {
			return b, s.wrap(ctx, "UID FETCH", err)
		}
		f.Mailbox = p.cfg.Mailbox
		f.UIDValidity = validity
		st.Offered++
		if g != nil {
			if g.add(f, p.cfg.BatchSize) {
				gp.hand(g)
			}
			continue
		}
		if l != nil {
			l.submit(f)
			continue
		}
		out, ok := p.dispatch(ctx, f)
		b.record(st, f.UID, out, ok)
	}
	if l != nil {
		l.close()
		l = nil
	}
	if g != nil {
		s.working()
		gp.hand(g)
	}
	s.waiting()
	if err := cmd.Close(); err != nil {
		return b, s.wrap(ctx, "UID FETCH "+set.String(), err)
	}
	return b, nil
}

// dispatch runs the handler on one message and reports its outcome; ok is
// false when the message stays in place (the handler failed).
func (p *Poller) dispatch(ctx context.Context, f Fetched) (out Outcome, ok bool) {
	out, err := p.handle(ctx, f)
	return p.outcome(f, out, err)
}

// errShortResults: a group handler answered for fewer messages than it got.
var errShortResults = errors.New("mailbox: group handler returned no result for the message")

// outcome logs what the handler made of one message and reports it; ok is
// false when the message stays in place.
func (p *Poller) outcome(f Fetched, out Outcome, err error) (Outcome, bool) {
	log := p.log.With("mailbox", f.Mailbox, "uidvalidity", f.UIDValidity, "uid", f.UID, "size", f.Size)
	switch {
	case errors.Is(err, context.Canceled):
		// The daemon is stopping: nothing failed.
		log.Debug("stopping: message stays for the next start", "err", err)
		return out, false
	case err != nil:
		log.Warn("message handler failed; message stays for the next round", "err", err)
		return out, false
	case out == Done:
		log.Debug("message handled", "outcome", "done")
	case out == Quarantine:
		log.Info("message handled", "outcome", "quarantine")
	default:
		log.Error("message handler returned an unknown outcome; message stays", "outcome", int(out))
		return out, false
	}
	return out, true
}

// record adds one message's outcome to the batch to move and the counts.
func (b *batch) record(st *roundStats, uid uint32, out Outcome, ok bool) {
	switch {
	case !ok:
		st.Failed++
	case out == Done:
		st.Done++
		b.done.AddNum(imap.UID(uid))
	default:
		st.Quarantine++
		b.quarantine.AddNum(imap.UID(uid))
	}
}

// readFetched collects one message's FETCH items. ok is false when the
// server sent no body (the message was expunged meanwhile, or NIL).
func readFetched(msg *imapclient.FetchMessageData) (f Fetched, ok bool, err error) {
	for {
		item := msg.Next()
		if item == nil {
			return f, ok && f.UID != 0, nil
		}
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			f.UID = uint32(item.UID)
		case imapclient.FetchItemDataInternalDate:
			f.InternalDate = item.Time
		case imapclient.FetchItemDataRFC822Size:
			f.Size = item.Size
		case imapclient.FetchItemDataBodySection:
			if item.Literal == nil {
				continue
			}
			if f.Raw, err = readLiteral(item.Literal); err != nil {
				return f, false, err
			}
			ok = true
			if f.Size == 0 {
				f.Size = int64(len(f.Raw))
			}
		}
	}
}

// readLiteral reads a body literal into a buffer sized from the literal
// length the server announced, without the doubling copies of io.ReadAll.
func readLiteral(lit imap.LiteralReader) ([]byte, error) {
	n := lit.Size()
	if n < 0 || n > maxPrealloc {
		return io.ReadAll(lit)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(lit, buf); err != nil {
		return nil, fmt.Errorf("reading %d-byte literal: %w", n, err)
	}
	return buf, nil
}
