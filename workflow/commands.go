package workflow

import (
	"strings"
	"time"
)

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
	return builtinCommands().parse(text)
}

// parse is parseCommands with the commands of t.
func (t commandTable) parse(text string) (cmds []command, body string) {
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
		name, _ := t.handlerCommand(word)
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
	lines      []command // every line, for the entries' apply
	applied    []string  // what each command does, for the confirmation
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

// planning is the state of checking one message's command lines.
type planning struct {
	p        *plan
	c        *Case
	h        Handler
	open     []Measure // the case's measures not yet done
	today    time.Time // the current date in the organisation's zone
	rec      CaseRecord
	concerns []Concern // who the complaint is about, with this message's #betreft
	seen     map[string]command
}

func (pc *planning) refuse(cmd command, why string) {
	pc.p.refused = append(pc.p.refused, Refusal{Line: cmd.line, Why: why})
}

// confirm adds what a command will do to the confirmation.
func (pc *planning) confirm(what string) {
	pc.p.applied = append(pc.p.applied, what)
}

// seenLines is the line of each command a message gives: the last of a
// repeatable one, the first of any other (a second is refused).
func (t commandTable) seenLines(cmds []command) map[string]command {
	seen := map[string]command{}
	for _, cmd := range cmds {
		if _, dup := seen[cmd.name]; dup && !t.repeatable(cmd.name) {
			continue
		}
		seen[cmd.name] = cmd
	}
	return seen
}

// together runs the checks of stage at of every command the message has,
// in table order.
func (t commandTable) together(w *Workflow, pc *planning, at checkStage) {
	for i := range t {
		cmd, ok := pc.seen[t[i].name]
		if !ok {
			continue
		}
		for _, tc := range t[i].together {
			if tc.at == at {
				tc.run(w, pc, cmd)
			}
		}
	}
}

// planCommands checks every command line alone and with the others; open
// are the case's measures not yet done (a #maatregel naming one, or the
// only one, gives it a new date); today is the current date in the
// organisation's zone. The record's checks follow (planRecord).
func (w *Workflow) planCommands(c *Case, open []Measure, cmds []command, body string, today time.Time) plan {
	t := w.commands()
	p := plan{body: body, lines: cmds}
	pc := &planning{p: &p, c: c, open: open, today: today, seen: t.seenLines(cmds)}
	done := map[string]bool{}
	for _, cmd := range cmds {
		if done[cmd.name] && !t.repeatable(cmd.name) {
			pc.refuse(cmd, w.phrase("refuse.twice"))
			continue
		}
		done[cmd.name] = true
		s := t.spec(cmd.name)
		switch {
		case s == nil:
			pc.refuse(cmd, w.phrase("refuse.unknown", t.known(w.set.Organisation.Language, w.phrase("list.and"))))
		case s.check != nil:
			s.check(w, pc, cmd)
		}
	}
	t.together(w, pc, withJudgment)
	t.together(w, pc, toParent)
	t.together(w, pc, newDates)
	// A judgment, a withdrawal and a closing each end a stage of the case.
	ends := t.ending(pc.seen)
	for _, cmd := range ends[min(1, len(ends)):] {
		pc.refuse(cmd, w.phrase("refuse.ends", cmd.line, ends[0].line))
	}
	return p
}

// ending are the lines of the commands that end a stage of the case, in
// table order.
func (t commandTable) ending(seen map[string]command) []command {
	var ends []command
	for _, s := range t {
		if cmd, ok := seen[s.name]; ok && s.ends {
			ends = append(ends, cmd)
		}
	}
	return ends
}

// planRecord checks the record's command lines, and what the record asks of
// the other commands: a verdict and a category for a judgment, a judge and
// an assignee the complaint is not about. It runs after planCommands, on
// the same plan; h is the handler who wrote the message.
func (w *Workflow) planRecord(p *plan, c *Case, h Handler, rec CaseRecord, cmds []command, today time.Time) {
	t := w.commands()
	pc := &planning{p: p, c: c, h: h, today: today, rec: rec, seen: t.seenLines(cmds),
		concerns: append([]Concern(nil), rec.Concerns...)}
	for _, cmd := range cmds {
		if s := t.spec(cmd.name); s != nil && s.checkRecord != nil {
			s.checkRecord(w, pc, cmd)
		}
	}
	t.together(w, pc, withRecord)
}
