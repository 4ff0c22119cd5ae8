package mailbox

import (
	"sync"
	"testing"
)

func TestAddressesAreReadOnceAndHandedOutAsCopies(t *testing.T) {
	m, err := Parse([]byte("From: \"Sanne Jansen\" <Sanne@Example.NL>\r\nTo: a@b.example, \"C\" <c@d.example>\r\n" +
		"Subject: x\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 { // several readers at once: go test -race
		wg.Go(func() {
			if from := m.From(); len(from) != 1 || from[0].Address != "Sanne@example.nl" || from[0].Name != "Sanne Jansen" {
				t.Errorf("From = %v", from)
			}
		})
	}
	wg.Wait()
	from := m.From()
	from[0].Name, from[0].Address = "changed", "changed@example.nl"
	if again := m.From(); again[0].Name != "Sanne Jansen" || again[0].Address != "Sanne@example.nl" {
		t.Errorf("a change to what From returned shows in the next call: %v", again[0])
	}
	if to := m.To(); len(to) != 2 || to[1].Address != "c@d.example" {
		t.Errorf("To = %v", to)
	}
	if cc, rt, sender := m.Cc(), m.ReplyTo(), m.Sender(); cc != nil || rt != nil || sender != nil {
		t.Errorf("absent headers give %v, %v, %v; want nil", cc, rt, sender)
	}
}
