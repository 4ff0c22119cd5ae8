package workflow

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
)

// caseMatch is how a message was linked to a case.
type caseMatch struct {
	c     *Case  // nil: no case
	via   string // "token", "thread" or "subject"
	token Token  // when via a token
	// forged are tokens the message carried that did not verify: recorded,
	// never followed.
	forged []string
}

// findCase links a message to a case, strongest evidence first (DESIGN.md
// "Matching"):
//  1. a signed reply token in a recipient address (klachten+TOKEN@…) or in a
//     Message-ID of ours it answers (<TOKEN@host> in In-Reply-To/References);
//  2. In-Reply-To/References naming any Message-ID stored for a case;
//  3. the case reference in the subject, only when the sender already takes
//     part in that case: a stranger quoting a reference gets a new case,
//     never someone else's.
func (w *Workflow) findCase(ctx context.Context, m Mail, sender string) (caseMatch, error) {
	var cm caseMatch
	now := w.clock.Now()
	for _, cand := range w.tokenCandidates(m) {
		tok, err := w.tokens.read(cand, now)
		switch {
		case errors.Is(err, ErrForgedToken) && w.isManagerToken(cand):
			continue // a manager's: onManager checks it
		case errors.Is(err, ErrForgedToken):
			cm.forged = append(cm.forged, cand)
			continue
		case err != nil: // not a token, or expired: fall back to the other evidence
			continue
		}
		c, err := caseByID(ctx, w.db, tok.CaseID)
		if errors.Is(err, ErrCaseNotFound) {
			cm.forged = append(cm.forged, cand) // signed by us, yet no such case: a database mix-up
			continue
		}
		if err != nil {
			return cm, err
		}
		cm.c, cm.via, cm.token = &c, "token", tok
		return w.unlessAnonymised(ctx, cm)
	}
	if id, ok, err := caseOfMessageIDs(ctx, w.db, threadIDs(m)); err != nil {
		return cm, err
	} else if ok {
		c, err := caseByID(ctx, w.db, id)
		if err != nil {
			return cm, err
		}
		cm.c, cm.via = &c, "thread"
		return w.unlessAnonymised(ctx, cm)
	}
	for _, ref := range subjectReferences(m.Subject()) {
		c, err := caseByReference(ctx, w.db, ref)
		if errors.Is(err, ErrCaseNotFound) {
			continue
		}
		if err != nil {
			return cm, err
		}
		if ok, err := isParticipant(ctx, w.db, c.ID, sender); err != nil {
			return cm, err
		} else if ok {
			cm.c, cm.via = &c, "subject"
			return w.unlessAnonymised(ctx, cm)
		}
	}
	return cm, nil
}

// tokenCandidates are the strings in a message that may be our reply
// tokens: the plus-part of recipient addresses at our complaints address,
// then the local parts of the Message-IDs on our host it answers, newest first.
func (w *Workflow) tokenCandidates(m Mail) []string {
	local, domain, _ := strings.Cut(strings.ToLower(w.set.Organisation.Address), "@")
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	addrs := append(append([]*mail.Address(nil), m.To()...), m.Cc()...)
	for _, d := range m.DeliveredTo() {
		addrs = append(addrs, &mail.Address{Address: d})
	}
	for _, a := range addrs {
		l, d, ok := strings.Cut(strings.ToLower(a.Address), "@")
		if !ok || d != domain {
			continue
		}
		if tag, ok := strings.CutPrefix(l, local+"+"); ok {
			add(tag)
		}
	}
	host := strings.ToLower(w.set.Organisation.Host)
	for _, id := range threadIDs(m) {
		if l, h, ok := strings.Cut(id, "@"); ok && strings.EqualFold(h, host) {
			add(strings.ToLower(l))
		}
	}
	return out
}

// referencePattern finds case references such as KL-2026-0042 in a subject,
// with or without the brackets we put around them.
var referencePattern = regexp.MustCompile(`(?i)\bKL-(\d{4})-(\d{4,})\b`)

func subjectReferences(subject string) []string {
	var out []string
	for _, m := range referencePattern.FindAllString(subject, -1) {
		out = append(out, strings.ToUpper(m))
	}
	return out
}

// duplicateOf finds an inbound message already on record with the same
// Message-ID and the same body: the same mail delivered twice, or sent To and
// Cc to two addresses that both end in this mailbox. The same Message-ID with
// a different body is a different message and is not dropped.
func duplicateOf(ctx context.Context, db Database, m Mail) (string, bool, error) {
	id := m.MessageID()
	if id == "" {
		return "", false, nil
	}
	if ref, dup, ok := groupDuplicate(ctx, id, m.BodySHA256()); ok {
		return ref, dup, nil
	}
	var ref string
	err := db.Get(ctx, &ref, `SELECT c.reference FROM messages m JOIN cases c ON c.id = m.case_id
		WHERE m.message_id = ? AND m.body_sha256 = ? AND m.direction = ? LIMIT 1`, id, m.BodySHA256(), DirIn)
	if err == nil {
		return ref, true, nil
	}
	if isNoRows(err) {
		return "", false, nil
	}
	return "", false, err
}
