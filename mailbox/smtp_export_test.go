package mailbox

import "net"

// WrapSMTPConns makes s wrap every connection it opens from now on (below
// TLS): tests count the client's writes, or hide an extension, on the wire.
func WrapSMTPConns(s *SMTPSender, wrap func(net.Conn) net.Conn) { s.wrapConn = wrap }
