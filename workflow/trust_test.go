package workflow

import "testing"

func TestAuthenticationResults(t *testing.T) {
	ours := "mx.vlinder.example; dkim=pass header.d=vlinder.example header.s=s1; " +
		"spf=pass (mx.vlinder.example: domain of a@vlinder.example designates 198.51.100.78) smtp.mailfrom=a@vlinder.example; " +
		"dmarc=pass (policy=quarantine) header.from=vlinder.example"
	exchange := "dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=vlinder.example;"
	cases := []struct {
		name    string
		headers []string
		ok      bool
		how     string
	}{
		{"ours, dmarc pass", []string{ours}, true, "dmarc"},
		{"Exchange's header without an authserv-id is never read", []string{exchange}, false, ""},
		{"ours first, a forged pass below", []string{"mx.vlinder.example; dmarc=fail header.from=vlinder.example", ours}, false, ""},
		{"another server's pass", []string{"mx.attacker.example; dmarc=pass header.from=vlinder.example"}, false, ""},
		{"pass for another domain", []string{"mx.vlinder.example; dmarc=pass header.from=attacker.example"}, false, ""},
		{"aligned dkim, no dmarc", []string{"mx.vlinder.example 1; dkim=pass header.d=mail.vlinder.example; dmarc=none"}, true, "dkim"},
		{"unaligned dkim", []string{"mx.vlinder.example; dkim=pass header.d=mailer.example; dmarc=fail"}, false, ""},
		{"a TLD is not alignment", []string{"mx.vlinder.example; dkim=pass header.d=example"}, false, ""},
		{"comment with a semicolon", []string{"mx.vlinder.example; spf=pass (looks; like=pass) smtp.mailfrom=x; dmarc=pass header.from=vlinder.example"}, true, "dmarc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			how, ok, detail := authenticated(c.headers, "mx.vlinder.example", "vlinder.example")
			if ok != c.ok || how != c.how {
				t.Errorf("got %q %v (%s), want %q %v", how, ok, detail, c.how, c.ok)
			}
			if !ok && detail == "" {
				t.Error("a failure gives no detail for the alert")
			}
		})
	}
}
