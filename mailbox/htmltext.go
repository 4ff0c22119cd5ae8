package mailbox

import (
	"html"
	"strconv"
	"strings"
)

// Limits of htmlToText. The prefixes of nested blockquotes and lists are
// written in front of every line, so without a cap on the depth that
// produces them a few bytes of input (<blockquote> 20,000 times, then
// "<br>a" 50,000 times) make gigabytes of text (issue 9).
const (
	// maxHTMLPrefixDepth is the deepest blockquote or list level that still
	// adds a "> " or an indent; deeper levels are shown at this one.
	maxHTMLPrefixDepth = 8
	// maxHTMLText is the most text one HTML part is turned into; the rest
	// is dropped (the raw message stays in the ledger).
	maxHTMLText = maxTextPart
)

// htmlToText turns an HTML mail body into readable text for people and for
// the reply extractor. It is a small tokenizer, not an HTML parser:
//   - script, style, title, head (and Word's xml islands) are dropped,
//     comments and declarations too (Outlook's conditional comments);
//   - div, li, tr, table, ul, ol, blockquote, pre... end a line, br breaks
//     one, p and h1-h6 leave an empty line around them, td/th separate
//     cells with a space;
//   - li starts with "- ", indented two spaces per nesting level;
//   - blockquote content is kept with "> " per level in front of each line,
//     so quoted history (Gmail's gmail_quote, Apple's type=cite) looks like
//     a quoted plain-text reply;
//   - entities are decoded, white space (NBSP included) collapses to one
//     space within a line, lines are trimmed, and there is never more than
//     one empty line in a row.
//
// Per-line <div dir="auto"> (Samsung) gives one line each; empty <div><br>
// </div> lines give one empty line.
func htmlToText(src string) string {
	text, _ := htmlToTextNotes(src)
	return text
}

// htmlToTextNotes is htmlToText that also says which of its limits bit. Its
// output is at most maxHTMLText bytes, whatever the input.
func htmlToTextNotes(src string) (text string, notes []string) {
	c := htmlWriter{limit: maxHTMLText}
	find := htmlFinder{lower: htmlASCIILower(src)} // same length as src, for case-insensitive search
	for i := 0; i < len(src) && !c.full; {
		lt := strings.IndexByte(src[i:], '<')
		if lt < 0 {
			c.text(src[i:])
			break
		}
		c.text(src[i : i+lt])
		i += lt
		switch {
		case strings.HasPrefix(src[i:], "<!--"):
			i = htmlSkipPast(src, i+4, "-->")
		case strings.HasPrefix(src[i:], "<![CDATA["):
			i = htmlSkipPast(src, i+9, "]]>")
		case strings.HasPrefix(src[i:], "<!") || strings.HasPrefix(src[i:], "<?"):
			i = htmlSkipPast(src, i+2, ">")
		case i+1 < len(src) && (htmlIsLetter(src[i+1]) || src[i+1] == '/' && i+2 < len(src) && htmlIsLetter(src[i+2])):
			name, closing, next := htmlReadTag(src, i)
			i = next
			if !closing {
				if skip := find.skipElement(name, i); skip >= 0 {
					i = skip
					continue
				}
			}
			c.tag(name, closing)
		default:
			c.text("<")
			i++
		}
	}
	text = c.finish()
	if c.deep {
		notes = append(notes, "HTML nested deeper than "+strconv.Itoa(maxHTMLPrefixDepth)+
			" quote or list levels; deeper levels shown at that depth")
	}
	if c.full {
		notes = append(notes, "text converted from HTML longer than "+strconv.Itoa(maxHTMLText>>20)+
			" MB; the rest is dropped")
	}
	return text, notes
}

// htmlSkipPast returns the offset after the first end at or after from, or the
// end of s.
func htmlSkipPast(s string, from int, end string) int {
	if from > len(s) {
		return len(s)
	}
	if j := strings.Index(s[from:], end); j >= 0 {
		return from + j + len(end)
	}
	return len(s)
}

// htmlReadTag reads the tag starting at s[i] == '<' and returns its lower-case
// name, whether it is an end tag, and the offset after its '>'. A quote
// opens an attribute value only right after '=', so a stray quote does not
// swallow the document.
func htmlReadTag(s string, i int) (name string, closing bool, next int) {
	j := i + 1
	if s[j] == '/' {
		closing = true
		j++
	}
	start := j
	for j < len(s) && (htmlIsLetter(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == ':' || s[j] == '-' || s[j] == '_') {
		j++
	}
	name = htmlASCIILower(s[start:j])
	var quote byte
	lastSignificant := byte(0)
	for ; j < len(s); j++ {
		ch := s[j]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
			continue
		case (ch == '"' || ch == '\'') && lastSignificant == '=':
			quote = ch
		case ch == '>':
			return name, closing, j + 1
		}
		if ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' {
			lastSignificant = ch
		}
	}
	return name, closing, len(s)
}

// htmlFinder finds end tags in the ASCII-lower-cased document, searched
// from ever later offsets. It remembers where each was found, and that one
// was not found at all, so a search is never repeated over the same text:
// 200,000 "<head>" without "</head>" once took minutes.
type htmlFinder struct {
	lower   string
	next    map[string]int // pattern: its first offset at or after the last search; -1 none
	scanned int            // bytes searched, all patterns together
}

// index returns the offset of the first pattern at or after from, or -1.
func (f *htmlFinder) index(pattern string, from int) int {
	if f.next == nil {
		f.next = map[string]int{}
	}
	if at, ok := f.next[pattern]; ok && (at < 0 || at >= from) {
		return at
	}
	at := strings.Index(f.lower[from:], pattern)
	if at >= 0 {
		f.scanned += at + len(pattern)
		at += from
	} else {
		f.scanned += len(f.lower) - from
	}
	f.next[pattern] = at
	return at
}

// skipElement returns where content that is never shown ends, or -1 when
// name is not such an element.
func (f *htmlFinder) skipElement(name string, from int) int {
	switch name {
	case "script", "style", "title", "xml", "template", "svg":
		end := f.index("</"+name, from)
		if end < 0 {
			return len(f.lower)
		}
		return htmlSkipPast(f.lower, end, ">")
	case "head":
		end := f.index("</head", from)
		body := f.index("<body", from)
		switch {
		case body >= 0 && (end < 0 || body < end):
			return body // the body tag itself is read normally
		case end >= 0:
			return end
		}
	}
	return -1
}

// htmlWriter collects the text lines of htmlToText.
type htmlWriter struct {
	lines     []string
	line      strings.Builder
	lineQuote int  // blockquote depth of the current line
	quote     int  // blockquote depth at this point
	lists     int  // ul/ol nesting
	pre       int  // inside <pre>
	space     bool // white space seen since the last character
	bullet    bool // the next character starts a list item
	para      bool // an empty line is due before the next text
	limit     int  // most bytes of text to produce
	size      int  // bytes of the lines so far, line breaks included
	full      bool // limit reached: nothing more is written
	deep      bool // a prefix was cut to maxHTMLPrefixDepth
}

func (c *htmlWriter) tag(name string, closing bool) {
	switch name {
	case "br":
		c.breakLine()
	case "p", "h1", "h2", "h3", "h4", "h5", "h6":
		c.endLine()
		c.para = true
	case "blockquote":
		c.endLine()
		if closing && c.quote > 0 {
			c.quote--
		} else if !closing {
			c.quote++
		}
	case "ul", "ol":
		c.endLine()
		if closing && c.lists > 0 {
			c.lists--
		} else if !closing {
			c.lists++
		}
	case "li":
		c.endLine()
		c.bullet = !closing
	case "pre":
		c.endLine()
		if closing && c.pre > 0 {
			c.pre--
		} else if !closing {
			c.pre++
		}
	case "td", "th":
		c.space = true
	case "div", "tr", "table", "tbody", "thead", "tfoot", "dl", "dt", "dd", "section", "article",
		"header", "footer", "nav", "aside", "address", "center", "form", "fieldset", "figure",
		"figcaption", "main", "hr", "caption", "details", "summary", "body", "html":
		c.endLine()
	}
}

// text writes character data: entities decoded, white space collapsed
// (kept inside <pre>).
func (c *htmlWriter) text(s string) {
	if s == "" {
		return
	}
	s = html.UnescapeString(s)
	if c.pre > 0 {
		for i, part := range strings.Split(toLF(s), "\n") {
			if i > 0 {
				c.breakLine()
			}
			for _, r := range part {
				c.put(r)
			}
		}
		return
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\u00a0':
			c.space = true
		default:
			c.put(r)
		}
	}
}

// put writes one visible character, starting the line if needed.
func (c *htmlWriter) put(r rune) {
	if c.line.Len() == 0 {
		if c.para && len(c.lines) > 0 {
			c.emit("", c.quote)
		}
		c.para = false
		c.lineQuote = c.quote
		c.space = false
		if c.bullet {
			c.line.WriteString(strings.Repeat("  ", c.capDepth(max(c.lists-1, 0))) + "- ")
			c.bullet = false
		}
	}
	if c.full {
		return
	}
	if c.size+c.line.Len() >= c.limit {
		c.full = true
		return
	}
	if c.space && c.line.Len() > 0 && c.pre == 0 {
		c.line.WriteByte(' ')
	}
	c.space = false
	c.line.WriteRune(r)
}

// endLine finishes the current line if it has text.
func (c *htmlWriter) endLine() {
	if c.line.Len() > 0 {
		c.emit(c.line.String(), c.lineQuote)
		c.line.Reset()
	}
	c.space = false
}

// breakLine is <br>: it ends the line, or makes an empty one.
func (c *htmlWriter) breakLine() {
	if c.line.Len() > 0 {
		c.endLine()
		return
	}
	if len(c.lines) > 0 {
		c.emit("", c.quote)
	}
	c.para = false
}

// emit appends a finished line with its quote prefix; an empty line after
// an empty line is dropped.
func (c *htmlWriter) emit(line string, quote int) {
	if c.full {
		return
	}
	line = strings.TrimRight(line, " ")
	if quote > 0 {
		line = strings.TrimRight(strings.Repeat("> ", c.capDepth(quote))+line, " ")
	}
	if isQuoteOnly(line) && len(c.lines) > 0 && isQuoteOnly(c.lines[len(c.lines)-1]) {
		return
	}
	if c.size+len(line)+1 > c.limit {
		c.full = true
		return
	}
	c.size += len(line) + 1
	c.lines = append(c.lines, line)
}

// capDepth is the nesting depth a prefix is written for: at most
// maxHTMLPrefixDepth.
func (c *htmlWriter) capDepth(depth int) int {
	if depth > maxHTMLPrefixDepth {
		c.deep = true
		return maxHTMLPrefixDepth
	}
	return depth
}

func (c *htmlWriter) finish() string {
	c.endLine()
	lines := c.lines
	for len(lines) > 0 && isQuoteOnly(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && isQuoteOnly(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// isQuoteOnly reports a line with no text: empty, or only quote marks.
func isQuoteOnly(line string) bool {
	return strings.Trim(line, "> ") == ""
}

func htmlIsLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// htmlASCIILower lower-cases ASCII letters only, so offsets stay valid.
func htmlASCIILower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
