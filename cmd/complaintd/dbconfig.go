package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/complaintd/complaintd/mailbox"
)

// databaseTLSProblem says what is unsafe about a PostgreSQL URL ("" when
// nothing is): a server that is not on this host must be reached with
// sslmode=verify-full. lib/pq's default, "require", encrypts but accepts any
// certificate, so anyone on the path can read every complaint and the
// password. A Unix socket (host=/path) or a loopback address never leaves
// the machine.
func databaseTLSProblem(rawURL string) string {
	if !strings.HasPrefix(rawURL, "postgres://") && !strings.HasPrefix(rawURL, "postgresql://") {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// The error would quote the password; store.Open reports it redacted.
		return ""
	}
	q := u.Query()
	host := u.Hostname()
	if h := q.Get("host"); h != "" { // lib/pq: parameters override the URL's host
		host = h
	}
	if host == "" || strings.HasPrefix(host, "/") || mailbox.IsLoopbackHost(host) {
		return ""
	}
	mode := q.Get("sslmode")
	switch mode {
	case "verify-full":
		return ""
	case "":
		return fmt.Sprintf("the database server %s is reached without checking its certificate (no sslmode: lib/pq's default \"require\" accepts any certificate)", host)
	}
	return fmt.Sprintf("the database server %s is reached with sslmode=%s, which does not check that the certificate is the server's", host, mode)
}
