package mailbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ErrUnparseable is returned (wrapped, with the reason) when a message yields nothing usable:
// empty input, no header at all, or data that is not a mail message.
var ErrUnparseable = errors.New("mailbox: unparseable message")

// maxProblems caps Problems: a badly broken message should not produce a
// novel.
const maxProblems = 50

// Message is a parsed message. It is read-only: every accessor returns a
// copy, so callers may keep or change what they get. It holds no reference
// to attachment contents, only their names, types and sizes.
type Message struct {
	hdrFields   hdrFields
	subject     string
	date        time.Time
	text        string
	html        string
	fromHTML    bool
	attachments []attachmentInfo
	bodySHA256  string
	contentType string
	reportType  string
	dsn         []textproto.MIMEHeader
	embedded    []textproto.MIMEHeader
	problems    []string
	addrs       addressCache // From, To, … as read (parse_addresses.go)
}

// Parse parses one raw RFC 5322 message leniently. It never panics. Damage that can be
// worked around (broken boundaries, bad charsets, 8-bit headers, missing separators,
// unquoted params...) is worked around and noted in Problems(). Only truly unusable input
// returns an error wrapping ErrUnparseable.
//
// Charsets are go-message's (github.com/emersion/go-message/charset); the
// structure is read by a tolerant reader of this package, because
// go-message's reader, like net/mail and mime/multipart, gives up at the
// first malformed header line or delimiter, and real mail has many. Parts
// are sub-slices of raw and attachments are decoded through a counter, so
// parsing allocates little beyond the text it returns.
func Parse(raw []byte) (msg *Message, err error) {
	return parse(raw, false)
}

// parse is Parse; keep also keeps each attachment's decoded bytes
// (Attachments), which Parse only counts.
func parse(raw []byte, keep bool) (msg *Message, err error) {
	defer func() {
		// The parser is written not to panic; this keeps a bug in it from
		// taking the poller down with it.
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("%w: internal error: %v", ErrUnparseable, r)
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrUnparseable)
	}
	var notes []string
	data := trimMessageStart(raw)
	if len(data) != len(raw) && bytes.Contains(raw[:len(raw)-len(data)], []byte("From ")) {
		notes = append(notes, "leading mbox From line skipped")
	}
	fs, off, headerNotes := readHeaderBlock(data)
	if len(fs) == 0 {
		return nil, fmt.Errorf("%w: no header fields at the start", ErrUnparseable)
	}
	if !hasMessageField(fs) {
		return nil, fmt.Errorf("%w: no message header field (From, Subject, Content-Type...) at the start", ErrUnparseable)
	}
	notes = append(notes, headerNotes...)

	sum := sha256.Sum256(data[off:])
	m := &Message{
		hdrFields:  fs,
		subject:    decodeEncodedWords(fs.get("Subject")),
		date:       parseDateHeader(fs.get("Date")),
		bodySHA256: hex.EncodeToString(sum[:]),
	}
	if fs.get("Date") != "" && m.date.IsZero() {
		notes = append(notes, "Date header unreadable")
	}
	notes = append(notes, listNotes(fs)...)
	top := newEntity(fs, data[off:], "text/plain")
	m.contentType = top.mediaType()
	if m.contentType == "multipart/report" {
		m.reportType = strings.ToLower(top.ctype.params["report-type"])
	}
	if top.ctype.broken {
		notes = append(notes, "Content-Type header is malformed")
	}

	w := &walker{notes: notes, keep: keep}
	var pieces []bodyPiece
	if m.contentType == "message/rfc822" || m.contentType == "message/global" {
		pieces = w.walkEmbedded(top, 0, scopeMessage, true)
	} else {
		pieces = w.walk(top, 0, scopeMessage)
	}
	var bodyNotes []string
	m.text, m.html, m.fromHTML, bodyNotes = bodyText(pieces)
	w.addNotes(bodyNotes)
	m.attachments, m.dsn, m.embedded = w.attachments, w.dsn, w.embedded
	m.problems = w.notes
	if len(m.problems) > maxProblems {
		m.problems = append(m.problems[:maxProblems:maxProblems], "more problems not listed")
	}
	return m, nil
}

// listNotes notes the address and msg-id lists of the header that are
// longer than the accessors return (maxAddresses, maxMsgIDs).
func listNotes(fs hdrFields) []string {
	var notes []string
	for _, key := range []string{"From", "Sender", "Reply-To", "To", "Cc"} {
		if _, capped := parseAddressList(fs.values(key)); capped {
			notes = append(notes, "header "+key+" lists more than "+strconv.Itoa(maxAddresses)+" addresses; the rest are ignored")
		}
	}
	for _, key := range []string{"In-Reply-To", "References"} {
		if _, capped := parseMsgIDList(fs.values(key)); capped {
			notes = append(notes, "header "+key+" lists more than "+strconv.Itoa(maxMsgIDs)+" ids; only the first and the newest are kept")
		}
	}
	return notes
}

// hasMessageField tells a message header from a text that merely starts
// with "Word: ...": at least one field must be one that messages carry.
func hasMessageField(fs hdrFields) bool {
	for _, f := range fs {
		switch f.key {
		case "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Date", "Message-Id",
			"In-Reply-To", "References", "Received", "Return-Path", "Delivered-To", "Mime-Version":
			return true
		}
		for _, prefix := range []string{"Content-", "X-", "Resent-", "List-", "Dkim-", "Arc-", "Authentication-"} {
			if strings.HasPrefix(f.key, prefix) {
				return true
			}
		}
	}
	return false
}

// bodyText turns the collected pieces into Text and HTML: each piece gives
// its plain text, or its HTML converted to text when it has none. Text
// stops at maxBodyText bytes.
func bodyText(pieces []bodyPiece) (text, html string, fromHTML bool, notes []string) {
	var texts []string
	size := 0
	for _, p := range pieces {
		if html == "" && p.html != "" {
			html = p.html
		}
		if size >= maxBodyText {
			continue
		}
		var t string
		switch {
		case strings.TrimSpace(p.text) != "":
			t = p.text
		case p.html != "":
			var ns []string
			t, ns = htmlToTextNotes(p.html)
			notes = append(notes, ns...)
			fromHTML = true
		default:
			continue
		}
		if size+len(t) > maxBodyText {
			t = strings.ToValidUTF8(t[:maxBodyText-size], "")
			notes = append(notes, "body text longer than "+strconv.Itoa(maxBodyText>>20)+" MB; the rest is dropped")
		}
		size += len(t) + 1
		texts = append(texts, t)
	}
	return trimBlankLines(joinTexts(texts)), html, fromHTML, notes
}

// trimBlankLines drops empty (or white-space-only) lines at the start and
// trailing white space at the end.
func trimBlankLines(s string) string {
	for {
		nl := strings.IndexByte(s, '\n')
		if nl < 0 || strings.TrimSpace(s[:nl]) != "" {
			break
		}
		s = s[nl+1:]
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// Header returns the top-level header: canonical keys, values unfolded,
// trimmed, in order of appearance, valid UTF-8, not RFC 2047-decoded.
func (m *Message) Header() textproto.MIMEHeader { return m.hdrFields.mimeHeader() }

// From returns the From addresses (RFC 5322 section 3.6.2), leniently parsed.
func (m *Message) From() []*mail.Address { return m.addresses(addrFrom) }

// Sender returns the Sender addresses.
func (m *Message) Sender() []*mail.Address { return m.addresses(addrSender) }

// ReplyTo returns the Reply-To addresses.
func (m *Message) ReplyTo() []*mail.Address { return m.addresses(addrReplyTo) }

// To returns the To addresses.
func (m *Message) To() []*mail.Address { return m.addresses(addrTo) }

// Cc returns the Cc addresses.
func (m *Message) Cc() []*mail.Address { return m.addresses(addrCc) }

// DeliveredTo returns the Delivered-To and X-Original-To values in header
// order, without angle brackets.
func (m *Message) DeliveredTo() []string {
	var out []string
	for _, f := range m.hdrFields {
		if f.key == "Delivered-To" || f.key == "X-Original-To" {
			if v := strings.Trim(strings.TrimSpace(stripHeaderComments(f.value)), "<> "); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// ReturnPath returns the topmost Return-Path (RFC 5321 section 4.4) without
// brackets; "" and true for the null path "<>" of bounces and auto-replies.
func (m *Message) ReturnPath() (path string, present bool) {
	for _, f := range m.hdrFields {
		if f.key != "Return-Path" {
			continue
		}
		v := strings.TrimSpace(stripHeaderComments(f.value))
		if lt := strings.IndexByte(v, '<'); lt >= 0 {
			v = v[lt+1:]
			if gt := strings.IndexByte(v, '>'); gt >= 0 {
				v = v[:gt]
			}
		}
		return lowerAddrDomain(strings.TrimSpace(v)), true
	}
	return "", false
}

// Subject returns the RFC 2047-decoded subject.
func (m *Message) Subject() string { return m.subject }

// MessageID returns the Message-ID without angle brackets, "" when absent.
func (m *Message) MessageID() string {
	v := m.hdrFields.get("Message-Id")
	if ids := parseMsgIDHeader([]string{v}); len(ids) > 0 {
		return ids[0]
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

// InReplyTo returns the In-Reply-To ids without brackets.
func (m *Message) InReplyTo() []string { return parseMsgIDHeader(m.hdrFields.values("In-Reply-To")) }

// References returns the References ids without brackets, oldest first.
func (m *Message) References() []string { return parseMsgIDHeader(m.hdrFields.values("References")) }

// Date returns the Date header; zero when absent or unreadable.
func (m *Message) Date() time.Time { return m.date }

// Text returns the body as text with LF line breaks: the text/plain
// alternative when there is one, else the HTML converted to text.
func (m *Message) Text() string { return m.text }

// HTML returns the text/html body, decoded to UTF-8; "" when there is none.
func (m *Message) HTML() string { return m.html }

// TextFromHTML reports whether Text was derived from HTML.
func (m *Message) TextFromHTML() bool { return m.fromHTML }

// AttachmentCount returns the number of attachments: every part that is
// not body text, a delivery status or a header block, including embedded
// messages (message/rfc822) but not their inner parts.
func (m *Message) AttachmentCount() int { return len(m.attachments) }

// Attachment returns the name, lower-case media type and decoded size of
// attachment i; zero values when i is out of range.
func (m *Message) Attachment(i int) (name, contentType string, size int64) {
	if i < 0 || i >= len(m.attachments) {
		return "", "", 0
	}
	a := m.attachments[i]
	return a.name, a.contentType, a.size
}

// BodySHA256 returns the hex SHA-256 of the raw bytes after the header.
func (m *Message) BodySHA256() string { return m.bodySHA256 }

// ContentType returns the top-level media type, lower-case.
func (m *Message) ContentType() string { return m.contentType }

// ReportType returns the report-type of a top-level multipart/report
// (RFC 6522 section 3), lower-case; "" otherwise.
func (m *Message) ReportType() string { return m.reportType }

// DeliveryStatus returns the fields of the first message/delivery-status
// part: per-message fields first, then one element per recipient
// (RFC 3464 section 2); nil when there is none.
func (m *Message) DeliveryStatus() []textproto.MIMEHeader { return cloneMIMEHeaders(m.dsn) }

// EmbeddedHeaders returns the headers of every embedded message
// (message/rfc822, message/global, text/rfc822-headers,
// message/global-headers), outer before inner.
func (m *Message) EmbeddedHeaders() []textproto.MIMEHeader { return cloneMIMEHeaders(m.embedded) }

// Problems returns notes on damage that was worked around.
func (m *Message) Problems() []string { return slices.Clone(m.problems) }

func cloneMIMEHeaders(hs []textproto.MIMEHeader) []textproto.MIMEHeader {
	if hs == nil {
		return nil
	}
	out := make([]textproto.MIMEHeader, len(hs))
	for i, h := range hs {
		c := maps.Clone(h)
		for k, v := range c {
			c[k] = slices.Clone(v)
		}
		out[i] = c
	}
	return out
}
