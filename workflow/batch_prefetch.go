package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// A grouped batch (ProcessGroup) answers the checks its messages each make
// from what it read for all of them at its start, with two statements
// instead of one per check and message: is the message a copy of one on
// record (duplicateOf); has its sender opened the most cases allowed, and
// were the handlers told (overCaseLimit); how much automatic mail went to a
// recipient and about a case (holdBack). The answers stay exact within the group: what
// its messages record, open and queue is added to them as it happens, so a
// second complaint from the same sender counts the first, and the same mail
// twice in one batch is a duplicate. A check the prefetch cannot answer (an
// address or a case it did not read, a window that moved too far) asks the
// database as it does outside a group.

// prefetchHorizon is how far the checks' windows may move on, after the
// prefetch, before they ask the database again: rows that may leave a
// window within it are read one by one, later rows only counted.
const prefetchHorizon = 5 * time.Minute

// farFuture bounds the counts of cases opened in the group: every row is
// kept, so they hold for any window.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// windowCount counts the rows of one key (a sender's cases, a recipient's
// automatic mail) created after a moving bound, exactly for any bound from
// lo to hi: after counts those after hi, at holds the times of those
// between.
type windowCount struct {
	lo, hi time.Time
	after  int64
	at     []time.Time
}

// count is the number of rows created after since; ok is false when since
// lies outside the bounds the counts hold for.
func (c *windowCount) count(since time.Time) (n int64, ok bool) {
	if c == nil {
		return 0, false
	}
	since = since.Round(0) // the wall clock, as the database compares
	if since.Before(c.lo) || since.After(c.hi) {
		return 0, false
	}
	n = c.after
	for _, t := range c.at {
		if t.After(since) {
			n++
		}
	}
	return n, true
}

// add counts a row created at t.
func (c *windowCount) add(t time.Time) {
	if c == nil {
		return
	}
	switch t = t.Round(0); {
	case t.After(c.hi):
		c.after++
	case t.After(c.lo):
		c.at = append(c.at, t)
	}
}

// groupChecks is what a group read for its checks, kept up to date.
type groupChecks struct {
	// off: something changed what the counts count (an anonymisation):
	// every check asks the database.
	off bool
	// asked are the Message-IDs looked up; dups the inbound messages on
	// record with them, by Message-ID and body digest, with their case.
	asked map[string]bool
	dups  map[[2]string]*Case
	// senders: cases by complainant address; held: new cases held back
	// by sender; rcpts: automatic mail by recipient; cases: automatic mail
	// about the cases the group opened.
	senders, held, rcpts map[string]*windowCount
	cases                map[int64]*windowCount
}

type groupChecksKey struct{}

func groupChecksOf(ctx context.Context) *groupChecks {
	g, _ := ctx.Value(groupChecksKey{}).(*groupChecks)
	if g == nil || g.off {
		return nil
	}
	return g
}

// withGroupChecks reads what the checks of the members' messages need, in
// the group's transaction before anything of it is written.
func (w *Workflow) withGroupChecks(ctx context.Context, group []groupMember) (context.Context, error) {
	g := &groupChecks{asked: map[string]bool{}, dups: map[[2]string]*Case{},
		senders: map[string]*windowCount{}, held: map[string]*windowCount{}, rcpts: map[string]*windowCount{},
		cases: map[int64]*windowCount{}}
	var ids, addrs []any
	seen := map[string]bool{}
	for _, gm := range group {
		if id := gm.m.MessageID(); id != "" && !g.asked[id] {
			g.asked[id] = true
			ids = append(ids, id)
		}
		// Whom apply takes for the sender: From, or failing that Reply-To.
		for _, a := range []string{addressOf(gm.m.From()), addressOf(gm.m.ReplyTo())} {
			if a != "" && !seen[a] {
				seen[a] = true
				addrs = append(addrs, a)
			}
		}
	}
	if len(ids) > 0 {
		var rows []struct {
			MessageID string `db:"message_id"`
			Body      string `db:"body_sha256"`
			Reference string `db:"reference"`
		}
		if err := w.db.Select(ctx, &rows, `SELECT m.message_id, m.body_sha256, c.reference FROM `+valuesTable(len(ids))+`
			JOIN messages m ON m.message_id = v.column1 JOIN cases c ON c.id = m.case_id
			WHERE m.direction = ? ORDER BY m.id`, append(ids, DirIn)...); err != nil {
			return ctx, fmt.Errorf("workflow: group checks: duplicates: %w", err)
		}
		for _, r := range rows {
			if k := [2]string{r.MessageID, r.Body}; g.dups[k] == nil {
				g.dups[k] = &Case{Reference: r.Reference}
			}
		}
	}
	if len(addrs) > 0 {
		if err := w.prefetchCounts(ctx, g, addrs); err != nil {
			return ctx, err
		}
	}
	return context.WithValue(ctx, groupChecksKey{}, g), nil
}

// prefetchCounts reads, for the addresses, the cases they opened and the
// new cases of theirs held back in the flood window and the automatic mail
// sent to them in the breaker's, in one statement: one row per case or mail that may leave its window within the
// horizon, one count per address of the later ones.
func (w *Workflow) prefetchCounts(ctx context.Context, g *groupChecks, addrs []any) error {
	now := w.clock.Now().Round(0)
	in := placeholders(len(addrs))
	values := valuesTable(len(addrs))
	floodLo := now.Add(-w.set.Flood.NewCasesWindow)
	breakerLo := now.Add(-w.set.Breaker.Window)
	floodHi, breakerHi := floodLo.Add(prefetchHorizon), breakerLo.Add(prefetchHorizon)
	// The counts of the later rows are bounded above too, far beyond any
	// real row: PostgreSQL without statistics (autovacuum off, a young
	// table) takes an IN list of 100 addresses for half the table and an
	// open "> ?" for a third of that, and scanned all of cases and outbox
	// for every group (16.8 ms a group at 5,000 complaints); a range of two
	// bounds it estimates as small, and the (address, created_at) indexes
	// serve it.
	far := now.AddDate(farAhead, 0, 0)
	var args []any
	args = append(append(args, addrs...), floodLo, floodHi)
	args = append(append(args, addrs...), floodHi, far)
	args = append(append(append(args, throttledNewCase), addrs...), floodLo, floodHi)
	args = append(append(append(args, throttledNewCase), addrs...), floodHi, far)
	args = append(append(args, addrs...), true, breakerLo, breakerHi)
	args = append(append(args, addrs...), true, breakerHi, far)
	var rows []struct {
		K int          `db:"k"`
		A string       `db:"a"`
		T sql.NullTime `db:"t"`
		N int64        `db:"n"`
	}
	// The first branch names created_at itself: SQLite types the column by it.
	if err := w.db.Select(ctx, &rows, `SELECT 0 AS k, complainant_email AS a, created_at AS t, 1 AS n FROM cases
			WHERE complainant_email IN (`+in+`) AND created_at > ? AND created_at <= ?
		UNION ALL SELECT 0, complainant_email, NULL, COUNT(*) FROM cases
			WHERE complainant_email IN (`+in+`) AND created_at > ? AND created_at <= ? GROUP BY complainant_email
		UNION ALL SELECT 2, address, at, 1 FROM throttled
			WHERE kind = ? AND address IN (`+in+`) AND at > ? AND at <= ?
		UNION ALL SELECT 2, address, NULL, COUNT(*) FROM throttled
			WHERE kind = ? AND address IN (`+in+`) AND at > ? AND at <= ? GROUP BY address
		UNION ALL SELECT 1, rcpt_to, created_at, 1 FROM `+values+` JOIN outbox ON rcpt_to = v.column1
			WHERE automatic = ? AND created_at > ? AND created_at <= ?
		UNION ALL SELECT 1, rcpt_to, NULL, COUNT(*) FROM `+values+` JOIN outbox ON rcpt_to = v.column1
			WHERE automatic = ? AND created_at > ? AND created_at <= ? GROUP BY rcpt_to`, args...); err != nil {
		return fmt.Errorf("workflow: group checks: counts: %w", err)
	}
	for _, a := range addrs {
		g.senders[a.(string)] = &windowCount{lo: floodLo, hi: floodHi}
		g.held[a.(string)] = &windowCount{lo: floodLo, hi: floodHi}
		g.rcpts[a.(string)] = &windowCount{lo: breakerLo, hi: breakerHi}
	}
	for _, r := range rows {
		c := [...]map[string]*windowCount{g.senders, g.rcpts, g.held}[r.K][r.A]
		switch {
		case c == nil:
			// An address the database matched other than as asked (a
			// collation): that key is left to the database.
			delete(g.senders, r.A)
			delete(g.held, r.A)
			delete(g.rcpts, r.A)
		case r.T.Valid:
			c.at = append(c.at, r.T.Time.Round(0))
		default:
			c.after += r.N
		}
	}
	return nil
}

// farAhead is how many years past now the counts of later rows look: no
// row is dated that far ahead (a clock set wrong by decades aside).
const farAhead = 100

// addressOf is the lower-cased first address of a list, as apply takes it.
func addressOf(l []*mail.Address) string {
	if a := firstAddress(l); a != nil {
		return strings.ToLower(a.Address)
	}
	return ""
}

// groupDuplicate answers duplicateOf within a group; ok is false when the
// group did not read the Message-ID.
func groupDuplicate(ctx context.Context, id, body string) (ref string, dup, ok bool) {
	g := groupChecksOf(ctx)
	if g == nil || !g.asked[id] {
		return "", false, false
	}
	if c := g.dups[[2]string{id, body}]; c != nil {
		return c.Reference, true, true
	}
	return "", false, true
}

// noteInbound adds an inbound message recorded on c to the group's checks.
func noteInbound(ctx context.Context, c *Case, in Message) {
	if g := groupChecksOf(ctx); g != nil && g.asked[in.MessageID] {
		if k := [2]string{in.MessageID, in.BodySHA256}; g.dups[k] == nil {
			g.dups[k] = c // its reference as it stands when asked
		}
	}
}

// noteCaseOpened adds a case the group opened to its checks: one more for
// its complainant, and no automatic mail yet about it.
func noteCaseOpened(ctx context.Context, c *Case) {
	if g := groupChecksOf(ctx); g != nil {
		g.senders[c.ComplainantEmail].add(c.CreatedAt)
		g.cases[c.ID] = &windowCount{hi: farFuture}
	}
}

// casesOpenedSince counts the cases sender opened after since.
func (w *Workflow) casesOpenedSince(ctx context.Context, sender string, since time.Time) (int64, error) {
	if n, ok := groupChecksOf(ctx).sendersCount(sender, since); ok {
		return n, nil
	}
	var opened int64
	if err := w.db.Get(ctx, &opened, `SELECT COUNT(*) FROM cases WHERE complainant_email = ? AND created_at > ?`,
		sender, since); err != nil {
		return 0, fmt.Errorf("workflow: case limit: %w", err)
	}
	return opened, nil
}

// heldSince counts the new cases of sender held back after since.
func (w *Workflow) heldSince(ctx context.Context, sender string, since time.Time) (int64, error) {
	if g := groupChecksOf(ctx); g != nil {
		if n, ok := g.held[sender].count(since); ok {
			return n, nil
		}
	}
	var held int64
	if err := w.db.Get(ctx, &held, `SELECT COUNT(*) FROM throttled WHERE kind = ? AND address = ? AND at > ?`,
		throttledNewCase, sender, since); err != nil {
		return 0, fmt.Errorf("workflow: case limit: %w", err)
	}
	return held, nil
}

// noteThrottled adds a new case held back to the group's checks.
func noteThrottled(ctx context.Context, kind, address string, now time.Time) {
	if g := groupChecksOf(ctx); g != nil && kind == throttledNewCase {
		g.held[address].add(now)
	}
}

func (g *groupChecks) sendersCount(sender string, since time.Time) (int64, bool) {
	if g == nil {
		return 0, false
	}
	return g.senders[sender].count(since)
}

// breakerCounts counts the automatic mail about a case (0: none) and to
// each recipient created after since: from the group's checks where they
// answer, with one statement for the rest.
func (w *Workflow) breakerCounts(ctx context.Context, caseID int64, rcpts []string, since time.Time) (perCase int64, perRcpt map[string]int64, err error) {
	perRcpt = make(map[string]int64, len(rcpts))
	g := groupChecksOf(ctx)
	askCase := true
	if g != nil {
		// No case has id 0: its count is known to be nil.
		if n, ok := g.cases[caseID].count(since); ok || caseID == 0 {
			perCase, askCase = n, false
		}
	}
	var selects []string
	var args []any
	if askCase {
		selects = append(selects, `0 AS i, (SELECT COUNT(*) FROM outbox WHERE case_id = ? AND created_at > ? AND automatic = ?) AS n`)
		args = append(args, caseID, since, true)
	}
	var asked []string
	for _, rcpt := range rcpts {
		if g != nil {
			if n, ok := g.rcpts[rcpt].count(since); ok {
				perRcpt[rcpt] = n
				continue
			}
		}
		asked = append(asked, rcpt)
		sel := fmt.Sprintf(`%d, (SELECT COUNT(*) FROM outbox WHERE rcpt_to = ? AND created_at > ? AND automatic = ?)`, len(asked))
		if len(selects) == 0 {
			sel = fmt.Sprintf(`%d AS i, (SELECT COUNT(*) FROM outbox WHERE rcpt_to = ? AND created_at > ? AND automatic = ?) AS n`, len(asked))
		}
		selects = append(selects, sel)
		args = append(args, rcpt, since, true)
	}
	if len(selects) == 0 {
		return perCase, perRcpt, nil
	}
	var counts []struct {
		I int   `db:"i"`
		N int64 `db:"n"`
	}
	if err := w.db.Select(ctx, &counts, `SELECT `+strings.Join(selects, ` UNION ALL SELECT `), args...); err != nil {
		return 0, nil, fmt.Errorf("workflow: loop breaker: %w", err)
	}
	for _, c := range counts {
		if c.I == 0 {
			perCase = c.N
		} else {
			perRcpt[asked[c.I-1]] = c.N
		}
	}
	return perCase, perRcpt, nil
}

// noteQueued adds the automatic mail of drafts, about to be queued at now,
// to the group's checks.
func noteQueued(ctx context.Context, drafts []draft, now time.Time) {
	g := groupChecksOf(ctx)
	if g == nil {
		return
	}
	for _, d := range drafts {
		if d.auto == "" {
			continue
		}
		if d.c != nil {
			g.cases[d.c.ID].add(now)
		}
		g.rcpts[strings.ToLower(d.to.Address)].add(now)
	}
}

// forgetGroupChecks makes the group's checks ask the database from now on:
// something changed what they count.
func forgetGroupChecks(ctx context.Context) {
	if g, _ := ctx.Value(groupChecksKey{}).(*groupChecks); g != nil {
		g.off = true
	}
}
