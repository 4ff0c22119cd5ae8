package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Writing a group's kept rows (batch_writes.go), and claiming its ledger
// entries, with one statement per table.

// maxVariables bounds the values of one statement: SQLite allows 32,766
// (PostgreSQL 65,535).
const maxVariables = 32766

// rowsPer is how many rows of cols values one statement writes.
func rowsPer(cols int) int { return min(1000, maxVariables/cols) }

// flush writes what the group kept at its end: flushKept, and the claim of
// every entry not written yet.
func (b *groupWrites) flush(ctx context.Context) error {
	for id := range b.unmarked {
		b.entry(id)
	}
	return b.flushKept(ctx)
}

// flushKept writes what the group kept, in the order the foreign keys need:
// cases, their participants and the ledger entries' changes (which name
// cases), then the outbox and the messages (which name outbox rows). The
// first three need no mail: while they are written, the mail still
// rendering on other cores (render_jobs.go) goes on, and only then does the
// group wait for it.
func (b *groupWrites) flushKept(ctx context.Context) error {
	if len(b.cases)+len(b.parts)+len(b.outbox)+len(b.messages)+len(b.ledger) == 0 {
		return nil
	}
	if err := b.flushCases(ctx); err != nil {
		return err
	}
	if err := b.flushParticipants(ctx); err != nil {
		return err
	}
	if err := b.flushLedger(ctx); err != nil {
		return err
	}
	if err := b.renderPending(); err != nil {
		return err
	}
	outboxIDs, err := b.flushOutbox(ctx)
	if err != nil {
		return err
	}
	return b.flushMessages(ctx, outboxIDs)
}

// inChunks runs write for successive parts of n rows of cols values each.
func inChunks(n, cols int, write func(from, to int) error) error {
	for from := 0; from < n; from += rowsPer(cols) {
		if err := write(from, min(n, from+rowsPer(cols))); err != nil {
			return err
		}
	}
	return nil
}

func (b *groupWrites) flushCases(ctx context.Context) error {
	err := inChunks(len(b.cases), 15, func(from, to int) error {
		args := make([]any, 0, 15*(to-from))
		for _, c := range b.cases[from:to] {
			args = append(args, c.ID, c.Reference, c.Status, c.Kind, c.Committee, c.ComplainantName, c.ComplainantEmail, c.Subject,
				c.Location, c.Assignee, c.Language, c.ReceivedAt, c.DeadlineAt, c.CreatedAt, c.UpdatedAt)
		}
		if _, err := b.db.Exec(ctx, `INSERT INTO cases (id, reference, status, kind, committee, complainant_name,
			complainant_email, subject, location, assignee, language, received_at, deadline_at, created_at, updated_at)
			VALUES `+valueRows(to-from, 15), args...); err != nil {
			return fmt.Errorf("workflow: insert %d cases: %w", to-from, err)
		}
		return nil
	})
	b.cases = b.cases[:0]
	return err
}

func (b *groupWrites) flushParticipants(ctx context.Context) error {
	err := inChunks(len(b.parts), 6, func(from, to int) error {
		args := make([]any, 0, 6*(to-from))
		for _, p := range b.parts[from:to] {
			args = append(args, p.ID, p.CaseID, p.Role, p.Email, p.Name, p.CreatedAt)
		}
		if _, err := b.db.Exec(ctx, `INSERT INTO participants (id, case_id, role, email, name, created_at) VALUES `+
			valueRows(to-from, 6), args...); err != nil {
			return fmt.Errorf("workflow: add %d participants: %w", to-from, err)
		}
		return nil
	})
	b.parts = b.parts[:0]
	return err
}

// outboxChunkBytes bounds the mail bytes of one outbox insert. lib/pq
// builds a statement's parameters in a buffer that starts at 512 bytes and
// grows by appending, a quarter more each time once large: a statement of
// megabytes costs more in copying and fresh pages than the round trips
// that smaller ones add.
const outboxChunkBytes = 256 << 10

// flushOutbox writes the outbox rows and returns their ids by Message-ID.
// Mail that may go now is written claimed, for the group to hand to the
// outbox once it commits (outbox_handover.go).
func (b *groupWrites) flushOutbox(ctx context.Context) (map[string]int64, error) {
	ids := make(map[string]int64, len(b.outbox))
	hand := handoverOf(ctx)
	err := inChunks(len(b.outbox), handedCols, func(from, to int) error {
		// Split again so no statement carries more than outboxChunkBytes
		// of mail.
		for from < to {
			end, size := from, 0
			for end < to && (end == from || size+len(b.outbox[end][outboxRaw].([]byte)) <= outboxChunkBytes) {
				size += len(b.outbox[end][outboxRaw].([]byte))
				end++
			}
			if err := hand.insertOutbox(ctx, b.db, b.outbox[from:end], ids); err != nil {
				return err
			}
			from = end
		}
		return nil
	})
	b.outbox = b.outbox[:0]
	return ids, err
}

func (b *groupWrites) flushMessages(ctx context.Context, outboxIDs map[string]int64) error {
	err := inChunks(len(b.messages), 17, func(from, to int) error {
		args := make([]any, 0, 17*(to-from))
		for _, k := range b.messages[from:to] {
			m := k.m
			if k.inOutbox {
				id, ok := outboxIDs[m.MessageID]
				if !ok {
					return fmt.Errorf("workflow: message %s: no outbox row", m.MessageID)
				}
				m.OutboxID.Int64, m.OutboxID.Valid = id, true
			}
			args = append(args, m.CaseID, m.Direction, m.Kind, m.MessageID, m.InReplyTo, m.Refs, m.FromAddr, m.ToAddr, m.Subject,
				m.BodySHA256, m.FullText, m.NewText, m.Attachments, m.LedgerID, m.OutboxID, m.CreatedAt, m.Unverified)
		}
		if _, err := b.db.Exec(ctx, `INSERT INTO messages (case_id, direction, kind, message_id, in_reply_to, refs,
			from_addr, to_addr, subject, body_sha256, full_text, new_text, attachments, ledger_id, outbox_id, created_at, unverified)
			VALUES `+valueRows(to-from, 17), args...); err != nil {
			return fmt.Errorf("workflow: insert %d messages: %w", to-from, err)
		}
		return nil
	})
	b.messages = b.messages[:0]
	return err
}

// flushLedger writes the entries' cases and settled states: one UPDATE
// choosing each entry's values with CASE (the same SQL on both engines).
// A member's claim (claimGroup) is written here too, with its first other
// change: one new version of the row (raw bytes and all, and an entry in
// each of the ledger's indexes) instead of one for the claim and another
// for its case and outcome.
func (b *groupWrites) flushLedger(ctx context.Context) error {
	ids := make([]int64, 0, len(b.ledger))
	for id := range b.ledger {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	err := inChunks(len(ids), 9, func(from, to int) error {
		part := ids[from:to]
		var cases, states, reasons, ats, in []any
		for _, id := range part {
			e := b.ledger[id]
			if b.unmarked[id] {
				if e.state == "" {
					e.state, e.reason, e.at = LedgerProcessed, "", b.claimedAt
				}
				delete(b.unmarked, id)
			}
			if e.caseID != 0 {
				cases = append(cases, id, e.caseID)
			}
			if e.state != "" {
				states = append(states, id, e.state)
				reasons = append(reasons, id, e.reason)
				ats = append(ats, id, e.at)
			}
			in = append(in, id)
		}
		var sets []string
		var args []any
		set := func(col string, pairs []any) {
			switch {
			case len(pairs) == 0:
			case len(pairs) == 2*len(part) && sameValues(pairs):
				// Every entry takes the same value (all processed, at
				// the same moment): a plain SET the server need not
				// match id by id.
				sets = append(sets, col+" = ?")
				args = append(args, pairs[1])
			default:
				sets = append(sets, col+" = CASE id"+strings.Repeat(" WHEN ? THEN ?", len(pairs)/2)+" ELSE "+col+" END")
				args = append(args, pairs...)
			}
		}
		set("case_id", cases)
		set("state", states)
		set("reason", reasons)
		set("updated_at", ats)
		args = append(args, in...)
		n, err := b.db.Exec(ctx, `UPDATE ledger SET `+strings.Join(sets, ", ")+` WHERE id IN (`+placeholders(len(in))+`)`, args...)
		if err == nil && n != int64(len(in)) {
			err = fmt.Errorf("%d of %d entries changed", n, len(in))
		}
		if err != nil {
			return fmt.Errorf("workflow: ledger of %d messages: %w", len(in), err)
		}
		return nil
	})
	clear(b.ledger)
	return err
}

// claimGroup is claimEntry for every member of a group with one statement:
// each entry is locked until the group's transaction ends (marking it
// processed is kept for flushLedger: withGroupWrites), and mapped to the
// first entry with the same bytes dealt with before it — outside the group,
// or a member earlier in the group, which is processed or ignored by the
// time the later one is acted on.
// errSettled: an entry is not pending any more, or another daemon holds it
// (SkipLocked: not waited for; one at a time, claimEntry waits and then
// finds it settled or still pending).
func claimGroup(ctx context.Context, db Database, group []groupMember) (map[int64]int64, error) {
	ids := make([]any, len(group))
	for i, g := range group {
		ids[i] = g.e.ID
	}
	args := append(append(append(append([]any{}, ids...), LedgerProcessed, LedgerIgnored), ids...), LedgerPending)
	var rows []struct {
		ID     int64  `db:"id"`
		Sum    string `db:"sha256"`
		SameAs int64  `db:"same_as"`
	}
	// A locking read, not an UPDATE: on PostgreSQL every UPDATE of the row
	// copies it whole (its raw bytes inline) and adds it to every index, as
	// the state it changes is indexed (ledger_state).
	err := db.Select(ctx, &rows, `SELECT id, sha256, COALESCE((SELECT d.id FROM ledger d WHERE d.sha256 = ledger.sha256 AND d.mailbox = ledger.mailbox
			AND d.id NOT IN (`+placeholders(len(ids))+`) AND d.state IN (?, ?) ORDER BY d.id LIMIT 1), 0) AS same_as
		FROM ledger WHERE id IN (`+placeholders(len(ids))+`) AND state = ?`+db.SkipLocked(), args...)
	if err != nil {
		return nil, fmt.Errorf("workflow: claim %d ledger entries: %w", len(group), err)
	}
	if len(rows) != len(group) {
		return nil, errSettled
	}
	got := make(map[int64]int, len(rows))
	for i, r := range rows {
		got[r.ID] = i
	}
	claims := make(map[int64]int64, len(group))
	first := map[string]int64{} // the lowest id of the members so far with these bytes
	for _, g := range group {
		i, ok := got[g.e.ID]
		if !ok {
			return nil, errors.Join(errSettled, fmt.Errorf("workflow: ledger %d: not claimed", g.e.ID))
		}
		r := rows[i]
		sameAs := r.SameAs
		if f, ok := first[r.Sum]; ok {
			if sameAs == 0 || f < sameAs {
				sameAs = f
			}
			first[r.Sum] = min(f, r.ID)
		} else {
			first[r.Sum] = r.ID
		}
		claims[g.e.ID] = sameAs
	}
	return claims, nil
}

// sameValues reports whether the values of id-value pairs are all equal.
func sameValues(pairs []any) bool {
	for i := 3; i < len(pairs); i += 2 {
		if pairs[i] != pairs[1] {
			return false
		}
	}
	return true
}
