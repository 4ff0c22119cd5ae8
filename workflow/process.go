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
	case err != nil && ctx.Err() != nil:
		// Interrupted by a stop, not failed: the message is tried again at
		// the next start with its attempt given back.
		if gerr := giveBackAttempts(ctx, w.db, []any{e.ID}); gerr != nil {
			log.Warn("a stop could not give back the attempt of the message it interrupted", "err", gerr)
		}
		return 0, Settled{}, err
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
	if res.caseID != 0 {
		// Whatever became of it, the message belongs to the case:
		// anonymising the case empties it too.
		if err := setLedgerCase(ctx, w.db, e.ID, res.caseID); err != nil {
			return 0, "", "", err
		}
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
	cls := w.classifyMail(m)
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
	if res, ok, err := w.onReportReply(ctx, a, from); ok || err != nil {
		return res, err // a manager confirmed the annual report was sent
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
