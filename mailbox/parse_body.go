package mailbox

import (
	"bytes"
	"net/textproto"
	"strconv"
	"strings"
)

// Limits that keep a hostile or broken message from costing more than its
// own size.
const (
	maxTextPart  = 4 << 20 // decoded bytes kept of one text part
	maxBodyText  = 8 << 20 // bytes of Text, all parts together
	maxMIMEDepth = 32      // multipart / embedded message nesting
	maxMIMEParts = 2000    // entities walked in one message
	// maxDecoded is the most a message may decode into memory in all: text
	// parts and embedded messages (each level of message/rfc822 in a
	// quoted-printable message/rfc822... is a copy). Attachments are only
	// counted, never held.
	maxDecoded = 64 << 20
)

// mimeEntity is one MIME entity: its header and its body, still transfer-encoded.
// body is a sub-slice of the input (or of a decoded embedded message), so
// walking a message copies nothing.
type mimeEntity struct {
	header      hdrFields
	body        []byte
	ctype       mediaParams
	defaultType string // RFC 2045 section 5.2, RFC 2046 section 5.1.5 (digest)
}

func newEntity(h hdrFields, body []byte, defaultType string) *mimeEntity {
	return &mimeEntity{header: h, body: body, ctype: parseMIMEParams(h.get("Content-Type")), defaultType: defaultType}
}

// mediaType is the lower-case type/subtype, or the default when the header
// is absent or holds no valid type (RFC 2045 section 5.2).
func (e *mimeEntity) mediaType() string {
	t := e.ctype.value
	slash := strings.IndexByte(t, '/')
	if slash <= 0 || slash == len(t)-1 {
		return e.defaultType
	}
	return t
}

// transferEncoding is the lower-case Content-Transfer-Encoding mechanism.
func (e *mimeEntity) transferEncoding() string {
	return normaliseLabel(e.header.get("Content-Transfer-Encoding"))
}

// disposition is the Content-Disposition (RFC 2183); the first header wins.
func (e *mimeEntity) disposition() mediaParams {
	return parseMIMEParams(e.header.get("Content-Disposition"))
}

// filename is the attachment name: Content-Disposition filename (RFC 2183,
// RFC 2231 forms already assembled), else the Content-Type name parameter.
// Encoded-words inside the quotes (RFC 2047 section 5 forbids them there, but
// Apple Mail and Thunderbird write them) are decoded. A Windows path some
// old clients send ("C:\scans\brief.pdf") or an absolute path is cut to
// its last element.
func (e *mimeEntity) filename() string {
	name := e.disposition().params["filename"]
	if name == "" {
		name = e.ctype.params["name"]
	}
	name = strings.TrimSpace(decodeEncodedWords(name))
	sep := "\\"
	if strings.HasPrefix(name, "/") {
		sep = "/"
	}
	if i := strings.LastIndex(name, sep); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	if len(name) > maxFilenameLen {
		name = strings.ToValidUTF8(name[:maxFilenameLen], "")
	}
	return name
}

// maxFilenameLen is the longest attachment name kept, in bytes: what most
// file systems allow. 2,000 names of 64 KB encoded-words would otherwise be
// kept at up to three times that.
const maxFilenameLen = 255

// mimeSegment is one body part between delimiter lines; closed reports that a
// close-delimiter (or the end of the data) ended it.
type mimeSegment struct {
	data   []byte
	closed bool
}

// splitMultipart splits a multipart body at its delimiter lines (RFC 2046
// section 5.1.1). Leniencies: the boundary is compared without regard to
// case, anything after "--boundary--" on the close line is ignored, parts
// that follow a close-delimiter are still read, and a body without a
// close-delimiter ends its last part at the end of the data. The preamble
// and the epilogue are dropped.
func splitMultipart(body []byte, boundary string) (segs []mimeSegment, notes []string) {
	delim := []byte("--" + boundary)
	start, closed := -1, false
	for pos := 0; pos < len(body); {
		line, next := lineAt(body, pos)
		if len(line) < len(delim) || line[0] != '-' || line[1] != '-' || !bytes.EqualFold(line[:len(delim)], delim) {
			pos = next
			continue
		}
		rest := bytes.TrimRight(line[len(delim):], " \t\r")
		isClose := bytes.HasPrefix(rest, []byte("--"))
		if len(rest) > 0 && !isClose {
			pos = next // "--boundaryX": another, longer boundary
			continue
		}
		if !bytes.Equal(line[:len(delim)], delim) {
			notes = appendNote(notes, "multipart boundary differs in case")
		}
		if isClose && len(rest) > 2 {
			notes = appendNote(notes, "junk after a close-delimiter")
		}
		if start >= 0 {
			segs = append(segs, mimeSegment{data: trimLineEnd(body[start:pos]), closed: isClose})
		}
		if isClose {
			start, closed = -1, true
		} else {
			if closed {
				notes = appendNote(notes, "body parts after a close-delimiter")
			}
			start = next
		}
		pos = next
	}
	if start >= 0 {
		segs = append(segs, mimeSegment{data: body[start:], closed: true})
		notes = appendNote(notes, "multipart has no close-delimiter")
	}
	return segs, notes
}

// trimLineEnd removes the line break before a delimiter line: it belongs to
// the delimiter (RFC 2046 section 5.1.1).
func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// guessBoundary finds a boundary in a multipart body whose Content-Type
// names none (or a wrong one): a "--token" line directly followed by a
// header field, whose token occurs as a delimiter at least twice.
func guessBoundary(body []byte) string {
	tries := 0
	for pos := 0; pos < len(body) && tries < 5; {
		line, next := lineAt(body, pos)
		pos = next
		line = bytes.TrimRight(line, " \t\r")
		if len(line) < 3 || len(line) > 74 || line[0] != '-' || line[1] != '-' ||
			bytes.ContainsAny(line, " \t") || len(bytes.Trim(line, "-")) == 0 || bytes.HasSuffix(line, []byte("--")) {
			continue
		}
		if following, _ := lineAt(body, next); !isFieldLine(following) {
			continue
		}
		tries++
		candidate := string(line[2:])
		if segs, _ := splitMultipart(body, candidate); len(segs) >= 2 || (len(segs) == 1 && bytes.Contains(body, []byte("--"+candidate+"--"))) {
			return candidate
		}
	}
	return ""
}

// toLF turns CRLF and lone CR into LF.
func toLF(s string) string {
	i := strings.IndexByte(s, '\r')
	if i < 0 {
		return s
	}
	// One pass, one copy: CRLF and a lone CR each become LF.
	var b strings.Builder
	b.Grow(len(s))
	for ; i >= 0; i = strings.IndexByte(s, '\r') {
		b.WriteString(s[:i])
		b.WriteByte('\n')
		if i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	b.WriteString(s)
	return b.String()
}

// bodyPiece is the readable content of one inline body unit: a text/plain
// part, a text/html part, or the choice made in a multipart/alternative.
type bodyPiece struct {
	text string
	html string
}

type attachmentInfo struct {
	name        string
	contentType string
	size        int64
	data        []byte // decoded bytes, only when the walker keeps them
}

// walkScope says what a walk collects. Inside an embedded message only the
// headers of further embedded messages are of interest; its text,
// attachments and delivery status belong to that message, not to ours.
type walkScope int

const (
	scopeMessage walkScope = iota
	scopeEmbedded
)

// walker walks the entity tree of one message and collects what Message
// exposes.
type walker struct {
	notes       []string
	parts       int
	attachments []attachmentInfo
	dsn         []textproto.MIMEHeader
	embedded    []textproto.MIMEHeader
	decoded     int  // bytes decoded into memory so far, against maxDecoded
	keep        bool // keep attachments' decoded bytes (Attachments)
}

// budget returns how many of want bytes may still be decoded into memory,
// noting when the budget is spent.
func (w *walker) budget(want int) int {
	room := maxDecoded - w.decoded
	if want > room {
		w.note("more than " + strconv.Itoa(maxDecoded>>20) + " MB decoded in all; the rest is not read")
		return max(room, 0)
	}
	return want
}

func (w *walker) note(n string) { w.notes = appendNote(w.notes, n) }

func (w *walker) addNotes(ns []string) {
	for _, n := range ns {
		w.note(n)
	}
}

// walk visits e and returns the body pieces it contributes.
func (w *walker) walk(e *mimeEntity, depth int, sc walkScope) []bodyPiece {
	if depth > maxMIMEDepth {
		w.note("nesting deeper than " + strconv.Itoa(maxMIMEDepth) + " levels; rest skipped")
		return nil
	}
	if w.parts++; w.parts > maxMIMEParts {
		w.note("more than " + strconv.Itoa(maxMIMEParts) + " parts; rest skipped")
		return nil
	}
	mt := e.mediaType()
	switch mt {
	case "message/rfc822", "message/global":
		return w.walkEmbedded(e, depth, sc, false)
	case "message/delivery-status", "message/global-delivery-status":
		if sc == scopeMessage && w.dsn == nil {
			var capped bool
			if w.dsn, capped = parseDeliveryStatus(w.decodeAll(e)); capped {
				w.note("delivery status longer than " + strconv.Itoa(maxDSNGroups) + " groups or " +
					strconv.Itoa(maxDSNFields) + " fields; the rest is skipped")
			}
		}
		return nil
	case "text/rfc822-headers", "message/global-headers":
		if h := w.embeddedHeader(w.decodeAll(e)); h != nil {
			w.addEmbedded(h)
		}
		return nil
	}
	if strings.HasPrefix(mt, "multipart/") {
		return w.walkMultipart(e, mt, depth, sc)
	}
	if sc != scopeMessage {
		return nil
	}
	if (mt == "text/plain" || mt == "text/html") && e.disposition().value != "attachment" && e.filename() == "" {
		text := w.text(e, mt)
		if mt == "text/html" {
			return []bodyPiece{{html: text}}
		}
		return []bodyPiece{{text: text}}
	}
	w.addAttachment(e, mt, -1)
	return nil
}

// walkMultipart splits e into its parts and combines their pieces by the
// semantics of the subtype (RFC 2046 section 5.1, RFC 6522, RFC 1847).
func (w *walker) walkMultipart(e *mimeEntity, mt string, depth int, sc walkScope) []bodyPiece {
	boundary := e.ctype.params["boundary"]
	var segs []mimeSegment
	if boundary != "" {
		var notes []string
		segs, notes = splitMultipart(e.body, boundary)
		w.addNotes(notes)
	}
	if len(segs) == 0 {
		if guess := guessBoundary(e.body); guess != "" {
			if boundary == "" {
				w.note(mt + " has no boundary parameter; boundary found in the body")
			} else {
				w.note(mt + " boundary does not occur in the body; another one found")
			}
			boundary = guess
			segs, _ = splitMultipart(e.body, boundary)
		}
	}
	if len(segs) == 0 {
		// RFC 2046 leaves this undefined; the body is all there is to read.
		w.note(mt + " without usable boundary; body read as text")
		var h hdrFields
		if cte := e.header.get("Content-Transfer-Encoding"); cte != "" {
			h = hdrFields{{key: "Content-Transfer-Encoding", value: cte}}
		}
		return w.walk(newEntity(h, e.body, "text/plain"), depth+1, sc)
	}
	return w.walkSegments(mt, boundary, segs, depth, sc)
}

func (w *walker) walkSegments(mt, boundary string, segs []mimeSegment, depth int, sc walkScope) []bodyPiece {
	defaultType := "text/plain"
	if mt == "multipart/digest" {
		defaultType = "message/rfc822"
	}
	var perChild [][]bodyPiece
	for i := 0; i < len(segs); i++ {
		h, off, notes := readHeaderBlock(segs[i].data)
		w.addNotes(notes)
		child := newEntity(h, segs[i].data[off:], defaultType)
		cmt := child.mediaType()
		if strings.HasPrefix(cmt, "multipart/") && strings.EqualFold(child.ctype.params["boundary"], boundary) {
			// RFC 2046 section 5.1.2 forbids reusing an enclosing boundary;
			// Outlook Express for Mac did it. The inner parts are the
			// siblings that follow, up to the first close-delimiter.
			w.note("nested multipart reuses its parent's boundary")
			end := i + 1
			for end < len(segs) && !segs[end].closed {
				end++
			}
			end = min(end+1, len(segs))
			if w.parts++; w.parts > maxMIMEParts {
				break
			}
			perChild = append(perChild, w.walkSegments(cmt, boundary, segs[i+1:end], depth+1, sc))
			i = end - 1
			continue
		}
		if mt == "multipart/signed" && i > 0 {
			break // the signature (RFC 1847 section 2.1) is not content
		}
		perChild = append(perChild, w.walk(child, depth+1, sc))
	}
	switch mt {
	case "multipart/alternative":
		return []bodyPiece{chooseAlternative(perChild)}
	case "multipart/report", "multipart/signed":
		// RFC 6522 section 3: the first part is the human-readable one.
		if len(perChild) > 0 {
			return perChild[0]
		}
		return nil
	}
	var pieces []bodyPiece
	for _, p := range perChild {
		pieces = append(pieces, p...)
	}
	return pieces
}

// chooseAlternative picks, among the alternatives of RFC 2046 section
// 5.1.4, the first that has plain text and the last (most faithful) that
// has HTML.
func chooseAlternative(alts [][]bodyPiece) bodyPiece {
	var choice bodyPiece
	for _, alt := range alts {
		var text, html []string
		for _, p := range alt {
			if p.text != "" {
				text = append(text, p.text)
			}
			if p.html != "" {
				html = append(html, p.html)
			}
		}
		if choice.text == "" && len(text) > 0 {
			choice.text = joinTexts(text)
		}
		if len(html) > 0 {
			choice.html = strings.Join(html, "\n")
		}
	}
	return choice
}

// joinTexts joins text parts so each starts on a new line.
func joinTexts(texts []string) string {
	var b strings.Builder
	for _, t := range texts {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
		b.WriteString(t)
	}
	return b.String()
}
