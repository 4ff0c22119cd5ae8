package workflow

import (
	"regexp"
	"strings"
)

// The case file says each timeline entry in the organisation's language.
// Events are stored with an English detail, the operator's record (cases
// show); here each kind is said again through the phrasebook
// (phrases_casefile.go), with the values taken back out of the stored
// text. Only what a person wrote — a note, a command line, a category, a
// name, a report line, a reason — is shown as stored. A stored text that
// does not have the form its kind is written in (an entry of an older
// version) is left out: the entry's kind and time still say what happened.

// caseFileKind names an entry's kind ("in", "out" or an event kind).
func (w *Workflow) caseFileKind(kind string) string {
	if f, ok := phraseFormat(w.set.Organisation.Language, "file.kind."+kind); ok {
		return f
	}
	return kind
}

// word is the phrase key in the organisation's language, or fallback when
// the phrasebook has none (a value of an older version).
func (w *Workflow) word(key, fallback string) string {
	if f, ok := phraseFormat(w.set.Organisation.Language, key); ok {
		return f
	}
	return fallback
}

// msgKind names a message kind; an unknown one is "message".
func (w *Workflow) msgKind(kind string) string {
	return w.word("file.msg."+kind, w.phrase("file.msg"))
}

// how says how a sender was verified.
func (w *Workflow) how(how string) string { return w.word("file.how."+how, how) }

// The forms the events' details are stored in (see the addEvent calls).
var (
	reOpened        = regexp.MustCompile(`^complaint received (.+), judgment due by (.+)$`)
	reStatus        = regexp.MustCompile(`^(\w+) → (\w+)( \(confirmation sent\))?$`)
	reCopied        = regexp.MustCompile(`^the complaint was copied to (\d+) more addresses; only the first (\d+) take part$`)
	reManagerMsg    = regexp.MustCompile(`^message of manager (.*) \(verified by (\w+)\), passed to the handlers$`)
	reVerified      = regexp.MustCompile(`(?s)^(.*) \(verified by (\w+)\)$`)
	reRelayed       = regexp.MustCompile(`^answer of (.*) sent to the complainant$`)
	reConcerns      = regexp.MustCompile(`^(.*) <([^<>]*)>, a handler: not to be assigned to this case nor to judge it$`)
	reEscalation    = regexp.MustCompile(`(?s)^(\w+) since (\d{4}-\d\d-\d\d)(?:, case number ([^:]*))?(?:: (.*))?$`)
	reOutcome       = regexp.MustCompile(`^(\w+) \(since (\S+)\): outcome (\S+) on (\S+)$`)
	reSafeguardOff  = regexp.MustCompile(`(?s)^safeguarding flag cleared as a false alarm \(#signaal-onterecht\): (.*); the managers were told$`)
	reReachHandler  = regexp.MustCompile(`^(.*) says the complainant can be reached by email again \(#bereikbaar\)$`)
	reReachWrote    = regexp.MustCompile(`^the complainant wrote from (\S+); the flag complainant-unreachable is cleared$`)
	reReachMail     = regexp.MustCompile(`^mail to (\S+) was accepted by (.+) and has not come back; the flag complainant-unreachable is cleared$`)
	reReminder      = regexp.MustCompile(`^reminder to the handlers: (-?\d+) days left$`)
	reOutboxItem    = regexp.MustCompile(`(?s)^(\w+) to (\S+) \(outbox #\d+\):? (.*)$`)
	reHeldBreaker   = regexp.MustCompile(`^(\w+) to (\S+) held back by the loop breaker`)
	reForged        = regexp.MustCompile(`^the message carried (\d+) reply token\(s\) that do not verify`)
	reAutoReply     = regexp.MustCompile(`(?s)^automatic reply, not answered \(.*?\): (.*)$`)
	reBounce        = regexp.MustCompile(`(?s)^delivery of (\w+) to (\S+) (failed|delayed|delivered): (.*)$`)
	reWithheld      = regexp.MustCompile(`^the confirmation went to (\S+) without the complaint's words`)
	reSpoof         = regexp.MustCompile(`(?s)^a message claiming to come from (\S+) could not be verified \((.*)\); it was kept as a message from outside and nothing it asked was done$`)
	reJudgmentHeld  = regexp.MustCompile(`^judgment \((.*)\) held until a second handler answers #akkoord`)
	reApproved      = regexp.MustCompile(`^judgment of (\S+) approved by (\S+); sent to the complainant$`)
	reRequestDone   = regexp.MustCompile(`(?s)^done: (.*) \(verified by (\w+)\)$`)
	reRequestRefuse = regexp.MustCompile(`(?s)^refused \((.*?)\): (.*) \(verified by (\w+)\)$`)
	reRequestUnver  = regexp.MustCompile(`(?s)^refused, nothing done: (.*) \(the message could not be verified as (\S+)'s: .*\)$`)
)

// caseFileEvent is an event's detail and text in the reader's language.
func (w *Workflow) caseFileEvent(e Event) (detail, text string) {
	d := e.Detail
	m := func(re *regexp.Regexp) []string { return re.FindStringSubmatch(d) }
	switch e.Kind {
	case EventNote: // a person's words
		return "", d
	case EventCommandsRefused: // the lines a person wrote, each with its answer
		return "", d
	case EventCategory, EventReportLine, "assignee", "location":
		return d, ""
	case EventConcerns:
		if s := m(reConcerns); s != nil {
			return w.phrase("file.concerns_handler", s[1], s[2]), ""
		}
		return d, "" // a name written by a handler
	case EventCommand:
		if s := m(reVerified); s != nil {
			return w.phrase("file.command", s[1], w.how(s[2])), ""
		}
		return d, ""
	case EventOpened:
		if s := m(reOpened); s != nil {
			return w.phrase("file.opened", s[1], s[2]), ""
		}
	case EventStatus:
		if s := m(reStatus); s != nil {
			if s[3] != "" {
				return w.phrase("file.status_ack", w.statusWord(s[1]), w.statusWord(s[2])), ""
			}
			return w.phrase("file.status", w.statusWord(s[1]), w.statusWord(s[2])), ""
		}
	case EventMessage:
		if rest, ok := strings.CutPrefix(d, "message received: "); ok {
			return w.phrase("file.message_received", rest), ""
		}
		if s := m(reCopied); s != nil {
			return w.phrase("file.copied", s[1], s[2]), ""
		}
		if s := m(reManagerMsg); s != nil {
			return w.phrase("file.manager_message", s[1], w.how(s[2])), ""
		}
	case EventRelay:
		if s := m(reRelayed); s != nil {
			return w.phrase("file.relayed", s[1]), ""
		}
		if strings.HasPrefix(d, "not relayed: ") {
			return w.phrase("file.not_relayed"), ""
		}
	case EventEscalation:
		if s := m(reOutcome); s != nil {
			return w.phrase("file.escalation_outcome", escalationName(s[1]), s[2], w.word("outcome."+s[3], s[3]), s[4]), ""
		}
		if s := m(reEscalation); s != nil {
			out := w.phrase("file.escalation", escalationName(s[1]), s[2])
			if s[3] != "" {
				out += w.phrase("file.escalation_ref", s[3])
			}
			if s[4] != "" {
				out += ": " + s[4] // the handler's note
			}
			return out, ""
		}
	case EventSafeguarding:
		if strings.HasPrefix(d, "marked as a possible offence against a child") {
			return w.phrase("file.safeguard_on"), ""
		}
		if s := m(reSafeguardOff); s != nil {
			return w.phrase("file.safeguard_off", s[1]), ""
		}
	case EventReachable:
		if s := m(reReachHandler); s != nil {
			return w.phrase("file.reachable_handler", s[1]), ""
		}
		if s := m(reReachWrote); s != nil {
			return w.phrase("file.reachable_wrote", s[1]), ""
		}
		if s := m(reReachMail); s != nil {
			return w.phrase("file.reachable_mail", s[1], s[2]), ""
		}
	case EventScheduled:
		if s := m(reReminder); s != nil {
			return w.phrase("file.reminder", s[1]), ""
		}
		if rest, ok := strings.CutPrefix(d, "measure due, handlers reminded: "); ok {
			return w.phrase("file.measure_due", rest), ""
		}
		if d == "progress message to the complainant" {
			return w.phrase("file.progress"), ""
		}
	case EventDeadlineExceeded:
		return w.phrase("file.deadline_exceeded"), ""
	case EventDeliveryFailed:
		if s := m(reOutboxItem); s != nil {
			return w.phrase("file.delivery_failed", w.msgKind(s[1]), s[2], s[3]), "" // the server's answer, as it gave it
		}
	case EventHeld:
		if s := m(reHeldBreaker); s != nil {
			return w.phrase("file.held_breaker", w.msgKind(s[1]), s[2]), ""
		}
		if s := m(reOutboxItem); s != nil {
			return w.phrase("file.held_server", w.msgKind(s[1]), s[2]), ""
		}
	case EventForgedToken:
		if s := m(reForged); s != nil {
			return w.phrase("file.forged_token", s[1]), ""
		}
	case EventAutoReply:
		if s := m(reAutoReply); s != nil {
			return w.phrase("file.auto_reply", s[1]), ""
		}
	case EventBounce:
		if s := m(reBounce); s != nil {
			return w.phrase("file.bounce", w.msgKind(s[1]), s[2], w.phrase("file.bounce."+s[3])) + ": " + s[4], ""
		}
	case EventOwnAddress:
		return w.phrase("file.own_address"), ""
	case EventWithheld:
		if s := m(reWithheld); s != nil {
			return w.phrase("file.withheld", s[1]), ""
		}
	case EventSuspectedSpoof:
		if s := m(reSpoof); s != nil {
			return w.phrase("file.spoof", s[1], s[2]), "" // the reason is in the organisation's language already
		}
	case EventJudgmentHeld:
		if s := m(reJudgmentHeld); s != nil {
			return w.phrase("file.judgment_held", w.word("verdict."+s[1], s[1])), ""
		}
		if strings.HasPrefix(d, "the judgment that waited for #akkoord was dropped") {
			return w.phrase("file.judgment_dropped"), ""
		}
	case EventJudgmentApproved:
		if s := m(reApproved); s != nil {
			return w.phrase("file.judgment_approved", s[1], s[2]), ""
		}
	case EventManagerRequest:
		if s := m(reRequestDone); s != nil {
			return w.phrase("file.request_done", s[1], w.how(s[2])), ""
		}
		if s := m(reRequestRefuse); s != nil {
			return w.phrase("file.request_refused", w.word("file.refuse."+s[1], s[1]), s[2], w.how(s[3])), ""
		}
		if s := m(reRequestUnver); s != nil {
			return w.phrase("file.request_unverified", s[1], s[2]), ""
		}
	case EventAnonymised:
		switch {
		case strings.HasPrefix(d, ReasonRetention):
			return w.phrase("file.anonymised", w.phrase("file.anonymised.retention")), ""
		case strings.HasPrefix(d, ReasonErasure):
			return w.phrase("file.anonymised", w.phrase("file.anonymised.erasure")), ""
		}
	}
	return "", ""
}

// caseFileMessageDetail is a message's line on the timeline and its
// delivery, in the reader's language.
func (w *Workflow) caseFileMessageDetail(m *timelineMessage) (detail, delivery string) {
	if m.Direction == DirIn {
		detail = w.phrase("file.in", w.msgKind(m.Kind), m.Subject)
		if m.Unverified {
			detail += " [" + w.phrase("file.unverified") + "]"
		}
	} else {
		detail = w.phrase("file.out", w.msgKind(m.Kind), m.ToAddr, m.Subject)
		delivery = w.deliveryState(m.State)
		if m.SentAt.Valid {
			delivery += " " + m.SentAt.Time.In(w.set.Organisation.Location).Format("2006-01-02 15:04")
		}
		if m.LastError != "" {
			delivery += " (" + w.phrase("file.delivery_error", m.Attempts, m.LastError) + ")"
		}
	}
	if m.Attachments != "" {
		detail += " [" + w.phrase("file.attachments", m.Attachments) + "]"
	}
	return detail, delivery
}

// deliveryState names an outbox state ("" for a message not from the outbox).
func (w *Workflow) deliveryState(state string) string {
	if state == "" {
		return ""
	}
	return w.word("file.state."+state, state)
}

// deliveredTwice says in the reader's words what secondDelivery says ("" when
// nothing).
func (w *Workflow) deliveredTwice(as []DeliveryAttempt) string {
	switch accepted, maybeTwice := deliveries(as); {
	case accepted > 1:
		return w.phrase("file.delivered_times", accepted)
	case maybeTwice:
		return w.phrase("file.delivered_twice")
	}
	return ""
}
