package peers

// What a separate mail client does to a Dovecot instance, for tests: deliver,
// look, delete. Each call logs in with its own connection.

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Client logs in as the test user with the test's own connection. Plain
// text is fine for it: Dovecot treats loopback as secured even with TLS
// required. Log it out with Logout.
func (d *Dovecot) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(d.Addr(), nil)
	if err != nil {
		t.Fatalf("dial dovecot: %v", err)
	}
	if err := c.Login(DovecotUser, d.password).Wait(); err != nil {
		c.Close()
		t.Fatalf("login to dovecot: %v", err)
	}
	return c
}

// Logout ends a Client's session.
func Logout(c *imapclient.Client) {
	_ = c.Logout().Wait()
	_ = c.Close()
}

// Append APPENDs raw to mbox with the given INTERNALDATE (now when zero),
// as a delivery agent stores a message, and returns its UID (UIDPLUS
// APPENDUID).
func (d *Dovecot) Append(t testing.TB, mbox string, raw []byte, date time.Time) uint32 {
	t.Helper()
	c := d.Client(t)
	defer Logout(c)
	cmd := c.Append(mbox, int64(len(raw)), &imap.AppendOptions{Time: date})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("APPEND to %s: %v", mbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("APPEND to %s: %v", mbox, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("APPEND to %s: %v", mbox, err)
	}
	if data.UID == 0 {
		t.Fatalf("APPEND to %s: no APPENDUID", mbox)
	}
	return uint32(data.UID)
}

// Expunge deletes one message the way a person's mail client does:
// flag it \Deleted, then EXPUNGE.
func (d *Dovecot) Expunge(t testing.TB, mbox string, uid uint32) {
	t.Helper()
	c := d.Client(t)
	defer Logout(c)
	if _, err := c.Select(mbox, nil).Wait(); err != nil {
		t.Errorf("SELECT %s: %v", mbox, err)
		return
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := c.Store(imap.UIDSetNum(imap.UID(uid)), store, nil).Close(); err != nil {
		t.Errorf("STORE %s UID %d: %v", mbox, uid, err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Errorf("EXPUNGE %s: %v", mbox, err)
	}
}

// Message is a message as a separate client sees it.
type Message struct {
	UID          uint32
	Flags        []imap.Flag
	InternalDate time.Time
	Raw          []byte
}

// Messages lists mbox read-only (EXAMINE, BODY.PEEK[]: nothing changes).
// A folder that does not exist yet fails the test; see Folders.
func (d *Dovecot) Messages(t testing.TB, mbox string) []Message {
	t.Helper()
	c := d.Client(t)
	defer Logout(c)
	sel, err := c.Select(mbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("EXAMINE %s: %v", mbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		t.Fatalf("FETCH %s: %v", mbox, err)
	}
	var out []Message
	for _, b := range bufs {
		out = append(out, Message{UID: uint32(b.UID), Flags: b.Flags, InternalDate: b.InternalDate,
			Raw: b.FindBodySection(section)})
	}
	return out
}

// UIDValidity asks STATUS from a separate connection.
func (d *Dovecot) UIDValidity(t testing.TB, mbox string) uint32 {
	t.Helper()
	c := d.Client(t)
	defer Logout(c)
	st, err := c.Status(mbox, &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS %s: %v", mbox, err)
	}
	return st.UIDValidity
}

// Folders lists every mailbox name.
func (d *Dovecot) Folders(t testing.TB) []string {
	t.Helper()
	c := d.Client(t)
	defer Logout(c)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	var names []string
	for _, l := range list {
		names = append(names, l.Mailbox)
	}
	return names
}
