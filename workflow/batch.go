package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// GroupResult is what ProcessGroup made of one message: as ProcessSettled
// returns it.
type GroupResult struct {
	Disposition Disposition
	Settled     Settled
	Err         error
}

// ProcessGroup acts on messages fetched together, each exactly once, in the
// order given: what Process does for each in turn, with a fraction of the
// round trips and commits. The arrivals (and this attempt at each) are
// recorded with one statement and one commit; then the messages are acted on
// in one transaction, which also settles their ledger entries, so the
// ledger and the effects commit together as for a single message. Later
// messages see what earlier ones wrote: a reply finds the case its
// complaint opened a moment before.
//
// If the group's transaction fails (a message that must be quarantined, a
// bug, another daemon that settled one first), nothing of it stays and each
// message is processed alone, so one bad message only costs itself. A
// message that failed before (a second attempt), or that cannot be parsed,
// is processed alone too, in its place in the order.
func (w *Workflow) ProcessGroup(ctx context.Context, ds []Delivery) []GroupResult {
	return w.ArriveGroup(ctx, ds).Act(ctx)
}

// ArrivedGroup is a group of messages whose arrivals ArriveGroup recorded
// (with this attempt at each) and parsed; Act acts on them. The two are
// ProcessGroup in two stages, so that the poller records one group's
// arrivals while the group before is acted on (mailbox.StagedGroupHandlerFunc):
// the arrivals commit on a connection of their own, and depend on nothing
// an earlier group writes. A group of one is recorded and acted on in Act,
// by the single path.
type ArrivedGroup struct {
	w       *Workflow
	ds      []Delivery
	now     time.Time
	entries []ledgerEntry // nil when recording them failed (err) or for a group of one
	err     error
	mails   []Mail // parsed, for the entries a group acts on; nil where parsing failed
}

// ArriveGroup records the arrivals of messages fetched together, and parses
// those a group will act on and works out their foresight (foresight.go).
// What it cannot do is left to Act, which then takes each such message
// alone.
func (w *Workflow) ArriveGroup(ctx context.Context, ds []Delivery) *ArrivedGroup {
	a := &ArrivedGroup{w: w, ds: ds}
	if len(ds) == 1 {
		return a
	}
	a.now = w.clock.Now()
	a.entries, a.err = recordArrivals(ctx, w.db, ds, a.now)
	if a.err != nil {
		return a
	}
	a.mails = make([]Mail, len(ds))
	for i, e := range a.entries {
		if e.grouped() {
			if m, ok := w.parseArrived(ds[i].Raw); ok {
				a.mails[i] = m
			}
		}
	}
	return a
}

// GiveBack undoes the attempt ArriveGroup counted at each message it
// recorded new, for a group the daemon stops before acting on
// (mailbox.StagedGroupHandlerFunc): none was tried, so at the next start
// each has all its attempts left. Without it, every stop during a backlog
// cost the group waiting behind the one being acted on an attempt, and
// with processing.max_attempts = 1 its messages were quarantined untried.
// A kill leaves the count as it is: it may have been the parsing that
// killed the daemon.
func (a *ArrivedGroup) GiveBack(ctx context.Context) error {
	var ids []any
	for _, e := range a.entries {
		if !e.seen && e.State == LedgerPending && e.Attempts == 1 {
			ids = append(ids, e.ID)
		}
	}
	return giveBackAttempts(ctx, a.w.db, ids)
}

// giveBackAttempts undoes the attempt counted at each pending ledger entry
// of ids, for messages a stop interrupted or kept from being tried. The
// stop has cancelled ctx; the statement still runs, briefly.
func giveBackAttempts(ctx context.Context, db Database, ids []any) error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveBackTimeout)
	defer cancel()
	if _, err := db.Exec(ctx, `UPDATE ledger SET attempts = attempts - 1 WHERE id IN (`+placeholders(len(ids))+`)
		AND state = ? AND attempts > 0`, append(ids, LedgerPending)...); err != nil {
		return fmt.Errorf("workflow: give back the attempts of %d messages: %w", len(ids), err)
	}
	return nil
}

// giveBackTimeout bounds giveBackAttempts's statement during a stop.
const giveBackTimeout = 5 * time.Second

// grouped reports whether a group may act on the entry: a new arrival, not
// a second attempt, a settled entry or a reused UID.
func (e ledgerEntry) grouped() bool {
	return !e.seen && e.State == LedgerPending && e.ReusedUID == 0
}

// Act acts on the arrived messages, in their order: the second stage of
// ProcessGroup.
func (a *ArrivedGroup) Act(ctx context.Context) []GroupResult {
	w, ds, now := a.w, a.ds, a.now
	out := make([]GroupResult, len(ds))
	alone := func(i int, e *ledgerEntry, now time.Time) {
		var r GroupResult
		if e == nil {
			r.Disposition, r.Settled, r.Err = w.ProcessSettled(ctx, ds[i])
		} else {
			r.Disposition, r.Settled, r.Err = w.processEntry(ctx, ds[i], *e, now)
		}
		out[i] = r
	}
	if len(ds) == 1 {
		alone(0, nil, time.Time{})
		return out
	}
	if a.err != nil {
		w.log.Warn("recording a group of messages failed; recording them one at a time", "messages", len(ds), "err", a.err)
		for i := range ds {
			alone(i, nil, now)
		}
		return out
	}
	var group []groupMember
	for i := range ds {
		e := a.entries[i]
		if e.seen && e.State == LedgerPending {
			// Offered before and not settled: an earlier attempt failed, or
			// the daemon stopped during it. It is tried alone, its attempt
			// counted by the single path just before it (so if one message
			// kills the daemon, only that one runs out of attempts, not the
			// messages after it in the batch). The group so far goes first,
			// to keep the order.
			w.runGroup(ctx, ds, group, now, out)
			group = group[:0]
			alone(i, nil, now)
			continue
		}
		if !e.grouped() {
			// Settled before, or a reused UID to warn about: the single
			// path knows each case.
			w.runGroup(ctx, ds, group, now, out)
			group = group[:0]
			alone(i, &e, now)
			continue
		}
		if a.mails[i] == nil {
			w.runGroup(ctx, ds, group, now, out)
			group = group[:0]
			alone(i, &e, now) // parses again, and quarantines it with the reason
			continue
		}
		group = append(group, groupMember{i: i, e: e, m: a.mails[i]})
	}
	w.runGroup(ctx, ds, group, now, out)
	return out
}

// groupMember is one message of a group: its place in the input, its ledger
// entry and what the parser made of it.
type groupMember struct {
	i int
	e ledgerEntry
	m Mail
}

// runGroup acts on the members in one transaction, or, when that fails, on
// each alone.
func (w *Workflow) runGroup(ctx context.Context, ds []Delivery, group []groupMember, now time.Time, out []GroupResult) {
	if len(group) == 0 {
		return
	}
	type done struct {
		caseID          int64
		outcome, reason string
	}
	results := make([]done, len(group))
	// The group's mail goes to the outbox only once the group has
	// committed: a group rolled back hands nothing over.
	hand := w.newHandover()
	err := func() (err error) {
		defer func() {
			// A panic rolls the group back (store.InTx) and is caught
			// again, with its attempt counted, on the single path.
			if p := recover(); p != nil {
				err = fmt.Errorf("workflow: panic in a group: %v", p)
			}
		}()
		return w.db.InTx(ctx, func(ctx context.Context) error {
			ctx = context.WithValue(ctx, handoverKey{}, hand)
			ctx, err := w.withGroupChecks(ctx, group) // before anything is written
			if err != nil {
				return err
			}
			ctx, refs := withRefBlock(ctx)
			ctx, events := withEventBuffer(ctx)
			ctx, writes, err := w.withGroupWrites(ctx, group, now)
			if err != nil {
				return err
			}
			for k, g := range group {
				r := &results[k]
				refs.left = len(group) - k
				writes.left = refs.left
				if r.caseID, r.outcome, r.reason, err = w.actOn(ctx, ds[g.i], g.e, g.m, now); err != nil {
					return fmt.Errorf("workflow: ledger %d: %w", g.e.ID, err)
				}
			}
			if err := writes.flush(ctx); err != nil {
				return err
			}
			if err := events.flush(ctx, w.db); err != nil {
				return err
			}
			return refs.giveBack(ctx, w.db)
		})
	}()
	if err != nil {
		hand.abort()
		if stopping := ctx.Err(); stopping != nil {
			// The daemon is stopping: the group was interrupted, and its
			// messages stay for the next start with their attempt given
			// back. Processing them one at a time now would only fail
			// each at once, its attempt spent (with processing.max_attempts
			// = 1, quarantined untried at the next start).
			ids := make([]any, len(group))
			for k, g := range group {
				ids[k] = g.e.ID
				out[g.i] = GroupResult{Err: stopping}
			}
			if err := giveBackAttempts(ctx, w.db, ids); err != nil {
				w.log.Warn("a stop could not give back the attempt of the messages it interrupted", "messages", len(group), "err", err)
			}
			return
		}
		var q quarantined
		if !errors.As(err, &q) && !errors.Is(err, errSettled) {
			w.log.Warn("a group of messages failed; processing them one at a time", "messages", len(group), "err", err)
		}
		for _, g := range group {
			var r GroupResult
			r.Disposition, r.Settled, r.Err = w.processEntry(ctx, ds[g.i], g.e, now)
			out[g.i] = r
		}
		return
	}
	for k, g := range group {
		r := results[k]
		attrs := []any{"ledger", g.e.ID, "mailbox", ds[g.i].Mailbox, "uid", ds[g.i].UID, "outcome", r.outcome, "case", r.caseID}
		if r.reason != "" {
			attrs = append(attrs, "reason", r.reason)
		}
		w.log.Info("message processed", attrs...)
		out[g.i] = GroupResult{Disposition: Done, Settled: Settled{r.outcome, r.reason}}
	}
	hand.commit(ctx)
	w.wakeOutbox()
}

// errGroupShape: the deliveries cannot be recorded with one statement.
var errGroupShape = errors.New("workflow: group spans mailboxes or repeats a UID")

// recordArrivals records messages of one mailbox and UIDVALIDITY with
// distinct UIDs, with one statement (and one before it, to find the entries
// already there): entries come back in the order of ds. A new entry counts
// this attempt at it (attempts 1), as recordArrival does. An entry that was
// there before is marked seen and its attempts are left alone: the caller
// tries it alone, through recordArrival, which counts the attempt just
// before it. Entries settled before are looked up one at a time (a replay
// after a crash between commit and MOVE; rare).
func recordArrivals(ctx context.Context, db Database, ds []Delivery, now time.Time) ([]ledgerEntry, error) {
	type key struct {
		uid int64
		sum string
	}
	sums := make([]string, len(ds))
	uids := make(map[int64]bool, len(ds))
	var q strings.Builder
	q.Grow(200 + 36*len(ds))
	q.WriteString(`INSERT INTO ledger (mailbox, uidvalidity, uid, internal_date, size, sha256, raw,
		state, attempts, created_at, updated_at) VALUES `)
	args := make([]any, 0, 10*len(ds))
	for i, d := range ds {
		if d.Mailbox != ds[0].Mailbox || d.UIDValidity != ds[0].UIDValidity || uids[int64(d.UID)] {
			return nil, errGroupShape
		}
		uids[int64(d.UID)] = true
		sum := sha256.Sum256(d.Raw)
		sums[i] = hex.EncodeToString(sum[:])
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)")
		args = append(args, d.Mailbox, int64(d.UIDValidity), int64(d.UID), d.InternalDate, len(d.Raw), sums[i], d.Raw, LedgerPending, now, now)
	}
	// What the ledger held for these UIDs before: the same bytes are an
	// entry seen before; other bytes under the same UID, the first of them
	// is what a new entry reports as a reused UID.
	var prev []struct {
		ID  int64  `db:"id"`
		UID int64  `db:"uid"`
		Sum string `db:"sha256"`
	}
	pq, pargs := priorEntriesQuery(ds[0].Mailbox, int64(ds[0].UIDValidity), uids)
	if err := db.Select(ctx, &prev, pq, pargs...); err != nil {
		return nil, fmt.Errorf("workflow: ledger: %d arrivals: %w", len(ds), err)
	}
	seen := make(map[key]bool, len(prev))
	for _, p := range prev {
		seen[key{p.UID, p.Sum}] = true
	}
	q.WriteString(` ON CONFLICT (mailbox, uidvalidity, uid, sha256) DO UPDATE SET updated_at = excluded.updated_at
		WHERE ledger.state = 'pending'
		RETURNING id, state, attempts, reason, uid, sha256`)
	var rows []struct {
		ledgerEntry
		UID int64  `db:"uid"`
		Sum string `db:"sha256"`
	}
	if err := db.Select(ctx, &rows, q.String(), args...); err != nil {
		return nil, fmt.Errorf("workflow: ledger: %d arrivals: %w", len(ds), err)
	}
	got := make(map[key]ledgerEntry, len(rows))
	for _, r := range rows {
		got[key{r.UID, r.Sum}] = r.ledgerEntry
	}
	entries := make([]ledgerEntry, len(ds))
	for i, d := range ds {
		k := key{int64(d.UID), sums[i]}
		e, ok := got[k]
		if !ok {
			var err error
			if e, err = recordArrival(ctx, db, d, sums[i], now); err != nil {
				return nil, err
			}
		}
		e.seen = seen[k]
		if !e.seen && e.State == LedgerPending {
			for _, p := range prev {
				if p.UID == k.uid {
					e.ReusedUID = p.ID
					break
				}
			}
		}
		entries[i] = e
	}
	return entries, nil
}

// runGap: UIDs further apart than this are looked up in separate ranges,
// so a range never spans much of the ledger that is not asked for.
const runGap = 32

// priorEntriesQuery looks up the ledger's entries for these UIDs of one
// mailbox and UIDVALIDITY, oldest first. Each run of nearby UIDs gets its
// own uid BETWEEN range besides its IN list: PostgreSQL without fresh
// statistics (autovacuum off, or a young table) estimates a few rows for
// mailbox and uidvalidity alone, so it scanned ledger_key by those two
// columns and filtered on the IN list, reading the whole mailbox's entries
// (with their dead versions) for every group; a range bounds the scan
// whatever the statistics. One branch per run, not one OR of ranges: the
// planner filters an OR just as it filtered the IN list.
func priorEntriesQuery(mailbox string, uidvalidity int64, uids map[int64]bool) (string, []any) {
	sorted := make([]int64, 0, len(uids))
	for u := range uids {
		sorted = append(sorted, u)
	}
	slices.Sort(sorted)
	var q strings.Builder
	args := make([]any, 0, len(sorted)+8)
	for len(sorted) > 0 {
		n := 1
		for n < len(sorted) && sorted[n]-sorted[n-1] <= runGap {
			n++
		}
		run := sorted[:n]
		sorted = sorted[n:]
		if q.Len() > 0 {
			q.WriteString(" UNION ALL ")
		}
		q.WriteString(`SELECT id, uid, sha256 FROM ledger WHERE mailbox = ? AND uidvalidity = ?
			AND uid BETWEEN ? AND ? AND uid IN (` + placeholders(len(run)) + `)`)
		args = append(args, mailbox, uidvalidity, run[0], run[len(run)-1])
		for _, u := range run {
			args = append(args, u)
		}
	}
	q.WriteString(" ORDER BY id")
	return q.String(), args
}
