// Package mailbox does mail I/O and nothing else: it polls an IMAP mailbox,
// parses MIME messages leniently, composes outgoing messages and hands them to
// an SMTP server. It knows no domain rules and imports no other complaintd
// package; its types expose only standard-library types so that the workflow
// package can describe what it needs with interfaces of its own.
package mailbox
