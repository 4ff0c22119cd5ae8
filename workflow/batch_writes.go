package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A grouped batch (ProcessGroup) keeps the rows its messages write to
// cases, participants, messages and outbox, and its changes to their ledger
// entries, and writes each table with one statement when the group is done,
// instead of one or more statements per message (issue 14).
//
// Correct by construction: any other statement run in the group's
// transaction (a lookup, an update of a case) first writes what is kept, so
// whatever runs sees every earlier write of the group, just as when each
// message wrote its rows at once. The common path (a new complaint, a reply
// to a case opened in the same batch) only adds rows, and is written in sets.
//
// The ids a message needs before its rows are written (its case's, and the
// participants' that its reply tokens name) come from blocks reserved with
// one statement (Database.IDBlock).

// groupDB is the workflow's database: inside a group it writes the group's
// kept rows before any statement that is not the group's own.
type groupDB struct{ Database }

func (d groupDB) Get(ctx context.Context, dest any, q string, args ...any) error {
	if err := beforeStatement(ctx, q); err != nil {
		return err
	}
	return d.Database.Get(ctx, dest, q, args...)
}

func (d groupDB) Select(ctx context.Context, dest any, q string, args ...any) error {
	if err := beforeStatement(ctx, q); err != nil {
		return err
	}
	return d.Database.Select(ctx, dest, q, args...)
}

func (d groupDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if err := beforeStatement(ctx, q); err != nil {
		return 0, err
	}
	return d.Database.Exec(ctx, q, args...)
}

// unwrapDB is the database under groupDB: the group writes its rows there.
func unwrapDB(db Database) Database {
	if g, ok := db.(groupDB); ok {
		return g.Database
	}
	return db
}

// groupWrites is what a group has written but not yet sent to the database.
type groupWrites struct {
	db Database // the database itself, not groupDB
	// left is how many messages of the group are still to be acted on,
	// this one included: what the next block of ids is sized for.
	left int
	// perMessage is how many participants a new case may take.
	perMessage int
	// claims maps each member's ledger entry to the earlier entry with the
	// same bytes (0 if none), as claimEntry reports it.
	claims map[int64]int64
	// free are reserved ids per table not handed out yet.
	free map[string][]int64
	// partsOf are the participants (address → id) of the cases this group
	// opened: every one of them was added through the group.
	partsOf map[int64]map[string]int64

	cases    []Case
	parts    []Participant
	outbox   [][]any // queue's outboxCols values per row
	messages []keptMessage
	ledger   map[int64]*ledgerWrite
	// renders is the mail of the kept outbox rows not rendered yet: the
	// rows wait for its bytes, and the messages recording it for its
	// subject (renderPending).
	renders []*renderJob
	ahead   renderAhead // renders them meanwhile
	// unmarked are the members whose claim (state processed, at claimedAt)
	// is not written yet: nothing in the group's transaction reads a
	// member's state, so it waits for the entry's next change (flushLedger)
	// or the group's end (flush), and each entry is written once.
	unmarked  map[int64]bool
	claimedAt time.Time
}

// keptMessage is a message row; outbound ones take the id of the outbox row
// with their Message-ID when written.
type keptMessage struct {
	m        Message
	inOutbox bool
}

// ledgerWrite is what a group changes on one ledger entry after its claim.
type ledgerWrite struct {
	caseID        int64  // 0: unchanged
	state, reason string // state "": unchanged
	at            time.Time
}

type groupWritesKey struct{}

func groupWritesOf(ctx context.Context) *groupWrites {
	b, _ := ctx.Value(groupWritesKey{}).(*groupWrites)
	return b
}

// withGroupWrites claims the group's ledger entries with one statement and
// makes the writes under ctx kept for flush. errSettled: an entry is not
// pending any more (another daemon took it); the group is then processed
// one message at a time.
func (w *Workflow) withGroupWrites(ctx context.Context, group []groupMember, now time.Time) (context.Context, *groupWrites, error) {
	b := &groupWrites{
		db: unwrapDB(w.db), perMessage: 2 + len(w.set.Handlers),
		free: map[string][]int64{}, partsOf: map[int64]map[string]int64{}, ledger: map[int64]*ledgerWrite{},
	}
	claims, err := claimGroup(ctx, b.db, group)
	if err != nil {
		return ctx, nil, err
	}
	b.claims = claims
	// The claim only locked the entries: "processed" is written with the
	// first other change to each (its case, its outcome), or at the end.
	b.unmarked, b.claimedAt = make(map[int64]bool, len(claims)), now
	for id := range claims {
		b.unmarked[id] = true
	}
	return context.WithValue(ctx, groupWritesKey{}, b), b, nil
}

// beforeStatement writes the group's kept rows before a statement of
// someone else. A statement that writes may insert rows with ids of its
// own choosing (SQLite picks the next after the highest) or change
// participants, so the ids reserved and not handed out are dropped, and the
// participants of the group's cases are asked of the database from then on.
func beforeStatement(ctx context.Context, q string) error {
	b := groupWritesOf(ctx)
	if b == nil {
		return nil
	}
	if err := b.flushKept(ctx); err != nil {
		return err
	}
	if !isRead(q) {
		clear(b.free)
		clear(b.partsOf)
	}
	return nil
}

// isRead reports whether q only reads: a plain SELECT.
func isRead(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// groupClaim is the claim of ledger entry id made at the start of its group.
func groupClaim(ctx context.Context, id int64) (sameAs int64, ok bool) {
	if b := groupWritesOf(ctx); b != nil {
		sameAs, ok = b.claims[id]
	}
	return sameAs, ok
}

// takeID hands out the next reserved id of table, reserving a block first
// when none is left: want for the rest of the group, at least need.
func (b *groupWrites) takeID(ctx context.Context, table string, need, want int) (int64, error) {
	if len(b.free[table]) < need {
		// On SQLite a block starts above what the table holds: what this
		// group handed out of it must be in it first.
		if kept := map[string]int{"cases": len(b.cases), "participants": len(b.parts)}[table]; kept > 0 {
			if err := b.flushKept(ctx); err != nil {
				return 0, err
			}
		}
		var ids []int64
		if err := b.db.Select(ctx, &ids, b.db.IDBlock(table), max(need, want)); err != nil {
			return 0, fmt.Errorf("workflow: reserve %d ids of %s: %w", max(need, want), table, err)
		}
		b.free[table] = ids
	}
	id := b.free[table][0]
	b.free[table] = b.free[table][1:]
	return id, nil
}

// addCase keeps a new case, giving it its id.
func (b *groupWrites) addCase(ctx context.Context, c *Case) error {
	id, err := b.takeID(ctx, "cases", 1, b.left)
	if err != nil {
		return err
	}
	c.ID = id
	b.cases = append(b.cases, *c)
	b.partsOf[id] = map[string]int64{}
	return nil
}

// addParticipants is addParticipants for a case this group opened (ok);
// for any other case the caller asks the database.
func (b *groupWrites) addParticipants(ctx context.Context, caseID int64, ps []Participant, now time.Time) (ids map[string]int64, ok bool, err error) {
	known, ok := b.partsOf[caseID]
	if !ok {
		return nil, false, nil
	}
	ids = map[string]int64{}
	fresh := 0
	for _, p := range ps {
		if _, ok := known[strings.ToLower(p.Email)]; !ok {
			fresh++
		}
	}
	for _, p := range ps {
		email := strings.ToLower(p.Email)
		id, ok := known[email]
		if !ok { // a later role for the same address does not replace the first
			if id, err = b.takeID(ctx, "participants", fresh, b.left*b.perMessage); err != nil {
				return nil, true, err
			}
			fresh--
			known[email] = id
			b.parts = append(b.parts, Participant{ID: id, CaseID: caseID, Role: p.Role, Email: email, Name: p.Name, CreatedAt: now})
		}
		ids[email] = id
	}
	return ids, true, nil
}

// addOutbox keeps queue's outbox rows (outboxCols values each, raw still to be
// rendered), the case messages recording them (subject still to be
// rendered) and the jobs that render them, one per row.
func (b *groupWrites) addOutbox(args []any, out []Message, jobs []*renderJob) {
	base := len(b.messages)
	for i := 0; i+outboxCols <= len(args); i += outboxCols {
		j := jobs[i/outboxCols]
		j.row = args[i : i+outboxCols]
		if j.msg >= 0 {
			j.msg += base
		}
		b.outbox = append(b.outbox, j.row)
	}
	for _, m := range out {
		b.messages = append(b.messages, keptMessage{m: m, inOutbox: true})
	}
	b.renders = append(b.renders, jobs...)
	b.ahead.add(jobs)
}

func (b *groupWrites) entry(id int64) *ledgerWrite {
	e := b.ledger[id]
	if e == nil {
		e = &ledgerWrite{}
		b.ledger[id] = e
	}
	return e
}

// keepMessage keeps an inbound message's row (ok) inside a group. Its ID
// stays 0 until written: nothing the group does reads it.
func keepMessage(ctx context.Context, m Message) bool {
	b := groupWritesOf(ctx)
	if b != nil {
		b.messages = append(b.messages, keptMessage{m: m})
	}
	return b != nil
}

// keepSettle keeps settle's change of a group member's ledger entry (ok).
func keepSettle(ctx context.Context, id int64, state, reason string, now time.Time) bool {
	b := groupWritesOf(ctx)
	if b == nil || !b.isMember(id) {
		return false
	}
	e := b.entry(id)
	e.state, e.reason, e.at = state, reason, now
	return true
}

func (b *groupWrites) isMember(id int64) bool {
	_, ok := b.claims[id]
	return ok
}

// setLedgerCase records the case a message was acted on for.
func setLedgerCase(ctx context.Context, db Database, id, caseID int64) error {
	if b := groupWritesOf(ctx); b != nil && b.isMember(id) {
		b.entry(id).caseID = caseID
		return nil
	}
	if _, err := db.Exec(ctx, `UPDATE ledger SET case_id = ? WHERE id = ?`, caseID, id); err != nil {
		return fmt.Errorf("workflow: ledger %d: %w", id, err)
	}
	return nil
}

// participantsInGroup is addParticipants inside a group, for a case the
// group opened (ok).
func participantsInGroup(ctx context.Context, caseID int64, ps []Participant, now time.Time) (map[string]int64, bool, error) {
	b := groupWritesOf(ctx)
	if b == nil {
		return nil, false, nil
	}
	return b.addParticipants(ctx, caseID, ps, now)
}

// caseInGroup is insertCase inside a group (ok).
func caseInGroup(ctx context.Context, c *Case) (bool, error) {
	b := groupWritesOf(ctx)
	if b == nil {
		return false, nil
	}
	return true, b.addCase(ctx, c)
}

// outboxInGroup keeps queue's rows, and the jobs rendering their mail,
// inside a group (ok).
func outboxInGroup(ctx context.Context, args []any, out []Message, jobs []*renderJob) bool {
	b := groupWritesOf(ctx)
	if b != nil {
		b.addOutbox(args, out, jobs)
	}
	return b != nil
}
