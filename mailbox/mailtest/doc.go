// Package mailtest runs real IMAP and SMTP servers in-process, on loopback
// ports, for tests across the repository and for `complaintd demo`.
//
// StartIMAP serves go-imap's imapmemserver through imapserver, with optional
// implicit TLS or STARTTLS under a throw-away CA generated in memory, and can
// advertise fewer capabilities (no IDLE, no MOVE, no UIDPLUS) so that client
// fallbacks are exercised. StartSMTP runs a go-smtp server that captures every
// accepted message byte for byte and can be told to refuse. StartSilent
// accepts connections and never answers, for timeout tests.
//
// Everything listens on 127.0.0.1 only and keeps its state in memory; Close
// releases it. There is no package-level state: any number of servers can run
// side by side.
package mailtest
