package workflow

import (
	"context"
	"fmt"
)

// A group of messages acted on in one transaction (ProcessGroup) numbers
// its new cases from one block of references, reserved with one counter
// update instead of one per case; what the group did not use is given back
// before it commits. The counter row stays locked from the reservation
// until the commit (as it did from the first case on), so nobody else
// numbers a case meanwhile, and a group that rolls back gives every number
// back: references keep having no gaps.

// refBlock is a group's reserved references of one year: next up to last.
type refBlock struct {
	year       int
	next, last int
	// left is how many messages of the group are still to be acted on,
	// this one included: the most cases the group can still open.
	left int
}

type refBlockKey struct{}

// withRefBlock gives ctx a block for a group, reserved when the first case
// needs a number.
func withRefBlock(ctx context.Context) (context.Context, *refBlock) {
	b := &refBlock{}
	return context.WithValue(ctx, refBlockKey{}, b), b
}

// blockReference is the next reference of year from the group's block,
// reserving one for the rest of the group when there is none; ok is false
// outside a group.
func blockReference(ctx context.Context, db Database, year int) (ref string, ok bool, err error) {
	b, _ := ctx.Value(refBlockKey{}).(*refBlock)
	if b == nil || b.left <= 0 {
		return "", false, nil
	}
	if b.year != year || b.next > b.last {
		if err := b.giveBack(ctx, db); err != nil {
			return "", true, err
		}
		var last int
		if err := db.Get(ctx, &last, `INSERT INTO reference_counters (year, last) VALUES (?, ?)
			ON CONFLICT (year) DO UPDATE SET last = reference_counters.last + ? RETURNING last`, year, b.left, b.left); err != nil {
			return "", true, fmt.Errorf("workflow: case references: %w", err)
		}
		b.year, b.next, b.last = year, last-b.left+1, last
	}
	n := b.next
	b.next++
	return fmt.Sprintf("KL-%d-%04d", year, n), true, nil
}

// giveBack returns the block's unused references to the counter: the
// group's transaction holds its row, so the counter still ends at the block.
func (b *refBlock) giveBack(ctx context.Context, db Database) error {
	unused := b.last - b.next + 1
	if b.year == 0 || unused <= 0 {
		return nil
	}
	n, err := db.Exec(ctx, `UPDATE reference_counters SET last = last - ? WHERE year = ? AND last = ?`, unused, b.year, b.last)
	if err == nil && n != 1 {
		err = fmt.Errorf("the counter of %d moved past the reserved block", b.year)
	}
	if err != nil {
		return fmt.Errorf("workflow: case references: give back %d: %w", unused, err)
	}
	b.next = b.last + 1
	return nil
}

// numberCase gives a new case its reference: from the group's block, set
// before the case is inserted (ok), or else after, with assignReference.
func numberCase(ctx context.Context, db Database, c *Case, year int) (ok bool, err error) {
	ref, ok, err := blockReference(ctx, db, year)
	if ok && err == nil {
		c.Reference = ref
	}
	return ok, err
}
