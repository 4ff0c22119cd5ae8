package mailbox

import (
	"bytes"
	"net/textproto"
	"strconv"
)

// parseDeliveryStatus reads the body of a message/delivery-status part
// (RFC 3464 section 2.1; message/global-delivery-status, RFC 6533, has the
// same shape in UTF-8): groups of header-like fields separated by empty
// lines, the per-message fields first, then one group per recipient. It
// returns nil when the part holds no fields (Google Workspace sends it
// empty).
//
// At most maxDSNGroups groups and maxDSNFields fields are read; capped
// reports that more were there.
func parseDeliveryStatus(data []byte) (groups []textproto.MIMEHeader, capped bool) {
	fields := 0
	for pos := 0; pos < len(data); {
		if len(groups) >= maxDSNGroups || fields >= maxDSNFields {
			return groups, true
		}
		line, next := lineAt(data, pos)
		if len(bytes.TrimSpace(line)) == 0 {
			pos = next
			continue
		}
		fs, off, _ := readHeaderBlock(data[pos:])
		if len(fs) == 0 {
			pos = next // not a field: skip the line
			continue
		}
		groups = append(groups, fs.mimeHeader())
		fields += len(fs)
		pos += off
	}
	return groups, false
}

// Limits on what delivery reports and embedded messages keep: a header
// block costs a map, so 20 MB of "X: y" groups were 2.6 million maps and a
// gigabyte (issue 9 audit).
const (
	maxDSNGroups       = 1000   // per-message and per-recipient groups of a delivery status
	maxDSNFields       = 10_000 // fields of a delivery status, all groups together
	maxEmbeddedHeaders = 100    // headers of embedded messages kept
)

// addEmbedded keeps the header of an embedded message, up to
// maxEmbeddedHeaders.
func (w *walker) addEmbedded(fs hdrFields) {
	if len(w.embedded) >= maxEmbeddedHeaders {
		w.note("more than " + strconv.Itoa(maxEmbeddedHeaders) + " embedded message headers; the rest are skipped")
		return
	}
	w.embedded = append(w.embedded, fs.mimeHeader())
}

// embeddedHeader reads the header block of an embedded message or of a
// text/rfc822-headers part (RFC 6522 section 4). Leading empty lines and an
// mbox "From " line are skipped. It returns nil when there is no header.
func (w *walker) embeddedHeader(data []byte) hdrFields {
	fs, _, notes := readHeaderBlock(trimMessageStart(data))
	w.addNotes(notes)
	if len(fs) == 0 {
		w.note("embedded message has no header")
		return nil
	}
	return fs
}

// walkEmbedded handles a message/rfc822 (or message/global, RFC 6532
// section 3.7) part: a returned message in a bounce, a forwarded
// attachment. Its header is recorded; inside it only further embedded
// messages are looked for. In our own message it is listed as an
// attachment. When promote is set (the whole message is a message/rfc822,
// RFC 2046 section 5.2.1) the embedded message is read as the body itself.
func (w *walker) walkEmbedded(e *mimeEntity, depth int, sc walkScope, promote bool) []bodyPiece {
	data := w.decodeAll(e)
	if cte := e.transferEncoding(); e.mediaType() == "message/rfc822" && (cte == "base64" || cte == "quoted-printable") {
		w.note("message/rfc822 part with a transfer encoding (RFC 2046 section 5.2.1 forbids it)")
	}
	if sc == scopeMessage && !promote {
		w.addAttachment(e, e.mediaType(), int64(len(data)))
		if w.keep {
			w.attachments[len(w.attachments)-1].data = data
		}
	}
	data = trimMessageStart(data)
	fs, off, notes := readHeaderBlock(data)
	w.addNotes(notes)
	if len(fs) == 0 {
		w.note("embedded message has no header")
		off = 0
	} else {
		w.addEmbedded(fs)
	}
	inner := newEntity(fs, data[off:], "text/plain")
	innerScope := scopeEmbedded
	if promote {
		innerScope = sc
	}
	return w.walk(inner, depth+1, innerScope)
}

// trimMessageStart skips leading empty lines and an mbox "From " line
// (not a header field: "From " has no colon after the name).
func trimMessageStart(data []byte) []byte {
	for len(data) > 0 && (data[0] == '\r' || data[0] == '\n') {
		data = data[1:]
	}
	if bytes.HasPrefix(data, []byte("From ")) {
		_, next := lineAt(data, 0)
		data = data[next:]
	}
	return data
}
