package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"runtime/debug"
	"strings"
	"time"
)

// Delivery is one message fetched from a mailbox.
type Delivery struct {
	Mailbox      string
	UIDValidity  uint32
	UID          uint32
	InternalDate time.Time // when the server received it: the complaint's date of receipt
	Raw          []byte
}

// Disposition says where a processed message goes.
type Disposition int

const (
	// Done: acted on (or recognised as already acted on); move it to the
	// processed folder.
	Done Disposition = iota
	// Quarantine: it cannot be handled; move it to the quarantine folder.
	Quarantine
)

// quarantined is returned by a processing step that found the message cannot
// be handled at all; trying again would not help.
type quarantined struct{ reason string }

func (q quarantined) Error() string { return "workflow: quarantine: " + q.reason }

// arrival is one inbound message being processed: what was fetched, its
// ledger entry and what the parser made of it.
type arrival struct {
	Delivery
	entry ledgerEntry
	mail  Mail
	// spoofed: the message claims a handler's address but failed the
	// handler's verification, so it is recorded as unverified even when
	// DMARC did not fail (issue 11).
	spoofed bool
}

// errSettled means another daemon finished the message first.
var errSettled = errors.New("workflow: message already settled")

// Process acts on one fetched message exactly once. The message is first
// recorded in the ledger with its raw bytes; then everything it causes — the
// case, its events, the mail to send — is written in one transaction that
// also marks the ledger entry processed. Running Process again for the same
// (mailbox, UIDVALIDITY, UID) changes nothing and sends nothing.
//
// An error means the message should stay in the inbox and be offered again;
// after Settings.MaxAttempts tries it is quarantined.
func (w *Workflow) Process(ctx context.Context, d Delivery) (Disposition, error) {
	disp, _, err := w.ProcessSettled(ctx, d)
	return disp, err
}

// Settled is the ledger's verdict on one message: its state (processed,
// ignored, quarantined) and, unless it was acted on, the reason.
type Settled struct {
	State, Reason string
}

// ProcessSettled is Process, also telling how the message was settled, so
// that callers count outcomes without asking the database again.
func (w *Workflow) ProcessSettled(ctx context.Context, d Delivery) (disp Disposition, settled Settled, err error) {
	now := w.clock.Now()
	sum := sha256.Sum256(d.Raw)
	e, err := recordArrival(ctx, w.db, d, hex.EncodeToString(sum[:]), now)
	if err != nil {
		return 0, Settled{}, err
	}
	return w.processEntry(ctx, d, e, now)
}

// processEntry acts on a message whose arrival (and this attempt at it) is
// recorded as ledger entry e: alone, in a transaction of its own.
func (w *Workflow) processEntry(ctx context.Context, d Delivery, e ledgerEntry, now time.Time) (disp Disposition, settled Settled, err error) {
	switch e.State {
	case LedgerProcessed, LedgerIgnored:
		return Done, Settled{e.State, e.Reason}, nil
	case LedgerQuarantined:
		return Quarantine, Settled{e.State, e.Reason}, nil
	}
	log := w.log.With("ledger", e.ID, "mailbox", d.Mailbox, "uid", d.UID)
	if e.ReusedUID != 0 {
		log.Warn("the server reused a UID for a different message: processing it as a new one",
			"uidvalidity", d.UIDValidity, "earlier_ledger", e.ReusedUID)
	}
	if e.Attempts > w.set.MaxAttempts {
		reason := fmt.Sprintf("gave up after %d attempts: %s", e.Attempts-1, e.Reason)
		return w.quarantine(ctx, log, e.ID, reason)
	}
	defer func() {
		// A bug must cost one message, not the daemon: the attempt is already
		// counted, so the message is quarantined after a few tries.
		if p := recover(); p != nil {
			err = fmt.Errorf("workflow: panic processing ledger %d: %v\n%s", e.ID, p, debug.Stack())
			_ = noteFailure(context.WithoutCancel(ctx), w.db, e.ID, fmt.Sprint("panic: ", p), w.clock.Now())
		}
	}()

	m, err := w.parse(d.Raw)
	if err != nil {
		return w.quarantine(ctx, log, e.ID, "cannot parse: "+err.Error())
	}
	m = bound(m) // what is stored and sent stays small, whatever was written
	var caseID int64
	var outcome, reason string
	err = w.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		caseID, outcome, reason, err = w.actOn(ctx, d, e, m, now)
		return err
	})
	var q quarantined
	switch {
	case errors.As(err, &q):
		return w.quarantine(ctx, log, e.ID, q.reason)
	case errors.Is(err, errSettled):
		return w.ProcessSettled(ctx, d) // report what the other daemon decided
	case err != nil:
		_ = noteFailure(context.WithoutCancel(ctx), w.db, e.ID, err.Error(), w.clock.Now())
		return 0, Settled{}, err
	}
	if reason != "" {
		log.Info("message processed", "outcome", outcome, "case", caseID, "reason", reason)
	} else {
		log.Info("message processed", "outcome", outcome, "case", caseID)
	}
	w.wakeOutbox()
	return Done, Settled{outcome, reason}, nil
}

// actOn does, inside the caller's transaction, everything one parsed
// message means, and settles its ledger entry with it.
func (w *Workflow) actOn(ctx context.Context, d Delivery, e ledgerEntry, m Mail, now time.Time) (caseID int64, outcome, reason string, err error) {
	// Settled as processed up front: this also locks the entry, so two
	// daemons handed the same message act on it once; if anything below
	// fails, the whole transaction and this with it are rolled back.
	sameAs, err := claimEntry(ctx, w.db, e.ID, now)
	if err != nil {
		return 0, "", "", err
	}
	if sameAs != 0 {
		reason = fmt.Sprintf("same message as ledger #%d", sameAs)
		return 0, LedgerIgnored, reason, settle(ctx, w.db, e.ID, LedgerIgnored, reason, now)
	}
	res, err := w.apply(ctx, &arrival{Delivery: d, entry: e, mail: m})
	if err != nil {
		return 0, "", "", err
	}
	if res.ignored != "" {
		return res.caseID, LedgerIgnored, res.ignored, settle(ctx, w.db, e.ID, LedgerIgnored, res.ignored, now)
	}
	return res.caseID, LedgerProcessed, "", nil
}

// quarantine sets a message aside with its reason. It stays in the ledger
// with its raw bytes and goes to the quarantine folder; nothing is deleted.
func (w *Workflow) quarantine(ctx context.Context, log interface{ Warn(string, ...any) }, id int64, reason string) (Disposition, Settled, error) {
	if err := settle(ctx, w.db, id, LedgerQuarantined, reason, w.clock.Now()); err != nil {
		return 0, Settled{}, err
	}
	log.Warn("message quarantined", "reason", reason)
	return Quarantine, Settled{LedgerQuarantined, reason}, nil
}

// result is what processing a message came to.
type result struct {
	caseID  int64  // the case it was recorded on, if any
	ignored string // why nothing was done with it; "" when it was acted on
}

// apply does what one message means for the cases, inside the transaction.
func (w *Workflow) apply(ctx context.Context, a *arrival) (result, error) {
	m := a.mail
	if ref, dup, err := duplicateOf(ctx, w.db, m); err != nil {
		return result{}, err
	} else if dup {
		return result{ignored: "same Message-ID and body as a message already on " + ref}, nil
	}
	// Machines never get an automatic answer (RFC 3834): what they send is
	// recorded on its case, or ignored with the reason.
	cls := classify(m, w.identity())
	switch cls.Class {
	case ClassOwn:
		return result{ignored: "our own mail came back (" + cls.Reason + ")"}, nil
	case ClassBounce:
		return w.onBounce(ctx, a, cls)
	}
	// The sender is who wrote (From), never whoever Reply-To names: that
	// may be anyone, a handler included (issue 9). Only a message without a
	// usable From falls back to its Reply-To, and never to ours or a
	// handler's.
	sender := firstAddress(m.From())
	if r := firstAddress(m.ReplyTo()); sender == nil && r != nil && !w.ours(r.Address) && !w.isHandler(r.Address) {
		sender = r
	}
	if cls.Weak {
		// Weak signs (an "Afwezig" subject, a noreply-ish sender) count only
		// for a message that answers ours (issue 8): a first message with
		// nothing stronger is a person's, and the loop breaker still caps
		// what we send.
		if answers, err := w.answersOurs(ctx, m, sender); err != nil {
			return result{}, err
		} else if !answers {
			cls = Classification{Class: ClassHuman, Reason: "answers nothing of ours; " + cls.Reason}
		}
	}
	if sender == nil && cls.Class != ClassAutoReply {
		return result{}, quarantined{"no sender address: nobody to answer"}
	}
	from := ""
	if sender != nil {
		from = strings.ToLower(sender.Address)
	}
	if cls.Class == ClassAutoReply {
		return w.onAutomatic(ctx, a, cls, from)
	}
	cm, err := w.findCase(ctx, m, from)
	if err != nil {
		return result{}, err
	}
	if len(cm.forged) > 0 {
		w.log.Warn("message carries reply tokens that do not verify", "tokens", len(cm.forged), "from", from)
	}
	if h, ok := w.set.handler(from); ok {
		return w.onHandler(ctx, a, cm, h)
	}
	if mgr, ok := w.Manager(from); ok {
		if res, handled, err := w.onManager(ctx, a, cm, mgr); handled || err != nil {
			return res, err
		}
	}
	if own, ok := fromOurAddress(m, w.identity()); ok {
		return w.onOwnAddress(ctx, a, cm, own)
	}
	if cm.c != nil {
		if err := w.noteForged(ctx, cm.c, cm.forged, from); err != nil {
			return result{}, err
		}
		// Someone new answering through the case's own thread (the other
		// parent, say) takes part from now on.
		if _, err := addParticipant(ctx, w.db, cm.c.ID, RoleCopy, from, firstName(m), w.clock.Now()); err != nil {
			return result{}, err
		}
		unverified, _ := w.dmarcFailed(m)
		if err := w.parentWrote(ctx, cm.c, from, unverified); err != nil {
			return result{}, err
		}
		return result{caseID: cm.c.ID}, w.addReply(ctx, cm.c, a)
	}
	if over, err := w.overCaseLimit(ctx, a, from); err != nil {
		return result{}, err
	} else if over {
		return result{ignored: fmt.Sprintf("a new complaint from %s over the limit of %d new cases per sender per %s: kept here, no case opened (throttled)",
			from, w.set.Flood.NewCasesPerSender, w.set.Flood.NewCasesWindow)}, nil
	}
	c, err := w.openCase(ctx, a, sender)
	if err != nil {
		return result{}, err
	}
	return result{caseID: c.ID}, w.noteForged(ctx, c, cm.forged, from)
}

// noteForged records on a case that the message carried tokens that did not
// verify: someone altered or made up a reply address or Message-ID.
func (w *Workflow) noteForged(ctx context.Context, c *Case, forged []string, from string) error {
	if len(forged) == 0 {
		return nil
	}
	return addEvent(ctx, w.db, c.ID, w.clock.Now(), EventForgedToken, from,
		fmt.Sprintf("the message carried %d reply token(s) that do not verify; they were ignored", len(forged)))
}

// askWhichCase answers a handler whose message names no case: it cannot be
// placed, so nothing happens until they reply within a case's thread.
func (w *Workflow) askWhichCase(ctx context.Context, h Handler, a *arrival) error {
	l := Letter{Org: w.set.Organisation, To: h.Name, Text: excerpt(a.mail.Text()), At: a.InternalDate.In(w.set.Organisation.Location)}
	l.Case.Subject = a.mail.Subject()
	return w.queue(ctx, draft{
		kind: MsgWhichCase, template: MsgWhichCase, lang: w.set.Organisation.Language,
		to: &mail.Address{Name: h.Name, Address: h.Email}, letter: l, auto: autoReplied,
		inReplyTo: a.mail.MessageID(), refs: a.mail.References(),
	})
}

// firstName is the display name of a message's sender.
func firstName(m Mail) string {
	if a := firstAddress(m.From()); a != nil {
		return a.Name
	}
	return ""
}

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
	subject := strings.TrimSpace(m.Subject())
	if subject == "" {
		subject = w.phrase("subject.none")
	}
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
	if err := w.signalWordsOnNewCase(ctx, c, in.NewText); err != nil {
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
	w.suggestConcerns(notes, c.Subject+"\n"+in.NewText)
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
	text := m.Text()
	fresh := newText(text)
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
	return in, insertMessage(ctx, w.db, &in)
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

// caseHandlers are the handlers who hear about a case: those covering its
// location (a handler without locations covers all), and its assignee. A
// location nobody covers is heard by everyone, so no case goes unnoticed.
func (w *Workflow) caseHandlers(c *Case) []Handler {
	if c.Location == "" {
		return w.set.Handlers
	}
	var out []Handler
	for _, h := range w.set.Handlers {
		covers := len(h.Locations) == 0 || h.Email == c.Assignee
		for _, l := range h.Locations {
			covers = covers || strings.EqualFold(l, c.Location)
		}
		if covers {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return w.set.Handlers
	}
	return out
}

// committee finds the parent committee writing from one of addrs.
func (w *Workflow) committee(addrs ...*mail.Address) (Committee, bool) {
	for _, a := range addrs {
		for _, c := range w.set.Committees {
			if a != nil && strings.EqualFold(a.Address, c.Address) {
				return c, true
			}
		}
	}
	return Committee{}, false
}

func (w *Workflow) isHandler(addr string) bool {
	_, ok := w.set.handler(addr)
	return ok
}

// ours reports whether addr is the complaints address (or a plus-address of it).
func (w *Workflow) ours(addr string) bool {
	local, domain, ok := strings.Cut(strings.ToLower(w.set.Organisation.Address), "@")
	if !ok {
		return false
	}
	l, d, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok || d != domain {
		return false
	}
	return l == local || strings.HasPrefix(l, local+"+")
}

// threadIDs are the Message-IDs a message says it follows, newest first.
func threadIDs(m Mail) []string {
	ids := append([]string(nil), m.InReplyTo()...)
	refs := m.References()
	for i := len(refs) - 1; i >= 0; i-- {
		ids = append(ids, refs[i])
	}
	return ids
}

// firstAddress returns the first address of the first non-empty list.
func firstAddress(lists ...[]*mail.Address) *mail.Address {
	for _, l := range lists {
		for _, a := range l {
			if a != nil && strings.Contains(a.Address, "@") {
				return a
			}
		}
	}
	return nil
}
