package workflow

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Safeguarding: a complaint that may reveal violence or a sexual offence
// against a child by staff or a gastouder has duties of its own (Wet
// kinderopvang art. 1.51b; complaint-law.md 2.10, R17). Signal words in a
// new complaint, or a handler's #signaal, flag the case; the managers are
// told at once, with the statutory steps and the contact blocks from
// configuration. The complaint procedure and its six weeks run on.

// MsgSafeguarding is the notice to the managers (and, when the signal words
// raised it, the case's handlers) that a case was flagged, or that the flag
// was cleared as a false alarm.
const MsgSafeguarding = "safeguarding_notice"

// Safeguarding configures the safeguarding track.
type Safeguarding struct {
	// SignalWords are words and phrases that, in a new complaint's subject
	// or text, flag the case; matched whole (on word boundaries) and
	// case-insensitively; empty: none.
	SignalWords []string
	// Contact blocks, shown as written in the managers' notice: the
	// vertrouwensinspecteur of the Inspectie van het Onderwijs, the police,
	// and where the organisation's meldcode is (and who is its
	// aandachtsfunctionaris). Empty blocks are left out.
	Inspector string
	Police    string
	Meldcode  string

	signals []signalWord // SignalWords compiled (compile, in New)
	// byFirst indexes the signals whose first field is always a whole
	// word of the text when their expression matches (wholeWord), by
	// that field folded.
	byFirst map[string][]int
	// scanFolded: some signal is not in byFirst, and is looked for in the
	// folded text.
	scanFolded bool
}

type signalWord struct {
	word  string
	first string // the first field, folded: a text without it cannot match (safeguarding_fold.go)
	whole bool   // first is always a whole word of a text matched (wholeWord): looked up in byFirst
	re    *regexp.Regexp
}

// DefaultSignalWords are Dutch and English words for violence or a sexual
// offence against a child, as parents write them.
func DefaultSignalWords() []string {
	return []string{
		// Dutch
		"mishandeling", "kindermishandeling", "mishandeld", "mishandelen", "geslagen", "slaan", "sloeg", "geschopt", "geknepen",
		"door elkaar geschud", "hardhandig", "vastgebonden", "opgesloten", "blauwe plek", "blauwe plekken",
		"misbruik", "misbruikt", "seksueel", "seksuele", "ontucht", "aanranding", "aangerand", "verkracht",
		"verkrachting", "betast", "betasten", "intiem aangeraakt", "naaktfoto", "naaktfoto's", "kinderporno", "zedendelict",
		// English
		"abuse", "abused", "hit him", "hit her", "slapped", "kicked", "pinched", "shaken", "rough handling",
		"tied up", "locked up", "bruise", "bruises", "sexual", "sexually", "molested", "molestation", "assault",
		"assaulted", "raped", "rape", "groped", "touched inappropriately", "inappropriate touching", "nude photos",
	}
}

// problems names each signal word that cannot be matched: empty, or not
// valid UTF-8.
func (s Safeguarding) problems() []error {
	var errs []error
	for i, w := range s.SignalWords {
		switch {
		case strings.TrimSpace(w) == "":
			errs = append(errs, fmt.Errorf("safeguarding.signal_words[%d] is empty", i))
		case !utf8.ValidString(w):
			errs = append(errs, fmt.Errorf("safeguarding.signal_words[%d] is not valid UTF-8", i))
		}
	}
	return errs
}

// compile builds the matchers of the signal words problems accepts (the
// others are skipped).
func (s *Safeguarding) compile() {
	s.signals, s.byFirst, s.scanFolded = nil, map[string][]int{}, false
	for _, w := range s.SignalWords {
		fields := strings.Fields(w)
		if len(fields) == 0 || !utf8.ValidString(w) {
			continue
		}
		quoted := make([]string, len(fields))
		for j, f := range fields {
			quoted[j] = regexp.QuoteMeta(f)
		}
		// A word boundary is anything but a letter, digit or joiner of
		// words, at either end; spaces inside a phrase match any run of
		// white space (a line break in a wrapped mail too).
		re := regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}_'-])` + strings.Join(quoted, `\s+`) + `(?:$|[^\p{L}\p{N}_'-])`)
		sw := signalWord{word: strings.Join(fields, " "), first: foldText(fields[0]), whole: wholeWord(fields[0]), re: re}
		if sw.whole {
			s.byFirst[sw.first] = append(s.byFirst[sw.first], len(s.signals))
		} else {
			s.scanFolded = true
		}
		s.signals = append(s.signals, sw)
	}
}

// signalsIn lists the signal words text contains, in configured order.
func (s *Safeguarding) signalsIn(text string) []string {
	if len(s.signals) == 0 {
		return nil
	}
	// Only a signal whose first field occurs in the text can match
	// (safeguarding_fold.go): one pass over the text's words finds them.
	maybe := make([]bool, len(s.signals))
	eachFoldedWord(text, func(word []byte) {
		for _, i := range s.byFirst[string(word)] {
			maybe[i] = true
		}
	})
	var folded string
	if s.scanFolded {
		folded = foldText(text)
	}
	var found []string
	for i, sw := range s.signals {
		if sw.whole && !maybe[i] || !sw.whole && !strings.Contains(folded, sw.first) {
			continue
		}
		if sw.re.MatchString(text) {
			found = append(found, sw.word)
		}
	}
	return found
}

// SafeguardingView is what the safeguarding notice says.
type SafeguardingView struct {
	Words   []string // the signal words found in the complaint; empty when a handler raised it
	By      string   // the handler who raised or cleared it
	Cleared bool     // the flag was cleared as a false alarm
	Reason  string   // why it was cleared, in the handler's words
	// The contact blocks from configuration.
	Inspector, Police, Meldcode string
}

// planSafeguard checks #signaal and #signaal-onterecht.
func (w *Workflow) planSafeguard(pc *planning, cmd command) {
	p, c, refuse := pc.p, pc.c, pc.refuse
	on := cmd.name == cmdSafeguard
	switch {
	case p.safeguard != nil:
		refuse(cmd, w.phrase("refuse.safeguard_both"))
		return
	case on && cmd.arg != "":
		refuse(cmd, w.phrase("refuse.safeguard", cmd.arg))
		return
	case on == c.Safeguarding:
		refuse(cmd, w.phrase(map[bool]string{true: "refuse.safeguard_on", false: "refuse.safeguard_off"}[on]))
		return
	case !on && cmd.arg == "":
		refuse(cmd, w.phrase("refuse.safeguard_reason"))
		return
	}
	p.safeguard, p.safeguardWhy = &on, cmd.arg
	if on {
		p.applied = append(p.applied, w.phrase("applied.safeguard_on"))
	} else {
		p.applied = append(p.applied, w.phrase("applied.safeguard_off", cmd.arg))
	}
}

// applySafeguard sets or clears the flag a handler's command asked for and
// tells the managers at once; note is the handler's text below the
// commands, passed on with the notice.
func (w *Workflow) applySafeguard(ctx context.Context, c *Case, h Handler, p plan) error {
	if p.safeguard == nil {
		return nil
	}
	v := SafeguardingView{By: h.Name, Cleared: !*p.safeguard, Reason: p.safeguardWhy}
	what := "marked as a possible offence against a child (#signaal); the managers were told at once"
	if v.Cleared {
		what = "safeguarding flag cleared as a false alarm (#signaal-onterecht): " + p.safeguardWhy + "; the managers were told"
	}
	note := ""
	if !v.Cleared && !p.judgment && !p.withdrawn && !p.close {
		note = p.body
	}
	return w.setSafeguarding(ctx, c, v, h.Email, what, note, nil)
}

// signalWordsOnNewCase flags a new case whose complaint contains signal
// words, and tells the managers and the case's handlers at once.
func (w *Workflow) signalWordsOnNewCase(ctx context.Context, c *Case, m Mail, text string) error {
	words := w.signalsAbout(m, c.Subject+"\n"+text)
	if len(words) == 0 {
		return nil
	}
	v := SafeguardingView{Words: words}
	return w.setSafeguarding(ctx, c, v, "", "signal words in the complaint ("+strings.Join(words, ", ")+
		"): flagged as a possible offence against a child; the managers were told at once", text, w.caseHandlers(c))
}

// setSafeguarding records the flag's new value with what happened on the
// timeline and queues the notice to the location's managers (to the
// handlers as well when none is configured for it) and to handlers.
func (w *Workflow) setSafeguarding(ctx context.Context, c *Case, v SafeguardingView, actor, what, text string, handlers []Handler) error {
	now := w.clock.Now()
	on := !v.Cleared
	if _, err := w.db.Exec(ctx, `UPDATE cases SET safeguarding = ?, updated_at = ? WHERE id = ?`, on, now, c.ID); err != nil {
		return fmt.Errorf("workflow: case %s safeguarding: %w", c.Reference, err)
	}
	c.Safeguarding = on
	if err := addEvent(ctx, w.db, c.ID, now, EventSafeguarding, actor, what); err != nil {
		return err
	}
	managers := w.caseManagers(c)
	if len(managers) == 0 {
		w.log.Warn("no manager is configured for this case's location: the safeguarding notice goes to its handlers",
			"case", c.Reference, "location", c.Location)
		handlers = w.caseHandlers(c)
	}
	v.Inspector, v.Police, v.Meldcode = w.set.Safeguarding.Inspector, w.set.Safeguarding.Police, w.set.Safeguarding.Meldcode
	drafts, err := w.staffDrafts(ctx, c, MsgSafeguarding, handlers, managers)
	if err != nil {
		return err
	}
	var out []draft
	for _, d := range drafts {
		if actor != "" && strings.EqualFold(d.to.Address, actor) {
			continue // the handler who wrote it has the command result
		}
		view := v
		d.letter.Safeguarding = &view
		d.letter.Text = excerpt(text)
		if actor != "" {
			d.letter.Writer = v.By
		}
		out = append(out, d)
	}
	return w.queue(ctx, out...)
}
