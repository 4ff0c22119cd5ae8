package mailbox

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// moveBatch moves the handled messages of one batch out of the mailbox.
func (p *Poller) moveBatch(ctx context.Context, s *imapSession, b batch) error {
	if err := p.move(ctx, s, b.done, p.cfg.ProcessedMailbox); err != nil {
		return err
	}
	return p.move(ctx, s, b.quarantine, p.cfg.QuarantineMailbox)
}

// move moves uids to dest with UID MOVE (RFC 6851). Without MOVE it falls
// back to UID COPY + UID STORE +FLAGS.SILENT (\Deleted), then UID EXPUNGE of
// exactly those UIDs when UIDPLUS (RFC 4315) is there.
//
// imapclient.Move would fall back to a plain EXPUNGE without UIDPLUS, which
// also removes every message someone else flagged \Deleted in a shared
// mailbox. We never do that: without UIDPLUS the moved messages stay behind
// flagged \Deleted (UID SEARCH UNDELETED skips them) for the owner's client
// or the server's policy to expunge.
func (p *Poller) move(ctx context.Context, s *imapSession, uids imap.UIDSet, dest string) error {
	if len(uids) == 0 {
		return nil
	}
	s.waiting()
	if s.caps.Has(imap.CapMove) {
		if _, err := s.client.Move(uids, dest).Wait(); err != nil {
			return s.wrap(ctx, fmt.Sprintf("UID MOVE %s %q", uids, dest), err)
		}
		return nil
	}
	if _, err := s.client.Copy(uids, dest).Wait(); err != nil {
		return s.wrap(ctx, fmt.Sprintf("UID COPY %s %q", uids, dest), err)
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := s.client.Store(uids, store, nil).Close(); err != nil {
		return s.wrap(ctx, fmt.Sprintf("UID STORE %s +FLAGS.SILENT (\\Deleted)", uids), err)
	}
	if s.caps.Has(imap.CapUIDPlus) {
		if err := s.client.UIDExpunge(uids).Close(); err != nil {
			return s.wrap(ctx, fmt.Sprintf("UID EXPUNGE %s", uids), err)
		}
		return nil
	}
	p.warnNoExpunge.Do(func() {
		p.log.Warn("imap server has neither MOVE nor UIDPLUS: moved messages are copied and left flagged \\Deleted in the source mailbox; they are skipped, but only an expunge by the mailbox owner removes them",
			"mailbox", p.cfg.Mailbox)
	})
	return nil
}
