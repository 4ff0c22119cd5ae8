package workflow

import (
	"context"
	"net/mail"
	"net/textproto"
	"time"
)

// Database is what workflow needs from a database: queries written once with
// '?' placeholders, and transactions carried in the context (every query given
// the context InTx hands to fn runs in that transaction). *store.DB is one.
type Database interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Get(ctx context.Context, dest any, query string, args ...any) error
	Select(ctx context.Context, dest any, query string, args ...any) error
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// SkipLocked ends a claiming SELECT so that concurrent claimers take
	// different rows ("" where the engine locks the whole database), and
	// ModifyingCTEs reports whether one WITH statement may change several
	// tables: what the engines write differently is the store's to decide,
	// so no query here branches on the engine.
	SkipLocked() string
	ModifyingCTEs() bool
	// IDBlock is a query taking n that returns n ids of table no one else
	// is given, for rows written later in the caller's transaction with
	// those ids (a grouped batch: batch_writes.go).
	IDBlock(table string) string
	// TryLock takes a named lock shared by every daemon on the database.
	TryLock(ctx context.Context, name string) (release func(), ok bool, err error)
	// Session is the id this daemon records on what it claims; SessionGone
	// is an SQL condition on a column holding such an id, true when its
	// daemon is gone (its claims are free at once, not after a lease).
	Session(ctx context.Context) (int64, error)
	SessionGone(column string) string
}

// Mail is what workflow reads of a parsed inbound message, and no more:
// *mailbox.Message is one.
type Mail interface {
	Header() textproto.MIMEHeader
	From() []*mail.Address
	ReplyTo() []*mail.Address
	To() []*mail.Address
	Cc() []*mail.Address
	Subject() string
	MessageID() string
	InReplyTo() []string
	References() []string
	Date() time.Time
	Text() string
	AttachmentCount() int
	Attachment(i int) (name, contentType string, size int64)
	BodySHA256() string
	Sender() []*mail.Address
	DeliveredTo() []string
	ReturnPath() (path string, present bool)
	ContentType() string
	ReportType() string
	DeliveryStatus() []textproto.MIMEHeader
	EmbeddedHeaders() []textproto.MIMEHeader
}

// Parser parses raw message bytes. It fails only when nothing usable is in
// them; such a message is quarantined.
type Parser func(raw []byte) (Mail, error)

// Renderer renders a named message template in a language. *templates.Set is one.
type Renderer interface {
	Render(name, lang string, data any) (subject, text, html string, err error)
}

// Composer turns headers and bodies into the final bytes of a message;
// original, when not nil, is attached as message/rfc822. mailbox.Compose is one.
type Composer func(h textproto.MIMEHeader, text, html string, original []byte) ([]byte, error)

// Transport hands a finished message to the mail server. Errors that may pass
// (a 4xx reply, a dropped connection) satisfy interface{ Temporary() bool }
// with true; anything else is final. *mailbox.SMTPSender is one.
type Transport interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// Clock tells the time. Tests use a fake one so deadlines can pass on demand.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time. ManualClock is the other one.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }
