package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A grouped batch hands the mail it queues straight to the outbox (issue
// 14). Mail that may go at once is written already claimed by this daemon
// (state sending, attempts 1, claimed_until, claimed_by) together with its
// attempt (outcome sending), in the group's transaction: the attempt is on
// record before the send, as always. Once the group has committed, the
// mails, bytes and all, wait in memory for the outbox's next pass, which
// sends them without a claim statement and without reading the bytes back:
// per mail, one update of the outbox row and its indexes fewer, and no
// bytes detoasted, decompressed and hex-encoded for the claim.
//
// Nothing else changes about a claimed mail: a daemon that stops cleanly,
// or loses the session it claimed the mail under, puts back what it did
// not try (release), and the mail of one that dies is claimed again by the
// next as after any claim (its session is gone, or its lease runs out),
// its earlier attempt recorded as unknown.

// handoverMails and handoverBytes bound the mail held in memory, waiting or
// being sent: a slow or failing mail server never grows the heap beyond
// them. Mail over the bound is written queued; the claim takes it later.
// A batch of 250 complaints queues about 500 mails, so the bound holds one
// batch's mail being sent and the next's waiting (about 8 MB of mail
// either way; with 512 a backlog put one mail in eleven through the claim).
const (
	handoverMails = 4 * claimBatch
	handoverBytes = 8 << 20
)

// handover is the mail handed to the outbox by committed groups.
type handover struct {
	mu    sync.Mutex
	items []outboxItem // committed, not yet taken by a pass
	// mails and bytes count what the bound covers: reserved by groups not
	// yet committed, waiting, and being sent.
	mails, bytes int
	// maxMails and maxBytes are the bound; 0: handoverMails, handoverBytes
	// (tests set smaller ones).
	maxMails, maxBytes int
	// closed: no outbox loop runs (it stopped); nothing is handed over.
	closed bool
	// claimNext makes the pass after one that sent handed-over mail a
	// claim, so queued mail is not left waiting behind a steady stream
	// of groups.
	claimNext bool
}

// handoverBatch is what one group hands over once it commits.
type handoverBatch struct {
	w            *Workflow
	session      int64 // 0 until asked for
	noSession    bool  // asked for, and not known: nothing is handed over
	items        []outboxItem
	until        time.Time // the claims' lease
	mails, bytes int       // reserved
}

type handoverKey struct{}

func handoverOf(ctx context.Context) *handoverBatch {
	h, _ := ctx.Value(handoverKey{}).(*handoverBatch)
	return h
}

// newHandover starts a group's hand-over, or returns nil when there is no
// one to hand mail to (no transport).
func (w *Workflow) newHandover() *handoverBatch {
	if w.transport == nil {
		return nil
	}
	return &handoverBatch{w: w}
}

// reserve takes room for one mail of size bytes, if the bound allows.
func (b *handoverBatch) reserve(size int) bool {
	h := &b.w.handover
	h.mu.Lock()
	defer h.mu.Unlock()
	maxMails, maxBytes := handoverMails, handoverBytes
	if h.maxMails > 0 {
		maxMails, maxBytes = h.maxMails, h.maxBytes
	}
	if h.closed || h.mails+1 > maxMails || h.bytes+size > maxBytes {
		return false
	}
	h.mails++
	h.bytes += size
	b.mails++
	b.bytes += size
	return true
}

// commit hands the group's mail to the outbox, after the group's
// transaction committed; the group then wakes the outbox (runGroup). When
// the outbox has stopped meanwhile, the claims are put back at once.
func (b *handoverBatch) commit(ctx context.Context) {
	if b == nil || b.mails == 0 {
		return
	}
	h := &b.w.handover
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.items = append(h.items, b.items...)
	}
	h.mu.Unlock()
	if closed {
		b.w.release(context.WithoutCancel(ctx), b.items)
		h.done(b.items)
	}
	b.forget()
}

// abort gives back the room of a group that did not commit: nothing of it
// is handed over.
func (b *handoverBatch) abort() {
	if b == nil {
		return
	}
	h := &b.w.handover
	h.mu.Lock()
	h.mails -= b.mails
	h.bytes -= b.bytes
	h.mu.Unlock()
	b.forget()
}

func (b *handoverBatch) forget() {
	b.items, b.mails, b.bytes = nil, 0, 0
}

// take removes up to n handed-over mails for a pass.
func (h *handover) take(n int) []outboxItem {
	h.mu.Lock()
	defer h.mu.Unlock()
	n = min(n, len(h.items))
	items := h.items[:n:n]
	h.items = h.items[n:]
	if len(h.items) == 0 {
		h.items = nil
	}
	return items
}

// done gives back the room of mails a pass has finished with.
func (h *handover) done(items []outboxItem) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, it := range items {
		h.mails--
		h.bytes -= len(it.Raw)
	}
}

// open lets groups hand mail over (again).
func (h *handover) open() {
	h.mu.Lock()
	h.closed = false
	h.mu.Unlock()
}

// close stops groups handing mail over and returns what waits.
func (h *handover) close() []outboxItem {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	items := h.items
	h.items = nil
	return items
}

// setClaimNext says whether the next pass claims before it takes
// handed-over mail.
func (h *handover) setClaimNext(claim bool) {
	h.mu.Lock()
	h.claimNext = claim
	h.mu.Unlock()
}

func (h *handover) claimFirst() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.claimNext
}

// takeHanded takes handed-over mail for a pass. Mail that waited for half
// its lease is put back in the queue instead (the claim sends it): sending
// it near the end of the lease could meet another daemon's claim of it.
// Mail claimed under a session this daemon no longer has (on PostgreSQL its
// connection broke) is not sent under that claim: another daemon may claim
// it from then on. It is put back in the queue (release), so that whoever
// claims it next records its first attempt, not one whose answer is unknown
// ("possibly delivered twice") for mail no server ever saw. release only
// touches rows still claimed under the lost session, and attempts still
// sending: a row another daemon has claimed meanwhile stays as it is. When
// the database does not answer, the rows stay claimed and are claimed again
// later as after a crash.
func (w *Workflow) takeHanded(ctx context.Context) []outboxItem {
	items := w.handover.take(claimBatch)
	if len(items) == 0 {
		return nil
	}
	if ctx.Err() == nil { // a stopping daemon puts them back (send)
		session, err := w.db.Session(ctx)
		var lost []outboxItem
		items, lost = partition(items, func(it outboxItem) bool { return err == nil && it.session == session })
		if len(lost) > 0 {
			w.log.Warn("outbox: the session that claimed handed-over mail is lost; the mail goes back to the queue",
				"mails", len(lost), "err", err)
			w.release(context.WithoutCancel(ctx), lost)
			w.handover.done(lost)
		}
	}
	now := w.clock.Now()
	fresh, stale := partition(items, func(it outboxItem) bool { return !it.stale(now) })
	if len(stale) > 0 {
		w.release(context.WithoutCancel(ctx), stale)
		w.handover.done(stale)
	}
	return fresh
}

// putBackStale puts back in the queue, before a claim, the handed-over mail
// still waiting that waited half its lease (as takeHanded does with what it
// takes): the claim would otherwise take such mail once its lease ran out,
// and record its attempt, which no server ever saw, as one whose answer is
// unknown ("may have been delivered twice").
func (w *Workflow) putBackStale(ctx context.Context) {
	now := w.clock.Now()
	h := &w.handover
	h.mu.Lock()
	var stale []outboxItem
	h.items, stale = partition(h.items, func(it outboxItem) bool { return !it.stale(now) })
	h.mu.Unlock()
	if len(stale) > 0 {
		w.release(context.WithoutCancel(ctx), stale)
		h.done(stale)
	}
}

// stale reports whether handed-over mail has waited half its lease: sending
// it now could meet another daemon's claim of it.
func (it outboxItem) stale(now time.Time) bool {
	return !now.Before(it.claimedUntil.Add(-claimTTL / 2))
}

// partition splits items, in order, into those keep accepts and the rest.
// When keep accepts all, kept is items itself (nothing is copied).
func partition(items []outboxItem, keep func(outboxItem) bool) (kept, rest []outboxItem) {
	i := 0
	for i < len(items) && keep(items[i]) {
		i++
	}
	if i == len(items) {
		return items, nil
	}
	kept = append(items[:0:0], items[:i]...)
	for _, it := range items[i:] {
		if keep(it) {
			kept = append(kept, it)
		} else {
			rest = append(rest, it)
		}
	}
	return kept, rest
}

// closeHandover stops handing mail over when the outbox loop stops, and
// puts back what waits, as DeliverDue puts back what it claimed and did
// not try.
func (w *Workflow) closeHandover(ctx context.Context) {
	items := w.handover.close()
	w.release(context.WithoutCancel(ctx), items)
	w.handover.done(items)
}

// The places of the values of a queued outbox row (queue's order, the
// columns insertOutbox names), and their number, outboxCols; a handed-over
// row has three more (handedCols).
const (
	outboxCase = iota
	outboxKind
	outboxFrom
	outboxTo
	outboxMessageID
	outboxRaw
	outboxState
	outboxLastError
	outboxAutomatic
	outboxDue
	outboxCreated
	outboxCols
	handedCols = outboxCols + 3
)

// insertOutboxCols names the columns of a queued outbox row, in queue's
// order; a handed-over row adds its three.
const insertOutboxCols = `INSERT INTO outbox (case_id, kind, mail_from, rcpt_to, message_id, raw,
	state, last_error, automatic, next_attempt_at, created_at`

// insertOutbox writes rows (outboxCols values each, as queue makes them)
// and records their ids by Message-ID in ids. The rows that may be sent
// now are written claimed, with their attempts, and kept for the hand-over
// when it has room (b may be nil: no hand-over).
func (b *handoverBatch) insertOutbox(ctx context.Context, db Database, rows [][]any, ids map[string]int64) error {
	handed := b.pick(ctx, rows)
	if handed == nil {
		var got []struct {
			ID        int64  `db:"id"`
			MessageID string `db:"message_id"`
		}
		args := make([]any, 0, outboxCols*len(rows))
		for _, r := range rows {
			args = append(args, r...)
		}
		if err := db.Select(ctx, &got, insertOutboxCols+`) VALUES `+valueRows(len(rows), outboxCols)+` RETURNING id, message_id`,
			args...); err != nil {
			return queueErr(len(rows), err)
		}
		for _, r := range got {
			ids[r.MessageID] = r.ID
		}
		return nil
	}
	args := make([]any, 0, handedCols*len(rows))
	for i, r := range rows {
		if handed[i] {
			args = append(append(append(args, r[:outboxState]...), OutboxSending), r[outboxState+1:]...)
			args = append(args, 1, b.until, b.session)
		} else {
			args = append(append(args, r...), 0, nil, nil)
		}
	}
	cols := insertOutboxCols + `, attempts, claimed_until, claimed_by) VALUES ` + valueRows(len(rows), handedCols)
	var got []struct {
		ID        int64  `db:"id"`
		MessageID string `db:"message_id"`
		Attempt   int64  `db:"attempt"`
	}
	now := b.w.clock.Now()
	if db.ModifyingCTEs() {
		// One statement: the rows and the attempts of those handed over.
		if err := db.Select(ctx, &got, `WITH o AS (`+cols+` RETURNING id, message_id, attempts, claimed_by),
			a AS (INSERT INTO outbox_attempts (outbox_id, attempt, session, started_at, outcome)
				SELECT id, attempts, claimed_by, ?, ? FROM o WHERE claimed_by IS NOT NULL RETURNING id, outbox_id)
			SELECT o.id, o.message_id, COALESCE(a.id, 0) AS attempt FROM o LEFT JOIN a ON a.outbox_id = o.id`,
			append(args, now, AttemptSending)...); err != nil {
			return queueErr(len(rows), err)
		}
	} else if err := db.Select(ctx, &got, cols+` RETURNING id, message_id, 0 AS attempt`, args...); err != nil {
		return queueErr(len(rows), err)
	}
	byMsgID := make(map[string]int, len(got))
	for i, r := range got {
		ids[r.MessageID] = r.ID
		byMsgID[r.MessageID] = i
	}
	items := make([]outboxItem, 0, len(rows))
	for i, r := range rows {
		if !handed[i] {
			continue
		}
		g, ok := byMsgID[r[outboxMessageID].(string)]
		if !ok {
			return queueErr(len(rows), errNoRow)
		}
		items = append(items, outboxItem{
			ID: got[g].ID, CaseID: r[outboxCase].(sql.NullInt64), Kind: r[outboxKind].(string), MailFrom: r[outboxFrom].(string), RcptTo: r[outboxTo].(string),
			Attempts: 1, Raw: r[outboxRaw].([]byte), session: b.session, attempt: got[g].Attempt, claimedUntil: b.until,
		})
	}
	if !db.ModifyingCTEs() {
		if err := insertAttempts(ctx, db, items, now); err != nil {
			return err
		}
	}
	b.items = append(b.items, items...)
	return nil
}

// pick chooses the rows to hand over: queued and due now (not held by the
// loop breaker), of at most inlineRaw bytes, while the bound has room. It
// returns nil when none is.
func (b *handoverBatch) pick(ctx context.Context, rows [][]any) []bool {
	if b == nil {
		return nil
	}
	now := b.w.clock.Now()
	var handed []bool
	for i, r := range rows {
		if !handable(r, now) || !b.sessionKnown(ctx, now) || !b.reserve(len(r[outboxRaw].([]byte))) {
			continue
		}
		if handed == nil {
			handed = make([]bool, len(rows))
		}
		handed[i] = true
	}
	return handed
}

// handable reports whether an outbox row as queue makes it may go now.
func handable(r []any, now time.Time) bool {
	if len(r) != outboxCols {
		return false
	}
	state, _ := r[outboxState].(string)
	due, ok := r[outboxDue].(time.Time)
	raw, isRaw := r[outboxRaw].([]byte)
	_, isID := r[outboxMessageID].(string)
	_, isCase := r[outboxCase].(sql.NullInt64)
	_, isKind := r[outboxKind].(string)
	_, isFrom := r[outboxFrom].(string)
	_, isTo := r[outboxTo].(string)
	return state == OutboxQueued && ok && !due.After(now) && isRaw && len(raw) <= inlineRaw &&
		isID && isCase && isKind && isFrom && isTo
}

// sessionKnown asks for this daemon's session once per group; without it
// nothing is handed over.
func (b *handoverBatch) sessionKnown(ctx context.Context, now time.Time) bool {
	if b.session != 0 || b.noSession {
		return !b.noSession
	}
	s, err := b.w.db.Session(ctx)
	if err != nil {
		b.noSession = true
		b.w.log.Warn("outbox: no session to claim a group's mail with; it is queued", "err", err)
		return false
	}
	b.session, b.until = s, now.Add(claimTTL)
	return true
}

// errNoRow: an inserted outbox row did not come back.
var errNoRow = errors.New("a row written was not returned")

func queueErr(n int, err error) error {
	return fmt.Errorf("workflow: queue %d mails: %w", n, err)
}
