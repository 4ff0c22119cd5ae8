package workflow

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// A manager's reply token names a manager, not a participant of a case:
// managers are in the configuration, not in the database, and a digest is
// about no single case. It is a reply token of the same format, signed
// under its own label (labelManager), naming case 0 (or the case a notice
// is about) and, in place of the participant, a number derived from the
// manager's address. It travels in the Message-ID (and, with plus
// addressing, the Reply-To) of every mail a manager gets from us, so that
// their reply proves it answers our mail to that address.

// managerKey is the number a manager's token carries for address email:
// 48 bits of a hash of the address, so any two addresses differ.
func managerKey(email string) int64 {
	sum := sha256.Sum256([]byte("complaintd manager\x00" + strings.ToLower(strings.TrimSpace(email))))
	return int64(binary.BigEndian.Uint64(append([]byte{0, 0}, sum[:6]...)))
}

// managerToken issues the reply token of mail to manager email, about
// caseID (0: about no single case).
func (t *tokens) managerToken(caseID int64, email string, now time.Time) string {
	return t.sign(labelManager, caseID, managerKey(email), now)
}

// managerTokenOf reports whether the message carries a manager's token of
// ours for email that has not expired: the proof that it answers our mail
// to that manager.
func (w *Workflow) managerTokenOf(m Mail, email string) bool {
	now := w.clock.Now()
	for _, cand := range w.tokenCandidates(m) {
		tok, err := w.tokens.verify(labelManager, cand, now)
		if err == nil && tok.ParticipantID == managerKey(email) {
			return true
		}
	}
	return false
}

// isManagerToken reports whether s is a manager's token of ours, expired
// or not: it is ours, not a forgery, though it names no participant.
func (w *Workflow) isManagerToken(s string) bool {
	_, err := w.tokens.verify(labelManager, s, w.clock.Now())
	return err == nil || errors.Is(err, ErrExpiredToken)
}
