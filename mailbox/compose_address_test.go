package mailbox

import (
	"net/mail"
	"testing"
)

var simpleAddressSeeds = []string{
	"klachten@vlinder.example", `"Kinderopvang De Vlinder" <klachten@vlinder.example>`,
	`"Jansen, Thomas" <t.jansen+x@gmail.example>`, `" spaties " <a@b>`, `"" <a@b>`, `"a\"b" <a@b>`,
	`"=?utf-8?q?Zo=C3=AB?=" <z@example.nl>`, `Anna <a@b>`, `"Anna" <a..b@c>`, `"Anna"  <a@b>`, `"Anna" <a@b> `,
	" a@b", "a@b.", "a@[127.0.0.1]", `"Anna" <"q"@b>`, "a@b, c@d", `"Zoë" <z@b>`, "a(b)@c", "!#$%&'*+-/=?^_`{|}~@x",
}

// simpleAddress must read what net/mail reads, the same way.
func checkSimpleAddress(t *testing.T, v string) {
	a, ok := simpleAddress(v)
	if !ok {
		return
	}
	list, err := mail.ParseAddressList(v)
	if err != nil || len(list) != 1 {
		t.Fatalf("simpleAddress(%q) = %+v, net/mail: %v, %d addresses", v, a, err, len(list))
	}
	if *list[0] != *a {
		t.Errorf("simpleAddress(%q) = %+v, net/mail %+v", v, *a, *list[0])
	}
}

func TestSimpleAddressReadsAsNetMail(t *testing.T) {
	for _, v := range simpleAddressSeeds {
		checkSimpleAddress(t, v)
	}
	for _, v := range []string{"klachten@vlinder.example", `"Kinderopvang De Vlinder" <klachten@vlinder.example>`, `"Jansen, Thomas" <t.jansen+x@gmail.example>`} {
		if _, ok := simpleAddress(v); !ok {
			t.Errorf("simpleAddress(%q) left to net/mail: the form the workflow writes", v)
		}
	}
}

func FuzzSimpleAddress(f *testing.F) {
	for _, v := range simpleAddressSeeds {
		f.Add(v)
	}
	f.Fuzz(checkSimpleAddress)
}
