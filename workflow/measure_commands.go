package workflow

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Commands and messages about the measures of a decided case: a new date,
// a measure added, a measure carried out (issue 11).

// normMeasure is a measure's description as a handler retypes it: case,
// spaces and a final full stop do not matter.
func normMeasure(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Join(strings.Fields(s), " ")), ".")
}

// measureToMove finds the open measure a #maatregel line names: by its
// description, or the only open one when the line gives none. A mail client
// may wrap a long command line, so the start of exactly one open measure's
// description names it too.
func measureToMove(open []Measure, text string) (Measure, bool) {
	if text == "" {
		if len(open) == 1 {
			return open[0], true
		}
		return Measure{}, false
	}
	want := normMeasure(text)
	var started []Measure
	for _, m := range open {
		desc := normMeasure(m.Description)
		if desc == want {
			return m, true
		}
		if len(text) >= 12 && strings.HasPrefix(desc, want) {
			started = append(started, m)
		}
	}
	if len(started) == 1 {
		return started[0], true
	}
	return Measure{}, false
}

// dropWrappedTail removes from body the rest of a command line that a mail
// client wrapped onto the next line: when text is only the start of desc
// and the body's first paragraph is the rest, that paragraph is no reason
// for the parent.
func dropWrappedTail(body, desc, text string) string {
	full, start := normMeasure(desc), normMeasure(text)
	if full == start || !strings.HasPrefix(full, start) {
		return body
	}
	first, rest, _ := strings.Cut(strings.TrimLeft(body, "\n"), "\n\n")
	if normMeasure(first) != strings.TrimSpace(full[len(start):]) {
		return body
	}
	return strings.TrimSpace(rest)
}

// planDone checks an #uitgevoerd line: it names one open measure of a
// decided case, by its description as in the judgment, or none when only
// one is open.
func (w *Workflow) planDone(p *plan, c *Case, open []Measure, cmd command, refuse func(command, string)) {
	if c.Status != StatusDecided {
		refuse(cmd, w.phrase("refuse.done_state", w.statusWord(c.Status)))
		return
	}
	var left []Measure
	for _, m := range open {
		if !slices.ContainsFunc(p.done, func(d Measure) bool { return d.ID == m.ID }) {
			left = append(left, m)
		}
	}
	m, ok := measureToMove(left, cmd.arg)
	if !ok {
		var names []string
		for _, m := range left {
			names = append(names, w.phrase("line.done")+" "+m.Description)
		}
		switch {
		case len(left) == 0:
			refuse(cmd, w.phrase("refuse.done_none"))
		case cmd.arg == "":
			refuse(cmd, w.phrase("refuse.done_which", strings.Join(names, " | ")))
		default:
			refuse(cmd, w.phrase("refuse.done_unknown", cmd.arg, strings.Join(names, " | ")))
		}
		return
	}
	p.body = dropWrappedTail(p.body, m.Description, cmd.arg)
	p.done = append(p.done, m)
	p.applied = append(p.applied, w.phrase("applied.done", m.Description))
}

// measuresMoved tells the complainant that measures get a later date, or
// that measures were added to the judgment, each with its date and the
// handler's reason (complaint-law.md 8.2 and 9.5).
func (w *Workflow) measuresMoved(ctx context.Context, c *Case, h Handler, moves []plannedMove, added []MeasureView, reason string) error {
	loc := w.set.Organisation.Location
	d, err := w.complainantDraft(ctx, c, MsgMeasureDelayed)
	if err != nil {
		return err
	}
	d.letter.Text, d.letter.Writer = withoutSalutation(reason, h.Name), h.Name
	for _, mv := range moves {
		from, _ := time.ParseInLocation(time.DateOnly, mv.m.DueDate, loc)
		d.letter.Moved = append(d.letter.Moved, MeasureView{Description: mv.m.Description, Due: mv.due, MovedFrom: from})
	}
	d.letter.Added = added
	ms, err := caseMeasures(ctx, w.db, c.ID)
	if err != nil {
		return err
	}
	d.letter.Judgment = judgmentView(c, ms, w.clock.Now(), loc)
	return w.queue(ctx, d)
}
