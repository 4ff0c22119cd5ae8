package workflow

import (
	"context"
	"fmt"
	"strings"
)

// A handler's mail client may quote our notification in a shape the
// extractor does not know (an Outlook header block in a language not in
// extract_markers.go, an unknown HTML wrapper). Whatever a handler's words
// carry to the parent is therefore also checked against what we sent that
// handler: from the first run of our own lines on, nothing goes out. This
// does not depend on any language or client, and it keeps a colleague's
// internal note, quoted in a notification, from reaching a parent.

// ourQuoteRun is how many consecutive lines of our own mail mark a quote: a
// handler who copies one sentence of the parent's into her answer is not cut.
const ourQuoteRun = 2

// ourLineMin is the shortest line that counts: greetings and empty
// paragraphs are shared by every letter.
const ourLineMin = 20

// cutOurQuote returns text up to the first run of lines that occur in our
// recent mail to addr on case c, and whether it cut.
func (w *Workflow) cutOurQuote(ctx context.Context, c *Case, addr, text string) (string, bool, error) {
	ours, err := w.sentLines(ctx, c.ID, addr)
	if err != nil || len(ours) == 0 {
		return text, false, err
	}
	lines := strings.Split(text, "\n")
	run, start := 0, -1
	for i, l := range lines {
		key := lineKey(l)
		switch {
		case key == "":
			continue // blank lines neither start nor break a run
		case len(key) >= ourLineMin && ours[key]:
			if run == 0 {
				start = i
			}
			if run++; run >= ourQuoteRun {
				// Short lines of ours right above the run ("Beste Anna,")
				// belong to the quote too.
				for start > 0 && (lineKey(lines[start-1]) == "" || ours[shortKey+lineKey(lines[start-1])]) {
					start--
				}
				kept := strings.TrimRight(strings.Join(dropQuoteHeader(lines[:start]), "\n"), " \t\r\n\u00a0")
				return kept, true, nil
			}
		default:
			run = 0
		}
	}
	return text, false, nil
}

// sentLines is the set of lines (lineKey) of the last messages we sent to
// addr on a case, but for the parent's own words.
func (w *Workflow) sentLines(ctx context.Context, caseID int64, addr string) (map[string]bool, error) {
	var raws [][]byte
	if err := w.db.Select(ctx, &raws, `SELECT o.raw FROM outbox o JOIN messages m ON m.outbox_id = o.id
		WHERE m.case_id = ? AND m.direction = ? AND m.to_addr = ? ORDER BY m.id DESC LIMIT 8`,
		caseID, DirOut, strings.ToLower(addr)); err != nil {
		return nil, fmt.Errorf("workflow: our mail to %s: %w", addr, err)
	}
	// The parent's own words may go back to her (a handler citing the
	// complaint in a judgment): only the rest of our mail marks a quote.
	var theirs []string
	if err := w.db.Select(ctx, &theirs, `SELECT m.full_text FROM messages m JOIN cases c ON c.id = m.case_id
		WHERE m.case_id = ? AND m.direction = ? AND m.from_addr = c.complainant_email ORDER BY m.id DESC LIMIT 20`,
		caseID, DirIn); err != nil {
		return nil, fmt.Errorf("workflow: the parent's words: %w", err)
	}
	parent := map[string]bool{}
	for _, t := range theirs {
		for _, l := range strings.Split(t, "\n") {
			parent[lineKey(l)] = true
		}
	}
	set := map[string]bool{}
	for _, raw := range raws {
		m, err := w.parse(raw)
		if err != nil {
			continue // we wrote it; a message we cannot read again proves nothing
		}
		for _, l := range strings.Split(m.Text(), "\n") {
			switch k := lineKey(l); {
			case parent[k] || k == "":
			case len(k) >= ourLineMin:
				set[k] = true
			default:
				set[shortKey+k] = true
			}
		}
	}
	return set, nil
}

// shortKey marks the lines of ours shorter than ourLineMin in the set of
// sentLines: they only extend a run found by the long ones.
const shortKey = "\x00"

// lineKey is a line compared without white space differences or the
// decoration clients add when they quote or convert HTML (bold stars).
func lineKey(l string) string {
	l = strings.Trim(l, " \t\r\u00a0\ufeff*>")
	return strings.Join(strings.Fields(l), " ")
}

// dropQuoteHeader removes from the end of lines what a client writes right
// above a quote, in whatever language: empty lines and rules, a block of
// two or more "Field: value" lines (a header block), a line ending in a
// colon (an attribution), a dashed separator.
func dropQuoteHeader(lines []string) []string {
	trim := func() {
		for len(lines) > 0 && isDecoration(lines[len(lines)-1]) {
			lines = lines[:len(lines)-1]
		}
	}
	trim()
	n := 0
	for n < len(lines) && looksLikeField(lines[len(lines)-1-n]) {
		n++
	}
	if n >= 2 {
		lines = lines[:len(lines)-n]
		trim()
	}
	if len(lines) > 0 {
		last := strings.TrimSpace(lines[len(lines)-1])
		if strings.HasSuffix(last, ":") || strings.HasPrefix(last, "---") || strings.HasPrefix(last, "___") {
			lines = lines[:len(lines)-1]
			trim()
		}
	}
	return lines
}

// looksLikeField reports whether l is "Name: value" with a name of one or
// two short words, as every mail client's header block in any language.
func looksLikeField(l string) bool {
	name, value, ok := strings.Cut(strings.Trim(strings.TrimSpace(l), "*"), ":")
	name = strings.TrimSpace(strings.Trim(name, "*"))
	if !ok || name == "" || len(name) > 24 || strings.TrimSpace(value) == "" {
		return false
	}
	return len(strings.Fields(name)) <= 2
}
