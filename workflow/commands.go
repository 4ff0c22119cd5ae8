package workflow

import (
	"strings"
	"time"
)

// Command names, in Dutch as the organisation speaks, with English aliases.
const (
	cmdInternal   = "intern"
	cmdStatus     = "status"
	cmdAssign     = "toewijzen"
	cmdLocation   = "locatie"
	cmdJudgment   = "oordeel"
	cmdMeasure    = "maatregel"
	cmdNoMeasures = "geen-maatregelen"
	cmdWithdrawn  = "ingetrokken"
	cmdClose      = "afgerond"
	cmdDone       = "uitgevoerd"
	cmdReachable  = "bereikbaar"
	cmdSafeguard  = "veiligheid"
)

// commandName maps what a handler may write after '#' to a command.
func commandName(word string) (string, bool) {
	if name, ok := safeguardCommandName(word); ok {
		return name, true
	}
	switch strings.ToLower(word) {
	case "intern", "internal", "notitie", "note":
		return cmdInternal, true
	case "status":
		return cmdStatus, true
	case "toewijzen", "assign":
		return cmdAssign, true
	case "locatie", "location":
		return cmdLocation, true
	case "oordeel", "judgment", "judgement", "resolve":
		return cmdJudgment, true
	case "maatregel", "measure":
		return cmdMeasure, true
	case "geen-maatregelen", "geenmaatregelen", "geen-maatregel", "no-measures", "nomeasures", "no-measure":
		return cmdNoMeasures, true
	case "ingetrokken", "intrekken", "withdrawn", "withdraw":
		return cmdWithdrawn, true
	case "afgerond", "afsluiten", "close", "closed":
		return cmdClose, true
	case "uitgevoerd", "done":
		return cmdDone, true
	case "bereikbaar", "reachable":
		return cmdReachable, true
	case "veiligheid", "safeguarding":
		return cmdSafeguard, true
	}
	return recordCommandName(word)
}

// command is one command line of a handler's message.
type command struct {
	line string // as written
	name string // "" when unknown
	arg  string
}

// parseCommands splits a handler's new text into the command lines at its
// top and the rest. Command lines start with '#'; empty lines between them
// are allowed (Outlook writes a paragraph per line). The first other line
// ends the commands: a '#' further down is text, and quoted history was
// already removed, so commands in it are never seen.
//
// Lines are read as normalised by commandLine, so a command hidden behind
// invisible characters, written with a full-width '＃' or made bold by
// Outlook is still a command; one that names no command is refused, never
// passed on to the parent as text.
func parseCommands(text string) (cmds []command, body string) {
	lines := splitLines(text)
	i := 0
	for ; i < len(lines); i++ {
		l := commandLine(lines[i])
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "#") {
			break
		}
		word, arg, _ := strings.Cut(strings.TrimLeft(l[1:], " "), " ")
		name, _ := commandName(word)
		cmds = append(cmds, command{line: l, name: name, arg: strings.TrimSpace(arg)})
	}
	return cmds, strings.TrimSpace(strings.Join(lines[i:], "\n"))
}

// plan is a handler's command lines checked against the case: what to do,
// or why nothing may be done. Commands are applied all together or not at all.
type plan struct {
	status     string
	assign     *Handler
	location   string
	internal   bool
	judgment   bool
	measures   []plannedMeasure
	moves      []plannedMove
	done       []Measure // measures of a decided case now carried out
	reachable  bool      // clear the flag complainant-unreachable
	safeguard  *bool     // set or clear the flag safeguarding
	noMeasures bool
	withdrawn  bool
	close      bool
	rec        recordPlan // the record's commands (record.go)
	body       string
	applied    []string // what each command does, for the confirmation
	refused    []Refusal

	safeguardWhy string // why a handler cleared the flag (#signaal-onterecht)
}

type plannedMeasure struct {
	due  time.Time
	text string
}

// plannedMove gives a measure of a decided case a new date.
type plannedMove struct {
	m   Measure
	due time.Time
	cmd command
}

// planCommands checks every command line; open are the case's measures not
// yet done (a #maatregel naming one, or the only one, gives it a new date);
// today is the current date in the organisation's zone.
func (w *Workflow) planCommands(c *Case, open []Measure, cmds []command, body string, today time.Time) plan {
	p := plan{body: body}
	refuse := func(cmd command, why string) {
		p.refused = append(p.refused, Refusal{Line: cmd.line, Why: why})
	}
	seen := map[string]command{}
	for _, cmd := range cmds {
		if _, dup := seen[cmd.name]; dup && !repeatable(cmd.name) {
			refuse(cmd, w.phrase("refuse.twice"))
			continue
		}
		seen[cmd.name] = cmd
		switch cmd.name {
		case "":
			refuse(cmd, w.phrase("refuse.unknown"))
		case cmdInternal:
			p.internal = true
			p.applied = append(p.applied, w.phrase("applied.internal"))
		case cmdStatus:
			st, ok := openStatus(cmd.arg)
			switch {
			case !ok:
				refuse(cmd, w.phrase("refuse.status", cmd.arg))
			case !c.Open():
				refuse(cmd, w.phrase("refuse.status_state", w.statusWord(c.Status)))
			default:
				p.status = st
				p.applied = append(p.applied, w.phrase("applied.status", w.statusWord(st)))
			}
		case cmdAssign:
			h, ok := w.findHandler(cmd.arg)
			if !ok {
				refuse(cmd, w.phrase("refuse.assign", cmd.arg, w.handlerList()))
				continue
			}
			p.assign = &h
			p.applied = append(p.applied, w.phrase("applied.assign", h.Name+" <"+h.Email+">"))
		case cmdLocation:
			loc, ok := w.findLocation(cmd.arg)
			if !ok {
				refuse(cmd, w.phrase("refuse.location", cmd.arg, strings.Join(w.set.Organisation.Locations, ", ")))
				continue
			}
			p.location = loc
			p.applied = append(p.applied, w.phrase("applied.location", loc))
		case cmdJudgment:
			switch {
			case !c.Open():
				refuse(cmd, w.phrase("refuse.judgment_state", w.statusWord(c.Status)))
			case body == "":
				refuse(cmd, w.phrase("refuse.judgment_body"))
			default:
				p.judgment = true
			}
		case cmdMeasure:
			date, text, _ := strings.Cut(cmd.arg, " ")
			due, err := time.ParseInLocation(time.DateOnly, date, today.Location())
			switch {
			case err != nil:
				refuse(cmd, w.phrase("refuse.date", date, today.AddDate(0, 1, 0).Format(time.DateOnly)))
			case !due.After(today):
				refuse(cmd, w.phrase("refuse.date_past", date))
			default:
				text = strings.TrimSpace(text)
				if c.Status == StatusDecided {
					// On a decided case, a measure already promised gets a
					// new date rather than a second entry.
					if m, ok := measureToMove(open, text); ok {
						p.body = dropWrappedTail(p.body, m.Description, text)
						p.moves = append(p.moves, plannedMove{m: m, due: due, cmd: cmd})
						p.applied = append(p.applied, w.phrase("applied.moved", m.Description, m.DueDate, date))
						continue
					}
					if text == "" && len(open) > 1 {
						var names []string
						for _, m := range open {
							names = append(names, "#maatregel "+date+" "+m.Description)
						}
						refuse(cmd, w.phrase("refuse.measure_which", strings.Join(names, " | ")))
						continue
					}
				}
				if text == "" {
					refuse(cmd, w.phrase("refuse.measure_text"))
					continue
				}
				p.measures = append(p.measures, plannedMeasure{due: due, text: text})
			}
		case cmdNoMeasures:
			p.noMeasures = true
		case cmdDone:
			w.planDone(&p, c, open, cmd, refuse)
		case cmdSafeguard, cmdSafeguardCleared:
			w.planSafeguard(&p, c, cmd, refuse)
		case cmdReachable:
			if !c.Unreachable {
				refuse(cmd, w.phrase("refuse.reachable"))
				continue
			}
			p.reachable = true
			p.applied = append(p.applied, w.phrase("applied.reachable"))
		case cmdWithdrawn:
			if !c.Open() {
				refuse(cmd, w.phrase("refuse.withdraw_state", w.statusWord(c.Status)))
				continue
			}
			p.withdrawn = true
			p.applied = append(p.applied, w.phrase("applied.withdrawn"))
		case cmdClose:
			if c.Status != StatusDecided {
				refuse(cmd, w.phrase("refuse.close_state", w.statusWord(c.Status)))
				continue
			}
			p.close = true
			p.applied = append(p.applied, w.phrase("applied.close"))
		}
	}
	w.checkTogether(&p, c, seen, refuse)
	return p
}

// checkTogether refuses combinations that contradict each other.
func (w *Workflow) checkTogether(p *plan, c *Case, seen map[string]command, refuse func(command, string)) {
	_, hadMeasure := seen[cmdMeasure]
	if j, ok := seen[cmdJudgment]; ok && p.judgment {
		switch {
		case p.internal:
			refuse(j, w.phrase("refuse.judgment_note"))
			p.judgment = false
		case len(p.measures) > 0 && p.noMeasures:
			refuse(seen[cmdNoMeasures], w.phrase("refuse.contradiction"))
		case len(p.measures) == 0 && !p.noMeasures && !hadMeasure:
			// A #maatregel line that was refused (a bad date) has its own
			// refusal; "no measures" would send the handler the wrong way.
			refuse(j, w.phrase("refuse.no_measures"))
		default:
			n := w.measureCount(len(p.measures))
			if p.noMeasures {
				n = w.phrase("count.none")
			}
			p.applied = append(p.applied, w.phrase("applied.judgment", n))
		}
	}
	if cmd, ok := seen[cmdNoMeasures]; ok && !p.judgment {
		if _, j := seen[cmdJudgment]; !j {
			refuse(cmd, w.phrase("refuse.alone"))
		}
	}
	if len(p.measures) > 0 && !p.judgment {
		_, j := seen[cmdJudgment]
		if !j && c.Status != StatusDecided {
			refuse(seen[cmdMeasure], w.phrase("refuse.measures_early"))
		} else if !j {
			p.applied = append(p.applied, w.phrase("applied.measures", w.measureCount(len(p.measures))))
			if p.internal || p.close {
				refuse(seen[cmdMeasure], w.phrase("refuse.added_with"))
			}
		}
	}
	// A measure carried out is news for the parent of its own.
	if len(p.done) > 0 {
		cmd := seen[cmdDone]
		switch {
		case p.internal || p.close:
			refuse(cmd, w.phrase("refuse.done_with"))
		case len(p.moves) > 0 || len(p.measures) > 0:
			refuse(cmd, w.phrase("refuse.done_with_measure"))
		}
	}
	// A new date goes to the parent with the reason below the commands.
	if len(p.moves) > 0 {
		cmd := p.moves[0].cmd
		switch {
		case p.internal || p.close:
			refuse(cmd, w.phrase("refuse.move_with"))
		case p.body == "":
			refuse(cmd, w.phrase("refuse.move_reason"))
		}
	}
	// A judgment, a withdrawal and a closing each end a stage of the case.
	var ends []command
	for _, n := range []string{cmdJudgment, cmdWithdrawn, cmdClose} {
		if cmd, ok := seen[n]; ok {
			ends = append(ends, cmd)
		}
	}
	for _, cmd := range ends[min(1, len(ends)):] {
		refuse(cmd, w.phrase("refuse.ends", cmd.line, ends[0].line))
	}
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
