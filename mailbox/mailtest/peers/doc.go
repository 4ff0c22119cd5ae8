// Package peers starts the real servers people run, as throwaway instances
// for tests: Dovecot for IMAP (dovecot.go), and the SMTP servers the daemon
// hands its mail to. Each instance has its own configuration, state and
// logs in a temporary directory, listens on 127.0.0.1 only, and is stopped
// (every process of it) when the test ends. Nothing under /etc or /run is
// used or touched, and no system service is needed.
//
// A server that is not installed skips the test (t.Skip) with the package
// to install; CI (.ci/run) installs them all and fails on any skip.
//
// Waits on a server (start, stop, readiness) poll with a short backoff and a
// failure bound: the servers have no readiness notification outside systemd.
package peers
