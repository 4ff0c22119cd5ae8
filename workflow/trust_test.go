package workflow

import (
	"net/mail"
	"net/textproto"
	"testing"
	"time"
)

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
		// Issue 9 item 3: the sender's envelope address, a quoted local part
		// the server copies into smtp.mailfrom, smuggles in a DMARC pass.
		{"forged pass in a quoted smtp.mailfrom", []string{`mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example"@evil.example; dmarc=fail header.from=vlinder.example`}, false, ""},
		{"forged pass closed by a quoted ';'", []string{`mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example;"@evil.example; dmarc=fail header.from=vlinder.example`}, false, ""},
		{"forged pass in a quoted string, no dmarc after it", []string{`mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example"@evil.example`}, false, ""},
		{"only the first dmarc result counts", []string{"mx.vlinder.example; dmarc=fail header.from=vlinder.example; dmarc=pass header.from=vlinder.example"}, false, ""},
		{"dmarc fail is not rescued by an aligned dkim pass", []string{"mx.vlinder.example; dkim=pass header.d=vlinder.example; dmarc=fail header.from=vlinder.example"}, false, ""},
		{"dmarc pass without header.from", []string{"mx.vlinder.example; dmarc=pass"}, false, ""},
		{"dmarc pass naming two domains", []string{"mx.vlinder.example; dmarc=pass header.from=vlinder.example header.from=evil.example"}, false, ""},
		{"a quote that never ends", []string{`mx.vlinder.example; spf=pass smtp.mailfrom="x; dmarc=pass header.from=vlinder.example`}, false, ""},
		{"a comment that never ends", []string{`mx.vlinder.example; spf=pass (x; dmarc=pass header.from=vlinder.example`}, false, ""},
		{"a quoted comment bracket", []string{`mx.vlinder.example; spf=pass smtp.mailfrom="a(b"@x.example; dmarc=pass header.from=vlinder.example`}, true, "dmarc"},
		{"nested comments with quoted-pairs", []string{`mx.vlinder.example 1; dkim=pass (good (really \) ; dmarc=fail)) header.d=vlinder.example header.b=ab+c/d=; dmarc=pass (p=none dis=none) header.from=Vlinder.Example.`}, true, "dmarc"},
		{"a quoted method is no method", []string{`mx.vlinder.example; "dmarc"=pass header.from=vlinder.example`}, false, ""},
		{"Gmail's layout", []string{"mx.vlinder.example;\r\n       dkim=pass header.i=@vlinder.example header.s=20230601 header.b=\"Wx3/aB+c\";\r\n       spf=pass (mx.vlinder.example: domain of anna@vlinder.example designates 2a00:1450::1 as permitted sender) smtp.mailfrom=anna@vlinder.example;\r\n       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=vlinder.example"}, true, "dmarc"},
		{"no results", []string{"mx.vlinder.example; none"}, false, ""},
		{"an unquoted reason with spaces", []string{"mx.vlinder.example; spf=pass reason=sender is allowed smtp.mailfrom=a@vlinder.example; dmarc=pass header.from=vlinder.example"}, true, "dmarc"},
		{"a stray dmarc=pass inside a result is a property, not a result", []string{"mx.vlinder.example; spf=pass smtp.mailfrom=x dmarc=pass header.from=vlinder.example; dmarc=fail header.from=vlinder.example"}, false, ""},
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

// The exact attack string of issue 9 item 3, read field by field.
func TestAuthResultsQuotedSemicolonIsText(t *testing.T) {
	a, err := parseAuthResults(`mx.vlinder.example; spf=pass smtp.mailfrom="x;dmarc=pass header.from=vlinder.example"@evil.example; dmarc=fail header.from=vlinder.example`)
	if err != nil {
		t.Fatal(err)
	}
	if a.id != "mx.vlinder.example" || len(a.results) != 2 {
		t.Fatalf("read %+v, want two results of mx.vlinder.example", a)
	}
	if got := a.results[0].props["smtp.mailfrom"]; got != "x;dmarc=pass header.from=vlinder.example@evil.example" {
		t.Errorf("smtp.mailfrom %q", got)
	}
	if d, _ := a.first("dmarc"); d.result != "fail" {
		t.Errorf("dmarc=%s, want fail", d.result)
	}
}

func TestDMARCFailedMarksOnlyOurServersFail(t *testing.T) {
	cases := []struct {
		name, header string
		failed       bool
	}{
		{"ours fails", "mx.vlinder.example; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=example.nl", true},
		{"ours passes", "mx.vlinder.example; dmarc=pass header.from=example.nl", false},
		{"no policy", "mx.vlinder.example; dmarc=none header.from=example.nl", false},
		{"ours unreadable", `mx.vlinder.example; spf=pass smtp.mailfrom="x`, true},
		{"another server's fail", "mx.other.example; dmarc=fail header.from=example.nl", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &Workflow{set: Settings{Trust: Trust{AuthservID: "mx.vlinder.example"}}}
			m := headerMail{"Authentication-Results": {c.header}, "From": {"s@example.nl"}}
			if failed, why := w.dmarcFailed(m); failed != c.failed || failed && why == "" {
				t.Errorf("failed %v (%q), want %v", failed, why, c.failed)
			}
		})
	}
}

func TestSingleFrom(t *testing.T) {
	for _, c := range []struct {
		from []string
		ok   bool
	}{
		{[]string{"anna.devries@vlinder.example"}, true},
		{[]string{"anna.devries@vlinder.example", "evil@attacker.example"}, false},
		{[]string{"anna.devries@vlinder.example, evil@attacker.example"}, false},
		{nil, false},
	} {
		if why := singleFrom(headerMail{"From": c.from}); (why == "") != c.ok {
			t.Errorf("From %q: %q", c.from, why)
		}
	}
}

// headerMail is a Mail of header fields only, for the readers of headers.
type headerMail map[string][]string

func (h headerMail) Header() textproto.MIMEHeader { return textproto.MIMEHeader(h) }
func (h headerMail) From() []*mail.Address {
	var out []*mail.Address
	for _, v := range h["From"] {
		l, _ := mail.ParseAddressList(v)
		out = append(out, l...)
	}
	return out
}

// The rest of Mail is not read by what these tests call.
func (headerMail) ReplyTo() []*mail.Address                { return nil }
func (headerMail) To() []*mail.Address                     { return nil }
func (headerMail) Cc() []*mail.Address                     { return nil }
func (headerMail) Subject() string                         { return "" }
func (headerMail) MessageID() string                       { return "" }
func (headerMail) InReplyTo() []string                     { return nil }
func (headerMail) References() []string                    { return nil }
func (headerMail) Date() time.Time                         { return time.Time{} }
func (headerMail) Text() string                            { return "" }
func (headerMail) AttachmentCount() int                    { return 0 }
func (headerMail) Attachment(int) (string, string, int64)  { return "", "", 0 }
func (headerMail) BodySHA256() string                      { return "" }
func (headerMail) Sender() []*mail.Address                 { return nil }
func (headerMail) DeliveredTo() []string                   { return nil }
func (headerMail) ReturnPath() (string, bool)              { return "", false }
func (headerMail) HTML() string                            { return "" }
func (headerMail) TextFromHTML() bool                      { return false }
func (headerMail) ContentType() string                     { return "text/plain" }
func (headerMail) ReportType() string                      { return "" }
func (headerMail) DeliveryStatus() []textproto.MIMEHeader  { return nil }
func (headerMail) EmbeddedHeaders() []textproto.MIMEHeader { return nil }
func (headerMail) Problems() []string                      { return nil }
