package workflow

import (
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox"
)

var testTokens = func() *tokens {
	tk, err := newTokens([][]byte{[]byte("0123456789abcdef-classify")}, 0)
	if err != nil {
		panic(err)
	}
	return tk
}()

var testIdentity = Identity{Address: "klachten@vlinder.example", Host: "klachten.vlinder.example", LoopHeader: LoopHeader,
	proof: testTokens, now: time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)}

// rawMail builds a message: header lines, an empty line, the body; LF
// line ends as in many stored messages.
func rawMail(header, body string) []byte {
	return []byte(strings.TrimLeft(header, "\n") + "\n" + body)
}

func classifyRaw(t *testing.T, raw []byte) Classification {
	t.Helper()
	m, err := mailbox.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return classify(m, testIdentity)
}

const parentHeader = `
Return-Path: <sanne.jansen@gmail.example>
From: Sanne Jansen <sanne.jansen@gmail.example>
To: klachten+v17klfyylbeg3rhdsv5ucdrd6p@vlinder.example
Message-ID: <CANl853z@mail.gmail.example>
Date: Fri, 20 Nov 2026 09:12:00 +0100
`

func TestClassifyOwnMail(t *testing.T) {
	now := testIdentity.now
	token := testTokens.make(41, 7, now)
	h := textproto.MIMEHeader{}
	h.Set("From", "Kinderopvang De Vlinder - Klachten <klachten@vlinder.example>")
	h.Set("To", "Sanne Jansen <sanne.jansen@gmail.example>")
	h.Set("Subject", "[KL-2026-0041] Ontvangstbevestiging van uw klacht")
	h.Set("Message-ID", "<"+token+"@klachten.vlinder.example>")
	h.Set("Auto-Submitted", "auto-replied")
	raw, err := mailbox.Compose(h, "Wij hebben uw klacht ontvangen.", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := classifyRaw(t, raw); c.Class != ClassOwn || !strings.Contains(c.Reason, "reply token") {
		t.Errorf("our composed mail with a token Message-ID: %+v", c)
	}

	// A message without a token (a "which case?" answer) is proved by its
	// loop header, whose HMAC covers its Message-ID.
	plainID := "k5vxq3yqzjm2c@klachten.vlinder.example"
	h.Set("Message-ID", "<"+plainID+">")
	h.Set(LoopHeader, "klachten.vlinder.example; proof="+testTokens.ownProof(plainID))
	raw, err = mailbox.Compose(h, "Over welke zaak gaat dit?", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := classifyRaw(t, raw); c.Class != ClassOwn || !strings.Contains(c.Reason, LoopHeader) {
		t.Errorf("our mail with a loop header proof: %+v", c)
	}

	for name, header := range map[string]string{
		// Thunderbird and Apple Mail write Message-IDs on the sender's
		// domain, which is ours: a handler's reply is not our mail.
		"Thunderbird reply of a handler": "From: Anna de Vries <anna.devries@vlinder.example>\nMessage-ID: <4f1c2a7e-9b3d-4c1e-8f0a-2b6d9e7c5a13@vlinder.example>\n",
		"Message-ID on our own host":     "From: Iemand <iemand@elders.example>\nMessage-ID: <k5vxq3yqzjm2c@klachten.vlinder.example>\n",
		// Anyone can write our loop header; the bare value older
		// versions wrote proves nothing.
		"bare loop header":            "From: X <x@elders.example>\nX-Complaintd-Loop: klachten.vlinder.example\nMessage-ID: <a@elders.example>\n",
		"foreign loop header":         "From: X <x@elders.example>\nX-Complaintd-Loop: klachten.elders.example\nMessage-ID: <a@elders.example>\n",
		"proof of another Message-ID": "From: X <x@elders.example>\nX-Complaintd-Loop: klachten.vlinder.example; proof=" + testTokens.ownProof(plainID) + "\nMessage-ID: <a@elders.example>\n",
		"forged token":                "From: X <x@elders.example>\nMessage-ID: <" + token[:len(token)-2] + "aa@klachten.vlinder.example>\n",
		// Staff sending "as" the shared mailbox: recorded, not dropped.
		"From our address":      "From: klachten@vlinder.example\nTo: a@b.example\nMessage-ID: <x@mx.vlinder.example>\n",
		"From our plus-address": "From: KLACHTEN+v1abc@Vlinder.Example\nMessage-ID: <x@vlinder.example>\n",
	} {
		if c := classifyRaw(t, rawMail(header+"Subject: Re: kopie\n", "tekst\n")); c.Class == ClassOwn {
			t.Errorf("%s taken for our own mail: %+v", name, c)
		}
	}

	// An expired token still proves the message was ours.
	old := testTokens.make(41, 7, now.AddDate(-3, 0, 0))
	short, _ := newTokens([][]byte{[]byte("0123456789abcdef-classify")}, 24*time.Hour)
	id := testIdentity
	id.proof = short
	m, err := mailbox.Parse(rawMail("From: klachten@vlinder.example\nMessage-ID: <"+old+"@klachten.vlinder.example>\n", "x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c := classify(m, id); c.Class != ClassOwn {
		t.Errorf("expired token of ours: %+v", c)
	}
}

// A parent answering our confirmation names our Message-IDs in its
// threading headers and writes to our token address: that is not our mail.
func TestClassifyParentReplyIsHuman(t *testing.T) {
	raw := rawMail(parentHeader+
		"Subject: Re: [KL-2026-0041] Ontvangstbevestiging van uw klacht\n"+
		"In-Reply-To: <v1dg5ssddeyygderb3nrssu6ti@klachten.vlinder.example>\n"+
		"References: <v1dg5ssddeyygderb3nrssu6ti@klachten.vlinder.example>\n",
		"Dank voor de bevestiging.\n\nOp do 19 nov 2026 om 21:48 schreef Kinderopvang De Vlinder - Klachten <\nklachten@vlinder.example>:\n\n> Beste Sanne,\n")
	if c := classifyRaw(t, raw); c.Class != ClassHuman {
		t.Errorf("%+v", c)
	}
}

func TestClassifyAutoReply(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         string // class
		reason       string // part of the reason
	}{
		{"auto-replied", "Auto-Submitted: auto-replied\n", ClassAutoReply, "Auto-Submitted: auto-replied"},
		{"exchange auto-generated", "auto-submitted: auto-generated\n", ClassAutoReply, "auto-generated"},
		{"value with comment", "Auto-Submitted: Auto-Generated (warning)\n", ClassAutoReply, "Auto-Submitted"},
		{"value with parameter", "Auto-Submitted: auto-notified; owner-email=\"a@b.example\"\n", ClassAutoReply, "auto-notified"},
		{"auto-submitted no", "Auto-Submitted: no\n", ClassHuman, ""},
		{"auto-submitted No with comment", "Auto-Submitted: No (written by hand)\n", ClassHuman, ""},
		{"precedence bulk", "Precedence: bulk\n", ClassAutoReply, "Precedence: bulk"},
		{"precedence junk", "Precedence: Junk\n", ClassAutoReply, "Precedence: junk"},
		{"precedence list", "Precedence: list\n", ClassAutoReply, "Precedence: list"},
		{"precedence auto_reply", "Precedence: auto_reply\n", ClassAutoReply, "auto_reply"},
		{"precedence first-class", "Precedence: first-class\n", ClassHuman, ""},
		{"list-id", "List-Id: Ouders De Rups <ouders.derups.example>\n", ClassAutoReply, "List-Id"},
		{"list-unsubscribe", "List-Unsubscribe: <mailto:leave@lists.example>\n", ClassAutoReply, "List-Unsubscribe"},
		{"x-autoreply", "X-Autoreply: yes\n", ClassAutoReply, "X-Autoreply"},
		{"x-autorespond", "X-Autorespond: vacation\n", ClassAutoReply, "X-Autorespond"},
		{"x-autoresponse", "X-Autoresponse: 1\n", ClassAutoReply, "X-Autoresponse"},
		{"x-autoreply-from", "X-AutoReply-From: sanne@gmail.example\n", ClassAutoReply, "X-Autoreply-From"},
		{"x-mail-autoreply", "X-Mail-Autoreply: yes\n", ClassAutoReply, "X-Mail-Autoreply"},
		{"exchange rules agent", "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\n", ClassAutoReply, "Mailbox Rules Agent"},
		{"exchange inbox rules loop", "X-MS-Exchange-Inbox-Rules-Loop: marco.bos@vlinder.example\n", ClassAutoReply, "Inbox-Rules-Loop"},
		// Exchange puts it on mail people write as well.
		{"x-auto-response-suppress alone", "X-Auto-Response-Suppress: All\n", ClassHuman, ""},
		{"read receipt", "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n", ClassAutoReply, "disposition-notification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classifyRaw(t, rawMail(parentHeader+"Subject: Re: [KL-2026-0041] uw klacht\n"+tc.header, "Ik ben er niet.\n"))
			if c.Class != tc.want || !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("%+v; want %s with reason containing %q", c, tc.want, tc.reason)
			}
		})
	}
}

// A null reverse path marks automatic mail (RFC 3834 section 2, and
// DESIGN.md); X-Auto-Response-Suppress then is mentioned as well.
func TestClassifyNullReturnPath(t *testing.T) {
	raw := rawMail(strings.Replace(parentHeader, "<sanne.jansen@gmail.example>", "<>", 1)+
		"Subject: Ik ben er niet\nX-Auto-Response-Suppress: All\n", "Ik ben er niet.\n")
	c := classifyRaw(t, raw)
	if c.Class != ClassAutoReply || !strings.Contains(c.Reason, "Return-Path: <>") || !strings.Contains(c.Reason, "X-Auto-Response-Suppress") {
		t.Errorf("%+v", c)
	}
}

func TestClassifySubject(t *testing.T) {
	for subject, want := range map[string]string{
		"Automatisch antwoord: [KL-2026-0042] Nieuwe klacht": ClassAutoReply,
		"Automatic reply: Nyaan":                             ClassAutoReply,
		"Out of Office: Re: uw klacht":                       ClassAutoReply,
		"Out of Office AutoReply: uw klacht":                 ClassAutoReply,
		"Afwezig: Re: uw klacht":                             ClassAutoReply,
		"Niet aanwezig: uw klacht":                           ClassAutoReply,
		"AutoReply: uw klacht":                               ClassAutoReply,
		"Auto reply: Nyaan":                                  ClassAutoReply,
		"Abwesenheitsnotiz: Ihre Beschwerde":                 ClassAutoReply,
		"Réponse automatique : votre plainte":                ClassAutoReply,
		"[Automatyczna odpowiedź] test":                      ClassAutoReply,
		// A parent writing about the automatic answer is not silenced.
		"Re: [KL-2026-0041] Automatisch antwoord klopt niet": ClassHuman,
		"Automatisch antwoord klopt niet":                    ClassHuman,
		"Afwezigheid van de vaste leidster":                  ClassHuman,
		"Vacationplanning en opvang":                         ClassHuman,
		// Gmail's vacation responder uses the user's own subject: only its
		// Auto-Submitted tells (nl/gmail-vacation-autoreply.eml).
		"Afwezig tot en met 6 december": ClassHuman,
	} {
		c := classifyRaw(t, rawMail(parentHeader+"Subject: "+subject+"\n", "tekst\n"))
		if c.Class != want {
			t.Errorf("subject %q: %+v; want %s", subject, c, want)
		}
	}
}

func TestClassifySenders(t *testing.T) {
	for from, want := range map[string]string{
		"noreply@ouderportaal.example":                   ClassAutoReply,
		"No-Reply <no-reply@ouderportaal.example>":       ClassAutoReply,
		"do-not-reply@ouderportaal.example":              ClassAutoReply,
		"donotreply@ouderportaal.example":                ClassAutoReply,
		"MAILER-DAEMON@mx.example":                       ClassAutoReply, // no report: automatic, not a bounce
		"postmaster@mx.example":                          ClassAutoReply,
		"Mail Delivery Subsystem <daemon@mx.example>":    ClassAutoReply,
		"Noor Eplyson <noor.eplyson@gmail.example>":      ClassHuman,
		"Postma Sterk <postma.sterk@gmail.example>":      ClassHuman,
		"Henk (no reply needed) <henk@gmail.example>":    ClassHuman,
		"replies-welcome@ouderportaal.example":           ClassHuman,
		"Kinderopvang De Vlinder <info@vlinder.example>": ClassHuman,
	} {
		raw := rawMail("From: "+from+"\nTo: klachten@vlinder.example\nSubject: Bericht\nMessage-ID: <1@x.example>\n", "Hallo.\n")
		if c := classifyRaw(t, raw); c.Class != want {
			t.Errorf("From %q: %+v; want %s", from, c, want)
		}
	}
}

func TestClassifyTextBounces(t *testing.T) {
	for _, tc := range []struct {
		name, header, body string
		class, outcome     string
		recipient          string
	}{
		{"exchange dutch ndr", "From: Microsoft Outlook <postmaster@vlinder.example>\nReturn-Path: <>\nSubject: Onbestelbaar: [KL-2026-0041] Ontvangstbevestiging\n",
			"De bezorging is mislukt voor deze ontvangers of groepen:\n\nsanne.jansen@gmail.example\n", ClassBounce, OutcomeFailed, "sanne.jansen@gmail.example"},
		{"null return-path and ndr subject", "From: Mail System <mail@mx.example>\nReturn-Path: <>\nSubject: Undeliverable: uw klacht\n",
			"Your message to <a@b.example> was not delivered.\n", ClassBounce, OutcomeFailed, ""},
		{"qmail", "From: MAILER-DAEMON@mx.example\nSubject: failure notice\n",
			"Hi. This is the qmail-send program at mx.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<sanne@gmail.example>:\n550 no mailbox\n\n--- Below this line is a copy of the message.\n\nTo: other@gmail.example\nMessage-ID: <v1abc@klachten.vlinder.example>\n",
			ClassBounce, OutcomeFailed, "sanne@gmail.example"},
		{"exim delay warning", "From: Mail Delivery System <Mailer-Daemon@mx.example>\nReturn-Path: <>\nSubject: Warning: message 1abc delayed 24 hours\n",
			"A message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue.\n\n  sanne@gmail.example\n", ClassBounce, OutcomeDelayed, "sanne@gmail.example"},
		{"exim x-failed-recipients", "From: Mail Delivery System <Mailer-Daemon@mx.example>\nX-Failed-Recipients: Sanne@Gmail.Example\nSubject: Mail delivery failed: returning message to sender\n",
			"This message was created automatically by mail delivery software.\n", ClassBounce, OutcomeFailed, "sanne@gmail.example"},
		{"no-reply sender saying undelivered", "From: no-reply@provider.example\nSubject: Foutmelding\n",
			"Your mail could not be delivered to: <sanne@provider.example>\n", ClassBounce, OutcomeFailed, "sanne@provider.example"},
		// A parent forwarding a bounce to us is a person writing.
		{"parent forwards a bounce", strings.TrimLeft(parentHeader, "\n") + "Subject: Fwd: Undelivered Mail Returned to Sender\n",
			"Ik kreeg dit terug, klopt mijn adres wel?\n\n---------- Forwarded message ---------\nFrom: MAILER-DAEMON@mx.example\n", ClassHuman, "", ""},
		// An out-of-office repeating a complaint's subject is no bounce.
		{"out-of-office about undelivered parcel", "From: Marco Bos <marco.bos@vlinder.example>\nReturn-Path: <>\nAuto-Submitted: auto-generated\nSubject: Automatisch antwoord: Klacht: pakket niet bezorgd\n",
			"Ik ben afwezig. Uw bericht kon niet worden bezorgd bij mij, ik lees het later.\n", ClassAutoReply, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classifyRaw(t, rawMail(tc.header+"To: klachten@vlinder.example\n", tc.body))
			if c.Class != tc.class || c.Outcome != tc.outcome {
				t.Fatalf("%+v; want %s %q", c, tc.class, tc.outcome)
			}
			if tc.recipient != "" && !slices.Contains(c.Recipients, tc.recipient) {
				t.Errorf("Recipients %q lack %q", c.Recipients, tc.recipient)
			}
		})
	}
}

// dsnMail is a multipart/report (RFC 6522) with the given recipient
// groups in its delivery-status part, returning our confirmation.
func dsnMail(groups ...string) []byte {
	return rawMail(`
From: Mail Delivery System <MAILER-DAEMON@mx.example>
To: klachten@vlinder.example
Subject: Delivery report
Message-ID: <report1@mx.example>
In-Reply-To: <irt@elders.example>
Content-Type: multipart/report; report-type=delivery-status; boundary="b"
`, "--b\nContent-Type: text/plain\n\nReport.\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"+
		strings.Join(groups, "\n")+
		"\n--b\nContent-Type: text/rfc822-headers\n\nFrom: klachten@vlinder.example\nTo: sanne@gmail.example\nMessage-ID: <v1abc@klachten.vlinder.example>\n\n--b--\n")
}

func TestClassifyDSN(t *testing.T) {
	for _, tc := range []struct {
		name       string
		groups     []string
		outcome    string
		recipients []string
	}{
		{"failed", []string{"Final-Recipient: rfc822; Sanne@Gmail.Example\nAction: failed\nStatus: 5.1.1\n"}, OutcomeFailed, []string{"sanne@gmail.example"}},
		{"delayed", []string{"Final-Recipient: rfc822; sanne@gmail.example\nAction: delayed\nStatus: 4.4.7\n"}, OutcomeDelayed, []string{"sanne@gmail.example"}},
		{"delivered", []string{"Final-Recipient: rfc822; sanne@gmail.example\nAction: delivered\nStatus: 2.0.0\n"}, OutcomeDelivered, []string{"sanne@gmail.example"}},
		{"relayed", []string{"Final-Recipient: rfc822; sanne@gmail.example\nAction: relayed\nStatus: 2.0.0\n"}, OutcomeDelivered, []string{"sanne@gmail.example"}},
		{"status class without action", []string{"Final-Recipient: rfc822; sanne@gmail.example\nStatus: 4.2.2\n"}, OutcomeDelayed, []string{"sanne@gmail.example"}},
		// The Action decides: Yahoo gives up with a 4.x.x status.
		{"failed with 4.x.x", []string{"Final-Recipient: rfc822; sanne@gmail.example\nAction: failed\nStatus: 4.7.0\n"}, OutcomeFailed, []string{"sanne@gmail.example"}},
		{"original recipient too", []string{"Original-Recipient: rfc822;sanne@gmail.example\nFinal-Recipient: rfc822; sanne.jansen@mx.gmail.example\nAction: failed\nStatus: 5.1.1\n"},
			OutcomeFailed, []string{"sanne@gmail.example", "sanne.jansen@mx.gmail.example"}},
		{"worst outcome with its recipients", []string{
			"Final-Recipient: rfc822; thomas@gmail.example\nAction: delivered\nStatus: 2.0.0\n",
			"Final-Recipient: rfc822; sanne@gmail.example\nAction: failed\nStatus: 5.2.2\n",
		}, OutcomeFailed, []string{"sanne@gmail.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := classifyRaw(t, dsnMail(tc.groups...))
			if c.Class != ClassBounce || c.Outcome != tc.outcome || !slices.Equal(c.Recipients, tc.recipients) {
				t.Errorf("%+v; want %s %q", c, tc.outcome, tc.recipients)
			}
			if c.Reason != "multipart/report; report-type=delivery-status" {
				t.Errorf("Reason %q", c.Reason)
			}
			if !slices.Equal(c.OriginalIDs, []string{"v1abc@klachten.vlinder.example"}) {
				t.Errorf("OriginalIDs %q", c.OriginalIDs)
			}
		})
	}
}

// Without a returned message or Message-ID line, the report's own
// threading headers name what it answers (Exchange sets them).
func TestClassifyOriginalIDsFromThreading(t *testing.T) {
	raw := rawMail(`
From: postmaster@mx.example
Return-Path: <>
To: klachten@vlinder.example
Subject: Undeliverable: uw klacht
In-Reply-To: <v1abc@klachten.vlinder.example>
`, "Delivery has failed to these recipients:\n\nsanne@gmail.example\n")
	c := classifyRaw(t, raw)
	if c.Class != ClassBounce || !slices.Equal(c.OriginalIDs, []string{"v1abc@klachten.vlinder.example"}) {
		t.Errorf("%+v", c)
	}
}

func TestClassifySESNotification(t *testing.T) {
	body := `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Sanne@gmail.example",
"action":"failed","status":"5.1.1"}]},"mail":{"messageId":"0101-x","commonHeaders":{"messageId":"<v1abc@klachten.vlinder.example>"}}}
`
	c := classifyRaw(t, rawMail("From: no-reply@sns.amazonaws.com\nTo: klachten@vlinder.example\nSubject: AWS Notification Message\n", body))
	if c.Class != ClassBounce || c.Outcome != OutcomeFailed || !slices.Equal(c.Recipients, []string{"sanne@gmail.example"}) ||
		!slices.Equal(c.OriginalIDs, []string{"v1abc@klachten.vlinder.example"}) {
		t.Errorf("%+v", c)
	}
}
