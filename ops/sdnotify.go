package ops

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// Notifier speaks systemd's notification protocol (sd_notify(3)): one
// datagram of newline-separated VAR=value lines to the unix socket named in
// NOTIFY_SOCKET ("@name" is an abstract socket). It is a dozen lines, so no
// dependency is taken for it. A nil *Notifier, as returned outside systemd,
// does nothing.
type Notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration
}

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through
// env. It returns nil, nil when systemd asked for no notifications.
func NewNotifier(env func(string) string, pid int) (*Notifier, error) {
	path := env("NOTIFY_SOCKET")
	if path == "" {
		return nil, nil
	}
	if path[0] != '/' && path[0] != '@' {
		return nil, fmt.Errorf("ops: NOTIFY_SOCKET %q is not a unix socket path", path)
	}
	n := &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
	if path[0] == '@' {
		n.addr.Name = "\x00" + path[1:] // Linux abstract namespace
	}
	if usec := env("WATCHDOG_USEC"); usec != "" {
		// WATCHDOG_PID, when set, names the process meant (sd_watchdog_enabled(3)).
		if wp := env("WATCHDOG_PID"); wp == "" || wp == strconv.Itoa(pid) {
			us, err := strconv.ParseInt(usec, 10, 64)
			if err != nil || us <= 0 {
				return nil, fmt.Errorf("ops: WATCHDOG_USEC %q is not a positive number", usec)
			}
			n.watchdog = time.Duration(us) * time.Microsecond
		}
	}
	return n, nil
}

// Notify sends one state, e.g. "READY=1", "STOPPING=1", "WATCHDOG=1" or
// "STATUS=…".
func (n *Notifier) Notify(state string) error {
	if n == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("ops: sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("ops: sd_notify: %w", err)
	}
	return nil
}

// WatchdogInterval is how often to send WATCHDOG=1: half the timeout
// systemd set, as sd_watchdog_enabled(3) advises; 0 when there is no
// watchdog.
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog / 2
}
