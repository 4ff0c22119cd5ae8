package mailbox

import "bytes"

// dotStuffer applies SMTP transparency (RFC 5321 4.5.2) to a message on its
// way into DATA: a line starting with "." gets another ".", a bare LF is
// sent as CRLF, and end adds the CRLF a message may lack and the final
// ".\r\n". Its output is byte for byte what net/textproto's DotWriter
// writes for the same input (FuzzDotStuff checks), including its quirks
// with stray CRs, so that servers see what go-mail used to send; it only
// avoids DotWriter's cost of a buffered write per byte.
//
// The zero value is at the start of a message; stuff may be called on
// consecutive pieces of it.
type dotStuffer struct{ state dotState }

// dotState mirrors DotWriter's states.
type dotState uint8

const (
	dotBegin     dotState = iota // start of the message
	dotBeginLine                 // start of a later line
	dotData                      // inside a line
	dotCR                        // just after a CR in a line
)

// stuff appends src, stuffed, to dst. Whole lines whose only CR (if any)
// ends them are copied at once; anything else goes byte by byte through
// DotWriter's state machine.
func (d *dotStuffer) stuff(dst, src []byte) []byte {
	for len(src) > 0 {
		if d.state == dotBegin || d.state == dotBeginLine {
			if lf := bytes.IndexByte(src, '\n'); lf >= 0 {
				if cr := bytes.IndexByte(src[:lf], '\r'); cr < 0 || cr == lf-1 {
					if src[0] == '.' {
						dst = append(dst, '.')
					}
					if cr < 0 {
						dst = append(dst, src[:lf]...)
						dst = append(dst, '\r', '\n')
					} else {
						dst = append(dst, src[:lf+1]...)
					}
					d.state = dotBeginLine
					src = src[lf+1:]
					continue
				}
			}
		}
		dst = d.byte(dst, src[0])
		src = src[1:]
	}
	return dst
}

// byte is DotWriter.Write for one byte.
func (d *dotStuffer) byte(dst []byte, c byte) []byte {
	switch d.state {
	case dotBegin, dotBeginLine:
		d.state = dotData
		if c == '.' {
			dst = append(dst, '.')
		}
		fallthrough
	case dotData:
		if c == '\r' {
			d.state = dotCR
		}
		if c == '\n' {
			dst = append(dst, '\r')
			d.state = dotBeginLine
		}
	case dotCR:
		d.state = dotData
		if c == '\n' {
			d.state = dotBeginLine
		}
	}
	return append(dst, c)
}

// end appends what DotWriter.Close writes: the end of an unfinished line,
// then the lone dot.
func (d *dotStuffer) end(dst []byte) []byte {
	switch d.state {
	case dotBeginLine:
	case dotCR:
		dst = append(dst, '\n')
	default:
		dst = append(dst, '\r', '\n')
	}
	return append(dst, '.', '\r', '\n')
}
