package mailbox

import (
	"net/mail"
	"sync"
)

// The address headers of a message are read once each, when first asked
// for: the workflow asks for From about seven times per message (classify,
// trust, the case, its participants), and each reading parsed the header
// anew, a tenth of what taking in a complaint allocated.

// Address headers a Message keeps read.
const (
	addrFrom = iota
	addrSender
	addrReplyTo
	addrTo
	addrCc
	addrHeaders
)

// addressHeaderNames are the fields of addrFrom … addrCc.
var addressHeaderNames = [addrHeaders]string{"From", "Sender", "Reply-To", "To", "Cc"}

// addressCache holds the address headers read so far.
type addressCache [addrHeaders]struct {
	once sync.Once
	list []*mail.Address
}

// addresses returns the addresses of header h, read on the first call; a
// copy each time, so that what one caller changes another does not see.
func (m *Message) addresses(h int) []*mail.Address {
	c := &m.addrs[h]
	c.once.Do(func() { c.list = parseAddressHeader(m.hdrFields.values(addressHeaderNames[h])) })
	switch len(c.list) {
	case 0:
		return nil
	case 1: // most headers: the copy and its slice in one allocation
		one := &struct {
			a   mail.Address
			out [1]*mail.Address
		}{a: *c.list[0]}
		one.out[0] = &one.a
		return one.out[:]
	}
	block := make([]mail.Address, len(c.list))
	out := make([]*mail.Address, len(c.list))
	for i, a := range c.list {
		block[i] = *a
		out[i] = &block[i]
	}
	return out
}
