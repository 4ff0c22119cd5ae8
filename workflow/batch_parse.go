package workflow

// parseArrived parses a message of a group in the group's first stage
// (ArriveGroup), bounds it and works out its foresight (foresight.go); ok
// is false when it cannot be parsed. A panic in the parser or the
// foresight (hostile bytes meeting a bug) counts as that: the
// first stage runs on a goroutine of the poller's, where nothing recovers
// it, and the daemon would die with the group before half acted on. Act
// then processes the message alone, where the panic is caught again and
// the attempt counted (processEntry), so it costs only itself.
func (w *Workflow) parseArrived(raw []byte) (m Mail, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			w.log.Warn("parsing a message of a group panicked; it is processed alone", "panic", p)
			m, ok = nil, false
		}
	}()
	m, err := w.parse(raw)
	if err != nil {
		return nil, false
	}
	return w.foresee(bound(m)), true
}
