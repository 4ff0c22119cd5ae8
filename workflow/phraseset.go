package workflow

import "strings"

// phraseSet finds which of a fixed list of phrases a text contains, in one
// pass over the text: looking for each of some fifty phrases in turn
// (strings.Contains) read every complaint fifty times, 20 µs a complaint.
// Built once (newPhraseSet) and only read afterwards.
type phraseSet struct {
	phrases []string
	// starts maps a phrase's first two bytes to the phrases starting with
	// them, in list order; maybe marks those two bytes, for a quick no.
	starts map[uint16][]int
	maybe  [1 << 16 / 64]uint64
}

func newPhraseSet(phrases ...string) *phraseSet {
	p := &phraseSet{phrases: phrases, starts: map[uint16][]int{}}
	for i, ph := range phrases {
		if len(ph) < 2 {
			panic("workflow: a phrase of fewer than two bytes: " + ph)
		}
		k := uint16(ph[0])<<8 | uint16(ph[1])
		p.starts[k] = append(p.starts[k], i)
		p.maybe[k/64] |= 1 << (k % 64)
	}
	return p
}

// contains reports whether text contains any of the phrases.
func (p *phraseSet) contains(text string) bool { return p.find(text, true) < len(p.phrases) }

// first returns the first phrase of the list that text contains: what
// checking each with strings.Contains, in list order, returns.
func (p *phraseSet) first(text string) (string, bool) {
	if j := p.find(text, false); j < len(p.phrases) {
		return p.phrases[j], true
	}
	return "", false
}

// find returns the index of the first phrase in list order that text
// contains, or with anyOne the first found wherever it is in the list;
// len(p.phrases) when none is there.
func (p *phraseSet) find(text string, anyOne bool) int {
	best := len(p.phrases)
	for i := 0; i+1 < len(text) && best > 0; i++ {
		k := uint16(text[i])<<8 | uint16(text[i+1])
		if p.maybe[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, j := range p.starts[k] {
			if j >= best {
				break
			}
			if strings.HasPrefix(text[i:], p.phrases[j]) {
				if anyOne {
					return j
				}
				best = j
				break
			}
		}
	}
	return best
}
