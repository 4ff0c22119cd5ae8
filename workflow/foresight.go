package workflow

import "strings"

// A grouped message's foresight: what acting on it computes from its own
// text alone (its classification, its new words, the signal words and the
// handlers named in its subject and words), worked out by ArriveGroup on
// another core while the group before is acted on, so that the group's
// transaction, the daemon's serial path, only looks it up (issue 14).
//
// Each answer is used only for the exact input it was computed for: the
// foresight travels inside the message (foreseenMail), and the signal words
// and handlers named are kept with the text they were looked for in. A path
// that asks about another message or other text computes it as before.
type foresight struct {
	cls     Classification
	text    string // Text()
	fresh   string // newText(text)
	about   string // the subject a new case takes, a newline, fresh: what openCase looks in
	signals []string
	named   []Handler
}

// foreseenMail is a message with its foresight.
type foreseenMail struct {
	Mail
	f *foresight
}

// foresee works out m's foresight. The classification's identity is taken
// now, a moment before the group acts on m (a reply token that expires in
// between is taken as it was on arrival).
func (w *Workflow) foresee(m Mail) Mail {
	f := &foresight{cls: classify(m, w.identity()), text: m.Text()}
	f.fresh = newText(f.text)
	f.about = w.caseSubject(m) + "\n" + f.fresh
	f.signals = w.set.Safeguarding.signalsIn(f.about)
	f.named = w.handlersNamed(f.about)
	return foreseenMail{Mail: m, f: f}
}

// foresightOf is m's foresight, nil for a message without one.
func foresightOf(m Mail) *foresight {
	if fm, ok := m.(foreseenMail); ok {
		return fm.f
	}
	return nil
}

// classifyMail is classify, looked up when foreseen.
func (w *Workflow) classifyMail(m Mail) Classification {
	if f := foresightOf(m); f != nil {
		return f.cls
	}
	return classify(m, w.identity())
}

// textOf is m's text and its new words (newText), looked up when foreseen.
func textOf(m Mail) (text, fresh string) {
	if f := foresightOf(m); f != nil {
		return f.text, f.fresh
	}
	text = m.Text()
	return text, newText(text)
}

// signalsAbout lists the signal words in about, written by m.
func (w *Workflow) signalsAbout(m Mail, about string) []string {
	if f := foresightOf(m); f != nil && f.about == about {
		return f.signals
	}
	return w.set.Safeguarding.signalsIn(about)
}

// handlersNamedAbout lists the handlers named in about, written by m.
func (w *Workflow) handlersNamedAbout(m Mail, about string) []Handler {
	if f := foresightOf(m); f != nil && f.about == about {
		return f.named
	}
	return w.handlersNamed(about)
}

// caseSubject is the subject a new case takes from m.
func (w *Workflow) caseSubject(m Mail) string {
	if s := strings.TrimSpace(m.Subject()); s != "" {
		return s
	}
	return w.phrase("subject.none")
}
