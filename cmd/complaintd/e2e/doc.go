// Package e2e holds the end-to-end suite (its _test.go files): it builds the
// real complaintd binary and runs `complaintd run -config FILE` as a child
// process against the servers an organisation runs — Dovecot for IMAP,
// Postfix (strict settings, SASL) and Mailpit for SMTP — on PostgreSQL and
// SQLite, and reads what the parent and the handlers receive. See the
// README's testing section for what it needs installed.
package e2e
