package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Limits on what an inbound message puts in the database and in the mail we
// send about it (issue 9: a 10 MB subject became 86 MB in the outbox, a
// 2.7 KB Message-ID broke PostgreSQL's index, 7,000 Cc addresses too many
// SQL variables). The raw message stays in the ledger, whole.
const (
	// maxSubjectRunes caps a subject as stored (cases.subject,
	// messages.subject) and rendered; RFC 5322 section 2.1.1 asks for lines
	// of at most 78 characters, so real subjects are far shorter.
	maxSubjectRunes = 250
	// maxNameRunes caps a display name (cases.complainant_name,
	// participants.name) and an attachment name in a notification.
	maxNameRunes = 100
	// maxMessageIDLen is the longest Message-ID stored as is (RFC 5322
	// allows 998-character lines; PostgreSQL indexes at most 2,704 bytes).
	// A longer one is stored, and looked up, as longMessageID of it.
	maxMessageIDLen = 500
	// maxCopies is the most Cc addresses a new case takes as participants;
	// the rest are named in an event.
	maxCopies = 50
)

// clip shortens s to at most n runes, ending it with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for range n - 1 {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}

// longMessageID stands for a Message-ID longer than maxMessageIDLen: the same
// id always gives the same stand-in, so threading and duplicate detection
// still work, and the stand-in is a valid msg-id (RFC 5322 section 3.6.4).
func longMessageID(id string) string {
	if len(id) <= maxMessageIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256-" + hex.EncodeToString(sum[:16]) + "@long-message-id.invalid"
}

// boundedMail is an inbound message as the workflow stores it: subjects,
// names and Message-IDs within the limits above, whatever the sender wrote.
type boundedMail struct{ Mail }

func bound(m Mail) Mail { return boundedMail{m} }

func (m boundedMail) Subject() string { return clip(m.Mail.Subject(), maxSubjectRunes) }

func (m boundedMail) MessageID() string { return longMessageID(m.Mail.MessageID()) }

func (m boundedMail) InReplyTo() []string { return boundIDs(m.Mail.InReplyTo()) }

func (m boundedMail) References() []string { return boundIDs(m.Mail.References()) }

func (m boundedMail) From() []*mail.Address { return boundNames(m.Mail.From()) }

func (m boundedMail) ReplyTo() []*mail.Address { return boundNames(m.Mail.ReplyTo()) }

func (m boundedMail) Sender() []*mail.Address { return boundNames(m.Mail.Sender()) }

func (m boundedMail) To() []*mail.Address { return boundNames(m.Mail.To()) }

func (m boundedMail) Cc() []*mail.Address { return boundNames(m.Mail.Cc()) }

func (m boundedMail) Attachment(i int) (name, contentType string, size int64) {
	name, contentType, size = m.Mail.Attachment(i)
	return clip(name, maxNameRunes), clip(contentType, maxNameRunes), size
}

func boundIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = longMessageID(id)
	}
	return out
}

// boundNames clips display names. An address longer than RFC 5321's 254
// characters (section 4.5.3.1) cannot be delivered to and is dropped.
func boundNames(as []*mail.Address) []*mail.Address {
	var out []*mail.Address
	for _, a := range as {
		if a == nil || len(a.Address) > 254 {
			continue
		}
		out = append(out, &mail.Address{Name: clip(a.Name, maxNameRunes), Address: a.Address})
	}
	return out
}
