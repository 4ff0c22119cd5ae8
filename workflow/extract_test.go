package workflow

import (
	"strings"
	"testing"
	"unicode"
)

func TestNewText(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{
			name: "entirely quoted keeps the full text",
			text: "> Beste Sanne,\n>\n> Wij hebben uw klacht ontvangen.\n",
			want: "> Beste Sanne,\n>\n> Wij hebben uw klacht ontvangen.",
		},
		{
			name: "only a forward keeps the full text",
			text: "---------- Doorgestuurd bericht ---------\nVan: Jeroen <j@gmail.example>\n\nBeste Karin,\n",
			want: "---------- Doorgestuurd bericht ---------\nVan: Jeroen <j@gmail.example>\n\nBeste Karin,",
		},
		{
			name: "inline answers stay, the quotes between them go",
			text: "Op 19 nov. 2026 om 21:48 schreef Klachten <klachten@vlinder.example>:\n> Schikt donderdag?\n\nJa, donderdag past.\n\n> Komt uw man ook?\n\nNee, hij werkt.\n\n> Met vriendelijke groet,\n> Anna\n",
			want: "Ja, donderdag past.\n\nNee, hij werkt.",
		},
		{
			name: "bottom-posted answer (Thunderbird)",
			text: "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\nHello",
			want: "Hello",
		},
		{
			name: "Dutch Gmail attribution wrapped over two lines",
			text: "Goedemorgen,\n\nDank voor de bevestiging.\n\nMet vriendelijke groet,\nSanne Jansen\n\nOp do 19 nov 2026 om 21:48 schreef Kinderopvang De Vlinder - Klachten <\nklachten@vlinder.example>:\n\n> Beste Sanne Jansen,\n>\n> Wij hebben uw klacht ontvangen.\n",
			want: "Goedemorgen,\n\nDank voor de bevestiging.\n\nMet vriendelijke groet,\nSanne Jansen",
		},
		{
			name: "attribution over three lines",
			text: "Klopt.\n\nOn Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@reply.github.com>\nwrote:\n\n> Was this fixed?\n",
			want: "Klopt.",
		},
		{
			name: "iOS in Dutch: quoted attribution, byte-order mark, mobile signature",
			text: "Donderdag past ons goed.\n\nGroet,\nRuud\n\nVerstuurd vanaf mijn iPhone\n\n> Op 16 nov. 2026 om 16:40 heeft Klachten <klachten@vlinder.example> het volgende geschreven:\n> \n> \ufeffBeste heer Hendriks,\n",
			want: "Donderdag past ons goed.\n\nGroet,\nRuud",
		},
		{
			name: "quoted text starting with a byte-order mark",
			text: "Prima.\n\n\ufeff> Beste heer Hendriks,\n",
			want: "Prima.",
		},
		{
			name: "German and French attributions",
			text: "Danke.\n\nAm 02.04.2012 um 14:20 schrieb Anna <anna@vlinder.example>:\n> Hallo\n\nMerci.\n\nLe 2 avr. 2012 à 14:20, Anna <anna@vlinder.example> a écrit :\n> Bonjour\n",
			want: "Danke.\n\nMerci.",
		},
		{
			name: "Gmail forward: the note only",
			text: "Geachte heer/mevrouw,\n\nHieronder mijn eerdere mail.\n\nJeroen\n\n---------- Forwarded message ---------\nFrom: Jeroen <j@gmail.example>\nDate: wo 4 nov 2026 om 20:15\nSubject: Zorgen\nTo: Karin <k.post@vlinder.example>\n\nBeste Karin,\n",
			want: "Geachte heer/mevrouw,\n\nHieronder mijn eerdere mail.\n\nJeroen",
		},
		{
			name: "Apple Mail forward",
			text: "Zie hieronder.\n\nBegin doorgestuurd bericht:\n\n> Van: Karin <k.post@vlinder.example>\n",
			want: "Zie hieronder.",
		},
		{
			name: "Outlook desktop in Dutch, NBSP-only lines",
			text: "Goedenavond,\n\n\u00a0\n\nDank u.\n\n\u00a0\n\nSamira\n\n\u00a0\n\nVan: Kinderopvang De Vlinder - Klachten <klachten@vlinder.example> \nVerzonden: vrijdag 20 november 2026 16:05\nAan: Samira <s@hotmail.example>\nOnderwerp: [KL-2026-0039] Reactie\n\n\u00a0\n\nBeste mevrouw,\n",
			want: "Goedenavond,\n\n\u00a0\n\nDank u.\n\n\u00a0\n\nSamira",
		},
		{
			name: "Outlook rule and bold header names",
			text: "Akkoord.\n________________________________\n*From:* Klachten [mailto:klachten@vlinder.example]\n*Sent:* Friday, 20 November 2026 16:05\n*To:* Samira\n*Subject:* Reactie\n\nBeste mevrouw,\n",
			want: "Akkoord.",
		},
		{
			name: "Outlook original message marker",
			text: "Hello\n\n-----Original Message-----\nFrom: bob <bob@example.com>\n\nHi",
			want: "Hello",
		},
		{
			name: "Oorspronkelijk bericht",
			text: "Hallo\n\n-----Oorspronkelijk bericht-----\nVan: Anna\n\nHoi",
			want: "Hallo",
		},
		{
			name: "command lines of a handler stay, the quoted ones go",
			text: "#oordeel\n\n#maatregel 2027-01-15 Protocol doorgenomen.\n\n\u00a0\n\nBeste mevrouw Jansen,\n\nUw klacht is gegrond.\n\nAnna de Vries\n\nKlachtenfunctionaris\n\n\u00a0\n\nVan: Klachten <klachten@vlinder.example>\nVerzonden: donderdag 19 november 2026 21:48\nAan: Anna de Vries <anna.devries@vlinder.example>\nOnderwerp: Nieuwe klacht\n\n#intern (interne notitie)\n\n#status in-behandeling\n",
			want: "#oordeel\n\n#maatregel 2027-01-15 Protocol doorgenomen.\n\n\u00a0\n\nBeste mevrouw Jansen,\n\nUw klacht is gegrond.\n\nAnna de Vries\n\nKlachtenfunctionaris",
		},
		{
			name: "signature delimiter",
			text: "Dank u.\n\nSanne\n-- \nSanne Jansen\n06-12345678\n",
			want: "Dank u.\n\nSanne",
		},
		{
			name: "-- inside a line is no signature",
			text: "Hi there!\n\nStuff happened.\n\nAnd here is a fix -- this is not a signature.\n\nkthxbai\n",
			want: "Hi there!\n\nStuff happened.\n\nAnd here is a fix -- this is not a signature.\n\nkthxbai",
		},
		{
			name: "a dash-signed name is a signature, a dash list is not",
			text: "Wij vragen:\n\n-niemand belde ons\n-geen formulier\n\nGroet,\n\n-Sanne Jansen\n\n_______________\nOuders De Rups mailing list\n",
			want: "Wij vragen:\n\n-niemand belde ons\n-geen formulier\n\nGroet,",
		},
		{
			name: "mobile signatures at the end",
			text: "Prima.\n\nVerzonden vanaf mijn Samsung Galaxy-smartphone.\n",
			want: "Prima.",
		},
		{
			name: "multi-word mobile signature",
			text: "Here is another email\n\nSent from my Verizon Wireless BlackBerry\n",
			want: "Here is another email",
		},
		{
			name: "a sentence that starts like a mobile signature stays",
			text: "Here is another email\n\nSent from my desk, is much easier then my mobile phone.\n",
			want: "Here is another email\n\nSent from my desk, is much easier then my mobile phone.",
		},
		{
			name: "a mobile signature line in the middle stays",
			text: "Verstuurd vanaf mijn iPhone\nschreef u dat het goed was, maar dat klopt niet.\n",
			want: "Verstuurd vanaf mijn iPhone\nschreef u dat het goed was, maar dat klopt niet.",
		},
		{
			name: "a line ending in a colon is no attribution",
			text: "On your remote host you can run:\n\n     telnet 127.0.0.1 52698\n\nThis should connect.\n\nOn 9 Jan 2014, at 2:47, George wrote:\n\n> I am having an odd issue\n",
			want: "On your remote host you can run:\n\n     telnet 127.0.0.1 52698\n\nThis should connect.",
		},
		{
			name: "a Dutch sentence like an attribution, without a quote, stays",
			text: "Op maandag schreef ik u al het volgende:\n\nDaan is gevallen en niemand belde.\n",
			want: "Op maandag schreef ik u al het volgende:\n\nDaan is gevallen en niemand belde.",
		},
		{
			name: "Yahoo attribution over an unquoted original",
			text: "Klinkt goed.\n\nJoe\n\n--- On Wed, 4/4/12, xxx@example.com <xxx@example.com> wrote:\n\n\nFrom: xxx@example.com <xxx@example.com>\nSubject: Booking\n",
			want: "Klinkt goed.\n\nJoe",
		},
		{
			name: "CRLF line ends",
			text: "Dank u.\r\n\r\nOn Tue, Sep 25, 2012 at 8:59 AM, Chris\r\n<notifications@github.com>wrote:\r\n\r\n> Steps 0-2 are in prod.\r\n",
			want: "Dank u.",
		},
		{
			name: "French Outlook block",
			text: "Merci.\n\nDe : Klachten <klachten@vlinder.example>\nEnvoyé : vendredi 20 novembre 2026 16:05\nÀ : Samira\nObjet : Réponse\n\nBonjour\n",
			want: "Merci.",
		},
		{
			name: "Spanish Outlook block",
			text: "Gracias.\n\nDe: Klachten <klachten@vlinder.example>\nEnviado: viernes, 20 de noviembre de 2026 16:05\nPara: Samira\nAsunto: Respuesta\n\nHola\n",
			want: "Gracias.",
		},
		{
			name: "Polish Outlook block",
			text: "Dziękuję.\n\nOd: Klachten <klachten@vlinder.example>\nWysłano: piątek, 20 listopada 2026 16:05\nDo: Samira\nTemat: Odpowiedź\n\nDzień dobry\n",
			want: "Dziękuję.",
		},
		{
			name: "Turkish Outlook block",
			text: "Teşekkürler.\n\nKimden: Klachten <klachten@vlinder.example>\nGönderildi: 20 Kasım 2026 Cuma 16:05\nKime: Samira\nKonu: Yanıt\n\nMerhaba\n",
			want: "Teşekkürler.",
		},
		{
			name: "Arabic Outlook block",
			text: "شكرا.\n\nمن: Klachten <klachten@vlinder.example>\nتم الإرسال: الجمعة، 20 نوفمبر 2026 16:05\nإلى: Samira\nالموضوع: رد\n\nمرحبا\n",
			want: "شكرا.",
		},
		{
			name: "Outlook bold block whose From line wraps",
			text: "Akkoord.\n\n*Van:* Kinderopvang De Vlinder - Klachten [mailto:\nklachten@vlinder.example]\n*Verzonden:* vrijdag 20 november 2026 16:05\n*Aan:* Samira\n*Onderwerp:* Reactie\n\nBeste mevrouw,\n",
			want: "Akkoord.",
		},
		{
			name: "Oorspronkelijk bericht translations",
			text: "Tak.\n\n-----Oprindelig meddelelse-----\nFra: Anna\n\nHej",
			want: "Tak.",
		},
		{
			name: "On … you wrote: above an unquoted original",
			text: "Dat klopt niet.\n\nOn Thu, Nov 19, 2026 at 9:48 PM, you wrote:\n\nBeste Sanne, wij hebben uw klacht ontvangen.\n",
			want: "Dat klopt niet.",
		},
		{
			name: "Android's dashed attribution",
			text: "Prima.\n\n---- Klachten wrote ----\n\nBeste Sanne,\n",
			want: "Prima.",
		},
		{
			name: "a date and a recipient in prose are no header block",
			text: "Datum: 3 november\nLocatie: De Rups\n\nNiemand belde.\n",
			want: "Datum: 3 november\nLocatie: De Rups\n\nNiemand belde.",
		},
		{
			name: "a header block in an unknown language (Hungarian Outlook)",
			text: "Köszönöm.\n\nFeladó: Klachten <klachten@vlinder.example>\nElküldve: 2026. november 19. 21:49\nCímzett: Anna\nTárgy: Reactie\n\nBeste Anna,\n",
			want: "Köszönöm.",
		},
		{
			name: "contact details at the top of a complaint stay",
			text: "Naam: Sanne Jansen\nE-mail: sanne.jansen@example.nl\nTelefoon: 06-12345678\nKind: Noah\n\nGeachte heer/mevrouw,\n\nNoah is meegegeven.\n",
			want: "Naam: Sanne Jansen\nE-mail: sanne.jansen@example.nl\nTelefoon: 06-12345678\nKind: Noah\n\nGeachte heer/mevrouw,\n\nNoah is meegegeven.",
		},
		{
			name: "the head of a formal letter stays",
			text: "Hierbij mijn klacht.\n\nAan: Kinderopvang De Vlinder\nVan: Sanne Jansen\nDatum: 3 november 2026\nBetreft: ophalen van Noah\n\nGeachte heer/mevrouw,\n\nNoah is meegegeven.\n",
			want: "Hierbij mijn klacht.\n\nAan: Kinderopvang De Vlinder\nVan: Sanne Jansen\nDatum: 3 november 2026\nBetreft: ophalen van Noah\n\nGeachte heer/mevrouw,\n\nNoah is meegegeven.",
		},
		{
			name: "empty",
			text: " \n\n",
			want: "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := newText(tc.text); got != tc.want {
				t.Errorf("newText(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}

// FuzzReplyText: the extractor never panics, never invents a line, and
// never returns nothing for a person's text (newText).
func FuzzReplyText(f *testing.F) {
	for _, s := range []string{
		"Dank u.\n\nOp do 19 nov 2026 om 21:48 schreef K <\nk@v.example>:\n> Hallo\n",
		"reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi",
		"Hi\n\n  *From:* bob@example.com [mailto:\n  bob@example.com]\n  *Sent:* Wednesday\n  *To:* t@example.com\n",
		"---- John wrote ----\n", "tir. 18. apr. 2017 kl. 13:09 skrev T <t@e.com\n>:\n\n> ok", "\f#0", ">\n>:\n--\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := replyText(s)
		lines := map[string]bool{}
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			lines[strings.TrimRightFunc(l, unicode.IsSpace)] = true
		}
		for _, l := range strings.Split(got, "\n") {
			if !lines[strings.TrimRightFunc(l, unicode.IsSpace)] && strings.TrimSpace(l) != "" {
				// sharedAttribution keeps the start of a line.
				found := false
				for in := range lines {
					found = found || strings.HasPrefix(in, strings.TrimRightFunc(l, unicode.IsSpace))
				}
				if !found {
					t.Fatalf("invented line %q from %q", l, s)
				}
			}
		}
		if strings.TrimSpace(s) != "" && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(s), "\ufeff")) != "" && newText(s) == "" {
			t.Fatalf("nothing extracted from %q", s)
		}
	})
}

// A hostile text of attribution-like lines over empty lines is linear.
func BenchmarkReplyTextHostile(b *testing.B) {
	text := strings.Repeat("x On Wed, 4 Apr 2012 at 3:59, a@b.example wrote:\n", 20000) + strings.Repeat("\n", 100000) + "> q\n"
	for b.Loop() {
		replyText(text)
	}
}
