package workflow

import (
	"context"
	"strings"
	"time"
)

// Every command a handler or a manager may write after '#' is one entry of
// builtinCommands: its names, who may use it, its checks and its phrases. The
// table's order is the order in which commands are listed to staff (the
// "unknown command" refusal) and in which checks of one kind run.

// Command names: the canonical, Dutch name of each entry.
const (
	cmdInternal         = "intern"
	cmdStatus           = "status"
	cmdAssign           = "toewijzen"
	cmdLocation         = "locatie"
	cmdJudgment         = "oordeel"
	cmdMeasure          = "maatregel"
	cmdNoMeasures       = "geen-maatregelen"
	cmdDone             = "uitgevoerd"
	cmdWithdrawn        = "ingetrokken"
	cmdClose            = "afgerond"
	cmdReachable        = "bereikbaar"
	cmdSafeguard        = "signaal"
	cmdSafeguardCleared = "signaal-onterecht"
	cmdCategory         = "categorie"
	cmdConcerns         = "betreft"
	cmdReportLine       = "verslag"
	cmdKlachtenloket    = "klachtenloket"
	cmdGeschillen       = "geschillencommissie"
	cmdOutcome          = "uitspraak"
	cmdApprove          = "akkoord"
	cmdCaseFile         = "dossier"
	cmdReportSent       = "verslag-verzonden"
)

// commandSpec is one command.
type commandSpec struct {
	name    string   // canonical, Dutch: listed to Dutch-speaking staff
	en      string   // listed to English-speaking staff
	aliases []string // further words that name it
	// dashes: '_' and runs of '-' in what was written count as one '-'
	// (#complaints_desk is #complaints-desk).
	dashes bool

	// A handler's command: its lines are checked, then applied all
	// together or not at all (planCommands, planRecord). handler is false
	// for a manager's command only.
	handler    bool
	repeatable bool // may be given more than once in one message
	ends       bool // ends a stage of the case: never with another that does
	// check checks one line alone, in the order of the message, and
	// records in the plan what it will do.
	check checkFunc
	// checkRecord checks one line against the case's record, after the
	// checks with the other lines of stage checkWithLines (record.go).
	checkRecord checkFunc
	// together checks the command with the other lines of the message;
	// it runs once, with the command's last line, when the message has it.
	together []togetherCheck
	// apply is the effect of a line of a command that keeps no state in
	// the plan; it runs after the built-in effects (applyRecord, applyPlan)
	// when no line was refused. The built-in commands set the plan's fields
	// instead, applied in the case's fixed order.
	apply func(w *Workflow, ctx context.Context, a *applying, cmd command) error
	// phrases are the phrasebook keys its checks and effect write; each is
	// in both languages (TestCommandPhrases).
	phrases []string

	// manager is set for a command managers may write.
	manager *managerCommand
}

type checkFunc func(w *Workflow, pc *planning, cmd command)

// checkStage orders the checks of a command with the other lines.
type checkStage int

const (
	// withJudgment: a judgment settles what it sends; #geen-maatregelen
	// needs one.
	withJudgment checkStage = iota
	// toParent: what goes to the parent without a judgment.
	toParent
	// newDates: a measure's new date, with its reason.
	newDates
	// withRecord: against the record, after every line's checkRecord.
	withRecord
)

type togetherCheck struct {
	at  checkStage
	run checkFunc
}

// applying is what an entry's apply works on.
type applying struct {
	c    *Case
	h    Handler
	view *CommandsView
	now  time.Time
}

// builtinCommands is every command, in the order they are listed.
func builtinCommands() commandTable {
	return commandTable{
		{name: cmdInternal, en: "internal", aliases: []string{"notitie", "note"}, handler: true,
			check: checkInternal, phrases: []string{"applied.internal", "applied.note_kept"},
			manager: &managerCommand{run: (*Workflow).managerNote}},
		{name: cmdStatus, en: "status", handler: true, check: checkStatus,
			phrases: []string{"applied.status", "refuse.status", "refuse.status_state"}},
		{name: cmdAssign, en: "assign", handler: true, check: checkAssign,
			together: []togetherCheck{{withRecord, checkAssignConcerned}},
			phrases:  []string{"applied.assign", "refuse.assign", "refuse.assign_concerned"},
			manager:  &managerCommand{run: (*Workflow).managerAssign}},
		{name: cmdLocation, en: "location", handler: true, check: checkLocation,
			phrases: []string{"applied.location", "refuse.location"}},
		{name: cmdJudgment, en: "judgment", aliases: []string{"judgement", "resolve"}, handler: true, ends: true,
			check:    checkJudgment,
			together: []togetherCheck{{withJudgment, checkJudgmentMeasures}, {withRecord, checkVerdict}},
			phrases: []string{"applied.judgment", "applied.judgment_verdict", "applied.held", "applied.assign_self",
				"count.none", "count.measure", "count.measures", "sent.judgment", "refuse.judgment_state",
				"refuse.judgment_body", "refuse.judgment_note", "refuse.contradiction", "refuse.no_measures",
				"refuse.verdict_missing", "refuse.verdict", "refuse.judgment_category", "refuse.judge_concerned",
				"verdict.gegrond", "verdict.deels-gegrond", "verdict.ongegrond"}},
		{name: cmdMeasure, en: "measure", handler: true, repeatable: true, check: checkMeasure,
			together: []togetherCheck{{toParent, checkMeasuresAdded}, {newDates, checkMoves}},
			phrases: []string{"applied.moved", "applied.measures", "refuse.date", "refuse.date_past",
				"refuse.measure_which", "refuse.measure_text", "refuse.measures_early", "refuse.added_with",
				"refuse.move_with", "refuse.move_reason", "sent.moved", "sent.added"}},
		{name: cmdNoMeasures, en: "no-measures", handler: true, check: checkNoMeasures,
			aliases:  []string{"geenmaatregelen", "geen-maatregel", "nomeasures", "no-measure"},
			together: []togetherCheck{{withJudgment, checkNoMeasuresAlone}},
			phrases:  []string{"refuse.alone"}},
		{name: cmdDone, en: "done", handler: true, repeatable: true, check: checkDone,
			together: []togetherCheck{{toParent, checkDoneWith}},
			phrases: []string{"applied.done", "applied.all_done", "line.done", "sent.done", "sent.closed",
				"refuse.done_state", "refuse.done_none", "refuse.done_which", "refuse.done_unknown",
				"refuse.done_with", "refuse.done_with_measure"}},
		{name: cmdWithdrawn, en: "withdrawn", aliases: []string{"intrekken", "withdraw"}, handler: true, ends: true,
			check: checkWithdrawn, phrases: []string{"applied.withdrawn", "refuse.withdraw_state", "sent.withdrawn"}},
		{name: cmdClose, en: "close", aliases: []string{"afsluiten", "closed"}, handler: true, ends: true,
			check: checkClose, phrases: []string{"applied.close", "refuse.close_state", "sent.closed"}},
		{name: cmdReachable, en: "reachable", handler: true, check: checkReachable,
			phrases: []string{"applied.reachable", "refuse.reachable"}},
		// #signaal is the main name, #veiligheid the earlier one.
		{name: cmdSafeguard, en: "signal", aliases: []string{"veiligheid", "safeguarding"}, handler: true,
			check: (*Workflow).planSafeguard,
			phrases: []string{"applied.safeguard_on", "refuse.safeguard", "refuse.safeguard_on",
				"refuse.safeguard_off", "refuse.safeguard_both"}},
		{name: cmdSafeguardCleared, en: "signal-unfounded", handler: true, check: (*Workflow).planSafeguard,
			aliases: []string{"signaalonterecht", "false-alarm", "safeguarding-cleared"},
			phrases: []string{"applied.safeguard_off", "refuse.safeguard_on", "refuse.safeguard_off",
				"refuse.safeguard_reason", "refuse.safeguard_both"}},
		// The record's commands (record.go).
		{name: cmdCategory, en: "category", aliases: []string{"categorieen"}, dashes: true, handler: true,
			repeatable: true, checkRecord: checkCategory, phrases: []string{"applied.category", "refuse.category"}},
		{name: cmdConcerns, en: "concerns", aliases: []string{"about"}, dashes: true, handler: true,
			repeatable: true, checkRecord: checkConcerns,
			phrases: []string{"applied.concerns", "applied.unassigned", "refuse.concerns"}},
		{name: cmdReportLine, en: "report", aliases: []string{"report-line", "jaarverslag"}, dashes: true, handler: true,
			checkRecord: checkReportLine, phrases: []string{"applied.report_line", "refuse.report_line"}},
		{name: cmdKlachtenloket, en: "klachtenloket", aliases: []string{"complaints-desk"}, dashes: true, handler: true,
			checkRecord: checkEscalation,
			phrases: []string{"applied.escalation_klachtenloket", "refuse.escalation_klachtenloket",
				"refuse.escalation_date", "refuse.escalation_future"}},
		{name: cmdGeschillen, en: "geschillencommissie", aliases: []string{"disputes-committee"}, dashes: true, handler: true,
			checkRecord: checkEscalation,
			phrases: []string{"applied.escalation_geschillencommissie", "refuse.escalation_geschillencommissie",
				"refuse.escalation_date", "refuse.escalation_future"}},
		{name: cmdOutcome, en: "ruling", aliases: []string{"outcome"}, dashes: true, handler: true,
			checkRecord: checkOutcome,
			phrases: []string{"applied.outcome_klachtenloket", "applied.outcome_geschillencommissie",
				"outcome.gegrond", "outcome.ongegrond", "outcome.schikking", "refuse.outcome", "refuse.outcome_none",
				"refuse.outcome_before", "refuse.escalation_date", "refuse.escalation_future"}},
		{name: cmdApprove, en: "approve", aliases: []string{"approved"}, dashes: true, handler: true,
			checkRecord: (*Workflow).planApprove, together: []togetherCheck{{withRecord, checkApproveAlone}},
			phrases: []string{"applied.approved", "refuse.approve_none", "refuse.judgment_state",
				"refuse.approve_author", "refuse.judge_concerned", "refuse.approve_author_concerned", "refuse.ends"}},

		// Managers' commands only (manager_commands.go); a manager may also
		// write the entries above that have a manager part. A new one is an
		// entry here and a branch on its name in the manager_result
		// templates ("manager.done").
		{name: cmdCaseFile, en: "casefile", aliases: []string{"case-file"},
			manager: &managerCommand{run: (*Workflow).managerCaseFile}},
		// The annual report's confirmation (issue 13): answered on a path of
		// its own, before a message is matched to a case (onReportReply,
		// report_schedule.go), so its run is nil.
		{name: cmdReportSent, en: "report-sent", manager: &managerCommand{caseless: true}},
	}
}

// commandTable is a list of commands: builtinCommands() with, in tests, more.
type commandTable []commandSpec

// spec is the entry of a canonical name; nil for none.
func (t commandTable) spec(name string) *commandSpec {
	for i := range t {
		if t[i].name == name {
			return &t[i]
		}
	}
	return nil
}

// names are all the words that name a command, canonical name first.
func (s *commandSpec) names() []string {
	out := []string{s.name}
	if s.en != s.name {
		out = append(out, s.en)
	}
	return append(out, s.aliases...)
}

// handlerCommand maps what a handler may write after '#' to a command's
// canonical name.
func (t commandTable) handlerCommand(word string) (string, bool) {
	lower, loose := strings.ToLower(word), dashed(word)
	for i := range t {
		s := &t[i]
		if !s.handler {
			continue
		}
		w := lower
		if s.dashes {
			w = loose
		}
		for _, n := range s.names() {
			if n == w {
				return s.name, true
			}
		}
	}
	return "", false
}

// managerCommand finds the manager's command word names (as written, case
// aside).
func (t commandTable) managerCommand(word string) (*commandSpec, bool) {
	word = strings.ToLower(word)
	for i := range t {
		s := &t[i]
		if s.manager == nil {
			continue
		}
		for _, n := range s.names() {
			if n == word {
				return s, true
			}
		}
	}
	return nil, false
}

// known lists the handlers' commands for a refusal, in lang: "#intern,
// #status … en #akkoord".
func (t commandTable) known(lang, and string) string {
	var names []string
	for _, s := range t {
		if !s.handler {
			continue
		}
		if lang == "en" {
			names = append(names, "#"+s.en)
		} else {
			names = append(names, "#"+s.name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + and + names[len(names)-1]
}

// repeatable reports whether a command may be given more than once in one
// message; a line that names no command ("") may.
func (t commandTable) repeatable(name string) bool {
	if name == "" {
		return true
	}
	s := t.spec(name)
	return s != nil && s.repeatable
}

// commands is the workflow's command table.
func (w *Workflow) commands() commandTable {
	if w.cmds != nil {
		return w.cmds
	}
	return builtinCommands()
}
