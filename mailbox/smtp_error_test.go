package mailbox

import (
	"strings"
	"testing"
)

// A reply text is the server's: whatever it holds, classifying it neither
// panics nor blames the recipient for a policy refusal.
func FuzzRefusesRecipient(f *testing.F) {
	for _, s := range []string{"5.1.1 User unknown", "5.7.1 Relay access denied", "4.2.2 Mailbox full",
		"5.1.0 Sender address rejected", "Relaying denied", "5.1", "9.9.9 x", "5.1.1", "", "2.1.1 ok"} {
		f.Add(550, s)
		f.Add(250, s)
	}
	f.Fuzz(func(t *testing.T, code int, text string) {
		got := refusesRecipient(code, text)
		if subject, _, ok := enhancedCode(code, text); ok && subject == 7 && got {
			t.Errorf("%d %q: a policy refusal (X.7.x) blamed on the recipient", code, text)
		}
		if got && code/100 != 4 && code/100 != 5 {
			t.Errorf("%d %q: not a refusal, yet blamed on the recipient", code, text)
		}
		_ = (&SMTPError{Op: "RCPT TO", Code: code, Text: text}).Answer()
		if strings.Contains(oneLine(text), "\n") {
			t.Errorf("oneLine left a line break in %q", text)
		}
	})
}
