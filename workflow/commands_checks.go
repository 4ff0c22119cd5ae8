package workflow

import (
	"strings"
	"time"
)

// The checks of the case's commands (command_table.go), alone and with
// the other lines of a message.

func checkInternal(w *Workflow, pc *planning, _ command) {
	pc.p.internal = true
	pc.confirm(w.phrase("applied.internal"))
}

func checkStatus(w *Workflow, pc *planning, cmd command) {
	st, ok := openStatus(cmd.arg)
	switch {
	case !ok:
		pc.refuse(cmd, w.phrase("refuse.status", cmd.arg))
	case !pc.c.Open():
		pc.refuse(cmd, w.phrase("refuse.status_state", w.statusWord(pc.c.Status)))
	default:
		pc.p.status = st
		pc.confirm(w.phrase("applied.status", w.statusWord(st)))
	}
}

func checkAssign(w *Workflow, pc *planning, cmd command) {
	h, ok := w.findHandler(cmd.arg)
	if !ok {
		pc.refuse(cmd, w.phrase("refuse.assign", cmd.arg, w.handlerList()))
		return
	}
	pc.p.assign = &h
	pc.confirm(w.phrase("applied.assign", h.Name+" <"+h.Email+">"))
}

// checkAssignConcerned: a case is not given to someone it is about.
func checkAssignConcerned(w *Workflow, pc *planning, cmd command) {
	if pc.p.assign != nil && concerned(pc.concerns, pc.p.assign.Email) {
		pc.refuse(cmd, w.phrase("refuse.assign_concerned", pc.p.assign.Name))
	}
}

func checkLocation(w *Workflow, pc *planning, cmd command) {
	loc, ok := w.findLocation(cmd.arg)
	if !ok {
		pc.refuse(cmd, w.phrase("refuse.location", cmd.arg, strings.Join(w.set.Organisation.Locations, ", ")))
		return
	}
	pc.p.location = loc
	pc.confirm(w.phrase("applied.location", loc))
}

func checkJudgment(w *Workflow, pc *planning, cmd command) {
	switch {
	case !pc.c.Open():
		pc.refuse(cmd, w.phrase("refuse.judgment_state", w.statusWord(pc.c.Status)))
	case pc.p.body == "":
		pc.refuse(cmd, w.phrase("refuse.judgment_body"))
	default:
		pc.p.judgment = true
	}
}

// checkJudgmentMeasures: a judgment names its measures, or says there are
// none, and is not an internal note.
func checkJudgmentMeasures(w *Workflow, pc *planning, j command) {
	p := pc.p
	if !p.judgment {
		return
	}
	_, hadMeasure := pc.seen[cmdMeasure]
	switch {
	case p.internal:
		pc.refuse(j, w.phrase("refuse.judgment_note"))
		p.judgment = false
	case len(p.measures) > 0 && p.noMeasures:
		pc.refuse(pc.seen[cmdNoMeasures], w.phrase("refuse.contradiction"))
	case len(p.measures) == 0 && !p.noMeasures && !hadMeasure:
		// A #maatregel line that was refused (a bad date) has its own
		// refusal; "no measures" would send the handler the wrong way.
		pc.refuse(j, w.phrase("refuse.no_measures"))
	default:
		n := w.measureCount(len(p.measures))
		if p.noMeasures {
			n = w.phrase("count.none")
		}
		pc.confirm(w.phrase("applied.judgment", n))
	}
}

func checkMeasure(w *Workflow, pc *planning, cmd command) {
	p, c, open, today := pc.p, pc.c, pc.open, pc.today
	date, text, _ := strings.Cut(cmd.arg, " ")
	due, err := time.ParseInLocation(time.DateOnly, date, today.Location())
	switch {
	case err != nil:
		pc.refuse(cmd, w.phrase("refuse.date", date, today.AddDate(0, 1, 0).Format(time.DateOnly)))
		return
	case !due.After(today):
		pc.refuse(cmd, w.phrase("refuse.date_past", date))
		return
	}
	text = strings.TrimSpace(text)
	if c.Status == StatusDecided {
		// On a decided case, a measure already promised gets a new date
		// rather than a second entry.
		if m, ok := measureToMove(open, text); ok {
			p.body = dropWrappedTail(p.body, m.Description, text)
			p.moves = append(p.moves, plannedMove{m: m, due: due, cmd: cmd})
			pc.confirm(w.phrase("applied.moved", m.Description, m.DueDate, date))
			return
		}
		if text == "" && len(open) > 1 {
			var names []string
			for _, m := range open {
				names = append(names, "#maatregel "+date+" "+m.Description)
			}
			pc.refuse(cmd, w.phrase("refuse.measure_which", strings.Join(names, " | ")))
			return
		}
	}
	if text == "" {
		pc.refuse(cmd, w.phrase("refuse.measure_text"))
		return
	}
	p.measures = append(p.measures, plannedMeasure{due: due, text: text})
}

// checkMeasuresAdded: measures come with the judgment, or are added to the
// judgment of a decided case, which goes to the parent.
func checkMeasuresAdded(w *Workflow, pc *planning, cmd command) {
	p := pc.p
	if len(p.measures) == 0 || p.judgment {
		return
	}
	if _, j := pc.seen[cmdJudgment]; j {
		return
	}
	if pc.c.Status != StatusDecided {
		pc.refuse(cmd, w.phrase("refuse.measures_early"))
		return
	}
	pc.confirm(w.phrase("applied.measures", w.measureCount(len(p.measures))))
	if p.internal || p.close {
		pc.refuse(cmd, w.phrase("refuse.added_with"))
	}
}

// checkMoves: a new date goes to the parent with the reason below the
// commands.
func checkMoves(w *Workflow, pc *planning, _ command) {
	p := pc.p
	if len(p.moves) == 0 {
		return
	}
	cmd := p.moves[0].cmd
	switch {
	case p.internal || p.close:
		pc.refuse(cmd, w.phrase("refuse.move_with"))
	case p.body == "":
		pc.refuse(cmd, w.phrase("refuse.move_reason"))
	}
}

func checkNoMeasures(_ *Workflow, pc *planning, _ command) {
	pc.p.noMeasures = true
}

func checkNoMeasuresAlone(w *Workflow, pc *planning, cmd command) {
	if _, j := pc.seen[cmdJudgment]; !j && !pc.p.judgment {
		pc.refuse(cmd, w.phrase("refuse.alone"))
	}
}

func checkDone(w *Workflow, pc *planning, cmd command) {
	w.planDone(pc.p, pc.c, pc.open, cmd, pc.refuse)
}

// checkDoneWith: a measure carried out is news for the parent of its own.
func checkDoneWith(w *Workflow, pc *planning, cmd command) {
	p := pc.p
	if len(p.done) == 0 {
		return
	}
	switch {
	case p.internal || p.close:
		pc.refuse(cmd, w.phrase("refuse.done_with"))
	case len(p.moves) > 0 || len(p.measures) > 0:
		pc.refuse(cmd, w.phrase("refuse.done_with_measure"))
	}
}

func checkReachable(w *Workflow, pc *planning, cmd command) {
	if !pc.c.Unreachable {
		pc.refuse(cmd, w.phrase("refuse.reachable"))
		return
	}
	pc.p.reachable = true
	pc.confirm(w.phrase("applied.reachable"))
}

func checkWithdrawn(w *Workflow, pc *planning, cmd command) {
	if !pc.c.Open() {
		pc.refuse(cmd, w.phrase("refuse.withdraw_state", w.statusWord(pc.c.Status)))
		return
	}
	pc.p.withdrawn = true
	pc.confirm(w.phrase("applied.withdrawn"))
}

func checkClose(w *Workflow, pc *planning, cmd command) {
	if pc.c.Status != StatusDecided {
		pc.refuse(cmd, w.phrase("refuse.close_state", w.statusWord(pc.c.Status)))
		return
	}
	pc.p.close = true
	pc.confirm(w.phrase("applied.close"))
}

// openStatus maps a status a handler may set to a case state.
func openStatus(s string) (string, bool) {
	switch strings.ToLower(strings.NewReplacer("_", "-", " ", "-").Replace(strings.TrimSpace(s))) {
	case "in-behandeling", "inbehandeling", "in-progress", "inprogress", "behandeling":
		return StatusInProgress, true
	case "bevestigd", "acknowledged", "ontvangst-bevestigd":
		return StatusAcknowledged, true
	}
	return "", false
}

// findHandler finds a configured handler by address or name.
func (w *Workflow) findHandler(s string) (Handler, bool) {
	s = strings.Trim(strings.TrimSpace(s), "<>")
	if a, err := parseAddr(s); err == nil {
		s = a
	}
	for _, h := range w.set.Handlers {
		if strings.EqualFold(h.Email, s) || strings.EqualFold(h.Name, s) {
			return h, true
		}
	}
	return Handler{}, false
}

func (w *Workflow) handlerList() string {
	var out []string
	for _, h := range w.set.Handlers {
		out = append(out, h.Email)
	}
	return strings.Join(out, ", ")
}

// findLocation accepts any location when none are configured, else one of
// them (matched case-insensitively, written as configured).
func (w *Workflow) findLocation(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if len(w.set.Organisation.Locations) == 0 {
		return s, true
	}
	for _, l := range w.set.Organisation.Locations {
		if strings.EqualFold(l, s) {
			return l, true
		}
	}
	return "", false
}
