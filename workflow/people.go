package workflow

// Who is who among the addresses of a message: handlers, parent
// committees, our own address; and the thread a message follows.

import (
	"net/mail"
	"strings"
)

// firstName is the display name of a message's sender.
func firstName(m Mail) string {
	if a := firstAddress(m.From()); a != nil {
		return a.Name
	}
	return ""
}

// caseHandlers are the handlers who hear about a case: those covering its
// location (a handler without locations covers all), and its assignee. A
// location nobody covers is heard by everyone, so no case goes unnoticed.
func (w *Workflow) caseHandlers(c *Case) []Handler {
	if c.Location == "" {
		return w.set.Handlers
	}
	var out []Handler
	for _, h := range w.set.Handlers {
		covers := len(h.Locations) == 0 || h.Email == c.Assignee
		for _, l := range h.Locations {
			covers = covers || strings.EqualFold(l, c.Location)
		}
		if covers {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return w.set.Handlers
	}
	return out
}

// committee finds the parent committee writing from one of addrs.
func (w *Workflow) committee(addrs ...*mail.Address) (Committee, bool) {
	for _, a := range addrs {
		for _, c := range w.set.Committees {
			if a != nil && strings.EqualFold(a.Address, c.Address) {
				return c, true
			}
		}
	}
	return Committee{}, false
}

func (w *Workflow) isHandler(addr string) bool {
	_, ok := w.set.handler(addr)
	return ok
}

// ours reports whether addr is the complaints address (or a plus-address of it).
func (w *Workflow) ours(addr string) bool { return isOwnAddress(addr, w.set.Organisation.Address) }

// threadIDs are the Message-IDs a message says it follows, newest first.
func threadIDs(m Mail) []string {
	ids := append([]string(nil), m.InReplyTo()...)
	refs := m.References()
	for i := len(refs) - 1; i >= 0; i-- {
		ids = append(ids, refs[i])
	}
	return ids
}

// firstAddress returns the first address of the first non-empty list.
func firstAddress(lists ...[]*mail.Address) *mail.Address {
	for _, l := range lists {
		for _, a := range l {
			if a != nil && strings.Contains(a.Address, "@") {
				return a
			}
		}
	}
	return nil
}
