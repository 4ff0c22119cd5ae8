package mailtest

import (
	"fmt"
	"log/slog"
	"strings"
)

// printfLogger adapts slog to the Printf/Println loggers of imapserver and
// go-smtp. Their messages are routine (a client hung up) and go to Debug.
type printfLogger struct{ log *slog.Logger }

func (l printfLogger) Printf(format string, v ...any) {
	l.log.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (l printfLogger) Println(v ...any) {
	l.log.Debug(strings.TrimSpace(fmt.Sprintln(v...)))
}

func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// TLS modes, as in the mailbox package.
const (
	tlsNone     = "none"
	tlsImplicit = "implicit"
	tlsStartTLS = "starttls"
)

func checkTLSMode(mode string) (string, error) {
	switch mode {
	case "":
		return tlsNone, nil
	case tlsNone, tlsImplicit, tlsStartTLS:
		return mode, nil
	}
	return "", fmt.Errorf("mailtest: TLS %q is not one of %q, %q, %q", mode, tlsNone, tlsImplicit, tlsStartTLS)
}
