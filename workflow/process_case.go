package workflow

// What a message does to the cases once the pipeline (process.go) has
// placed it: a new case opened, or a reply recorded and passed on.

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
)

// openCase turns a message into a new case, confirms it to the complainant
// and tells the handlers.
func (w *Workflow) openCase(ctx context.Context, a *arrival, sender *mail.Address) (*Case, error) {
	m := a.mail
	now := w.clock.Now()
	org := w.set.Organisation
	// The term runs from when the server received the complaint, even if the
	// daemon was down then.
	received := a.InternalDate
	if received.IsZero() {
		received = now
	}
	subject := w.caseSubject(m)
	name := sender.Name
	c := &Case{
		Reference: pendingReference(a.entry.ID), Status: StatusReceived, Kind: KindParent,
		ComplainantName: name, ComplainantEmail: strings.ToLower(sender.Address),
		Subject: subject, Language: org.Language,
		ReceivedAt: received, DeadlineAt: deadlineAt(received, org.Location),
		CreatedAt: now, UpdatedAt: now,
	}
	if cmt, ok := w.committee(sender); ok {
		// A joint complaint of a parent committee (Wko 1.60; the
		// organisation's procedure accepts them as complaints).
		c.Kind, c.Committee, c.Location = KindCommittee, cmt.Name, cmt.Location
		if c.ComplainantName == "" {
			c.ComplainantName = cmt.Name
		}
	}
	year := received.In(org.Location).Year()
	numbered, err := numberCase(ctx, w.db, c, year)
	if err != nil {
		return nil, err
	}
	if err := insertCase(ctx, w.db, c); err != nil {
		return nil, err
	}
	noteCaseOpened(ctx, c)
	// Everyone taking part from the start, in one statement: the
	// complainant, whoever they copied in, and the handlers.
	ps := []Participant{{Role: RoleComplainant, Email: c.ComplainantEmail, Name: name}}
	copies, skipped := 0, 0
	for _, a := range m.Cc() {
		switch {
		case w.ours(a.Address) || w.isHandler(a.Address):
		case copies >= maxCopies: // each is a row and SQL variables (issue 9)
			skipped++
		default:
			copies++
			ps = append(ps, Participant{Role: RoleCopy, Email: a.Address, Name: a.Name})
		}
	}
	for _, h := range w.caseHandlers(c) {
		ps = append(ps, Participant{Role: RoleHandler, Email: h.Email, Name: h.Name})
	}
	ids, err := addParticipants(ctx, w.db, c.ID, ps, now)
	if err != nil {
		return nil, err
	}
	in, err := w.recordInbound(ctx, c, a, MsgComplaint)
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		if err := addEvent(ctx, w.db, c.ID, now, EventMessage, c.ComplainantEmail, fmt.Sprintf(
			"the complaint was copied to %d more addresses; only the first %d take part", skipped, maxCopies)); err != nil {
			return nil, err
		}
	}
	if err := addEvent(ctx, w.db, c.ID, now, EventOpened, c.ComplainantEmail,
		fmt.Sprintf("complaint received %s, judgment due by %s", received.In(org.Location).Format("2006-01-02 15:04"),
			LastDay(c.DeadlineAt, org.Location).Format("2006-01-02"))); err != nil {
		return nil, err
	}
	// Number the case last: the year's counter row stays locked until this
	// transaction commits, so it is taken when only the mail is left to write.
	// (A group's cases are numbered from its block up front: refblock.go.)
	if !numbered {
		if err := assignReference(ctx, w.db, c, year, now); err != nil {
			return nil, err
		}
	}
	// A possible offence against a child: the managers hear of it at once.
	if err := w.signalWordsOnNewCase(ctx, c, m, in.NewText); err != nil {
		return nil, err
	}

	confirm := w.letter(c, c.ComplainantName)
	confirm.Text = excerpt(in.NewText)
	// The confirmation repeats the complaint: sent to someone other than
	// its writer, it would carry a stranger's words under our name. When
	// Reply-To names another address, or our server says the From is
	// forged, it goes to the From address and repeats nothing.
	if why := w.withholdWhy(m, in, c.ComplainantEmail); why != "" {
		confirm.Text, confirm.To, confirm.Withheld = "", "", true
		if err := addEvent(ctx, w.db, c.ID, now, EventWithheld, c.ComplainantEmail,
			"the confirmation went to "+c.ComplainantEmail+" without the complaint's words: "+why); err != nil {
			return nil, err
		}
	}
	notes, err := w.handlerNotes(ctx, c, MsgNewCase, a, in, "", ids)
	if err != nil {
		return nil, err
	}
	w.suggestConcerns(notes, w.handlersNamedAbout(m, c.Subject+"\n"+in.NewText))
	return c, w.queue(ctx, append([]draft{{
		c: c, partID: ids[c.ComplainantEmail], kind: MsgConfirmation, template: "confirmation", lang: c.Language,
		to: &mail.Address{Name: confirm.To, Address: c.ComplainantEmail}, letter: confirm,
		inReplyTo: in.MessageID, refs: m.References(), auto: autoReplied,
	}}, notes...)...)
}

// addReply records a later message on a case and passes it to the handlers.
func (w *Workflow) addReply(ctx context.Context, c *Case, a *arrival) error {
	in, err := w.recordInbound(ctx, c, a, MsgReply)
	if err != nil {
		return err
	}
	if err := addEvent(ctx, w.db, c.ID, w.clock.Now(), EventMessage, in.FromAddr, "message received: "+in.Subject); err != nil {
		return err
	}
	notes, err := w.handlerNotes(ctx, c, MsgCaseReply, a, in, in.FromAddr, nil)
	if err != nil {
		return err
	}
	return w.queue(ctx, notes...)
}

// handlerNotes drafts for each handler of a case a notification about
// message in (except to its own author), in one thread per handler and case.
// ids are the handlers' participant ids when the caller has them.
func (w *Workflow) handlerNotes(ctx context.Context, c *Case, kind string, a *arrival, in Message, author string, ids map[string]int64) ([]draft, error) {
	m, raw := a.mail, a.Raw
	if ids == nil {
		var err error
		if ids, err = w.handlerParticipants(ctx, c); err != nil {
			return nil, err
		}
	}
	from, fromName := in.FromAddr, in.FromAddr
	if a := firstAddress(m.From()); a != nil && a.Name != "" {
		from, fromName = a.Name+" <"+in.FromAddr+">", a.Name
	}
	var notes []draft
	for _, h := range w.caseHandlers(c) {
		if h.Email == author {
			continue
		}
		l := w.letter(c, h.Name)
		l.From, l.FromName, l.At, l.Text = from, fromName, c.ReceivedAt.In(w.set.Organisation.Location), excerpt(in.NewText)
		l.Unverified = in.Unverified
		if claimed, ok := w.set.handler(in.FromAddr); ok && in.Unverified && kind != MsgNewCase {
			l.ClaimedHandler = claimed.Name
		}
		if kind == MsgCaseReply {
			l.At = w.clock.Now().In(w.set.Organisation.Location)
		}
		l.Attachments = w.attachmentList(m)
		l.OriginalSize = humanSize(int64(len(raw)))
		dr := draft{
			c: c, partID: ids[h.Email], kind: kind, template: kind, lang: w.set.Organisation.Language,
			to: &mail.Address{Name: h.Name, Address: h.Email}, letter: l, auto: autoGenerated,
		}
		if int64(len(raw)) <= w.set.AttachLimit {
			dr.original, l.Original = raw, true
			dr.letter = l
		}
		// Keep each handler's notifications about a case in one thread (a
		// new case has none yet).
		if kind != MsgNewCase {
			if prev, ok, err := lastMessage(ctx, w.db, c.ID, h.Email, MsgNewCase, MsgCaseReply); err != nil {
				return nil, err
			} else if ok {
				dr.inReplyTo = prev.MessageID
			}
		}
		notes = append(notes, dr)
	}
	return notes, nil
}

// recordInbound stores an inbound message on a case.
func (w *Workflow) recordInbound(ctx context.Context, c *Case, a *arrival, kind string) (Message, error) {
	m := a.mail
	from := ""
	if a := firstAddress(m.From()); a != nil {
		from = strings.ToLower(a.Address)
	}
	text, fresh := textOf(m)
	if kind == MsgHandlerReply {
		// A handler's message never falls back to its full text: that is
		// the quoted notification, with other handlers' internal notes.
		fresh = replyText(text)
	}
	in := Message{
		CaseID: c.ID, Direction: DirIn, Kind: kind, MessageID: m.MessageID(),
		InReplyTo: strings.Join(m.InReplyTo(), " "), Refs: strings.Join(m.References(), " "),
		FromAddr: from, ToAddr: strings.ToLower(w.set.Organisation.Address), Subject: m.Subject(),
		BodySHA256: m.BodySHA256(), FullText: text, NewText: fresh,
		Attachments: strings.Join(w.attachmentList(m), "\n"),
		CreatedAt:   w.clock.Now(),
	}
	in.Unverified, _ = w.dmarcFailed(m)
	in.Unverified = in.Unverified || a.spoofed
	in.LedgerID.Int64, in.LedgerID.Valid = a.entry.ID, true
	if err := insertMessage(ctx, w.db, &in); err != nil {
		return in, err
	}
	noteInbound(ctx, c, in)
	return in, nil
}

// handlerParticipants records the handlers of a case as its participants
// (once) and returns their participant ids, for their reply tokens.
func (w *Workflow) handlerParticipants(ctx context.Context, c *Case) (map[string]int64, error) {
	var ps []Participant
	for _, h := range w.caseHandlers(c) {
		ps = append(ps, Participant{Role: RoleHandler, Email: h.Email, Name: h.Name})
	}
	return addParticipants(ctx, w.db, c.ID, ps, w.clock.Now())
}
