package mailbox

import (
	"net/mail"
	"strings"
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

var plainMailboxSeeds = append([]string{
	"Ouder 1 <ouder1@example.nl>", "J.P.  Jansen\t<j.p@x.example>", "<a@b>", " Anna<a@b> ", "a@b <c@d>",
	"Zoë <z@x>", "=?utf-8?q?x?= <a@b>", "Anna <a@b>, Bob <c@d>", "Anna (x) <a@b>", "Anna <a@b> x",
	"a.b. .c <d@e>", "Anna < a@b>", "Anna <a@b >", "Anna <A@B.NL>", "Anna: <a@b>", "Anna\r\n <a@b>",
}, simpleAddressSeeds...)

// plainMailbox must read what net/mail reads, the same way.
func checkPlainMailbox(t *testing.T, v string) {
	a, ok := plainMailbox(v)
	if !ok {
		return
	}
	list, err := mail.ParseAddressList(v)
	if err != nil || len(list) != 1 {
		t.Fatalf("plainMailbox(%q) = %+v, net/mail: %v, %d addresses", v, a, err, len(list))
	}
	if want := (mail.Address{Name: strings.Join(strings.Fields(list[0].Name), " "), Address: list[0].Address}); *a != want {
		t.Errorf("plainMailbox(%q) = %+v, net/mail %+v", v, *a, want)
	}
}

func TestPlainMailboxReadsAsNetMail(t *testing.T) {
	for _, v := range plainMailboxSeeds {
		checkPlainMailbox(t, v)
	}
	// The forms senders write most are read without net/mail.
	for _, v := range []string{"Ouder 1 <ouder1@example.nl>", `"Jansen, Sanne" <s@example.nl>`, "s@example.nl", "<s@example.nl>"} {
		if _, ok := plainMailbox(v); !ok {
			t.Errorf("plainMailbox(%q) left to net/mail", v)
		}
	}
}

func FuzzPlainMailbox(f *testing.F) {
	for _, v := range plainMailboxSeeds {
		f.Add(v)
	}
	f.Fuzz(checkPlainMailbox)
}
