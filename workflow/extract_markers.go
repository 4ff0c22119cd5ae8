package workflow

import (
	"strings"
	"unicode"
)

// The words mail clients write above quoted and forwarded text, in the
// languages Dutch families write in. Each table names where its entries
// come from: the clients' own output as seen in testdata/corpus/replies and
// testdata/clients (see their READMEs), and the shared corpus.

// separatorMarkers are the texts between the dashes of the lines clients put
// above a quoted or forwarded message: "-----Original Message-----" and
// "-----Oorspronkelijk bericht-----" (Outlook), "----- Original Message
// -----" (Yahoo, AOL), "---------- Forwarded message ---------" and
// "---------- Doorgestuurd bericht ---------" (Gmail), "-------- Forwarded
// Message --------" (Thunderbird), "-----Reply Message-----" (talon's
// fixtures), and Outlook's translations.
var separatorMarkers = map[string]bool{
	"original message": true, "reply message": true, "forwarded message": true, "forward message": true,
	"oorspronkelijk bericht": true, "origineel bericht": true, "doorgestuurd bericht": true, "doorgestuurd bericht van": true,
	"ursprüngliche nachricht": true, "originalnachricht": true, "antwort nachricht": true, "weitergeleitete nachricht": true,
	"message d'origine": true, "message d’origine": true, "message original": true, "message transféré": true,
	"mensaje original": true, "mensaje reenviado": true, "mensagem original": true, "mensagem encaminhada": true,
	"messaggio originale": true, "messaggio inoltrato": true,
	"oprindelig meddelelse": true, "videresendt meddelelse": true, "opprinnelig melding": true, "videresendt melding": true,
	"ursprungligt meddelande": true, "vidarebefordrat meddelande": true, "alkuperäinen viesti": true, "välitetty viesti": true,
	"wiadomość oryginalna": true, "oryginalna wiadomość": true, "przekazana wiadomość": true, "původní zpráva": true,
	"orijinal mesaj": true, "özgün ileti": true, "iletilen ileti": true, "الرسالة الأصلية": true, "رسالة معاد توجيهها": true,
}

// isSeparatorMarker recognises a dashed separator line (separatorMarkers).
func isSeparatorMarker(lower string) bool {
	if !strings.HasPrefix(lower, "--") {
		return false
	}
	return separatorMarkers[strings.TrimSpace(strings.Trim(lower, "- \u200f\u200e"))]
}

// appleForwardMarkers open a forward in Apple Mail (lower case).
var appleForwardMarkers = map[string]bool{
	"begin forwarded message:": true, "begin doorgestuurd bericht:": true,
	"anfang der weitergeleiteten nachricht:": true, "début du message réexpédié :": true,
	"début du message réexpédié:": true, "comienzo del mensaje reenviado:": true,
}

// Header-block field names, by what they mean, as Outlook (desktop, Mac,
// web), Gmail's forward and Exchange write them in Dutch, English, German,
// French, Spanish, Portuguese, Italian, Danish, Norwegian, Swedish, Finnish,
// Polish, Czech, Russian, Turkish and Arabic.
const (
	fieldFrom = iota + 1
	fieldDate
	fieldTo
	fieldSubject
	fieldCc
)

var headerFields = map[string]int{
	"from": fieldFrom, "van": fieldFrom, "von": fieldFrom, "de": fieldFrom, "da": fieldFrom, "fra": fieldFrom,
	"från": fieldFrom, "od": fieldFrom, "от": fieldFrom, "kimden": fieldFrom, "lähettäjä": fieldFrom, "من": fieldFrom, "المرسل": fieldFrom,
	"sent": fieldDate, "date": fieldDate, "отправлено": fieldDate, "дата": fieldDate, "datum": fieldDate, "verzonden": fieldDate, "verstuurd": fieldDate,
	"gesendet": fieldDate, "envoyé": fieldDate, "date d'envoi": fieldDate, "enviado": fieldDate, "enviada": fieldDate,
	"enviado el": fieldDate, "fecha": fieldDate, "data": fieldDate, "inviato": fieldDate, "sendt": fieldDate,
	"skickat": fieldDate, "lähetetty": fieldDate, "päivämäärä": fieldDate, "wysłano": fieldDate, "wysłane": fieldDate,
	"odesláno": fieldDate, "gönderildi": fieldDate, "gönderilen": fieldDate, "tarih": fieldDate,
	"التاريخ": fieldDate, "تاريخ": fieldDate, "تم الإرسال": fieldDate, "أرسل": fieldDate, "مرسل": fieldDate,
	"to": fieldTo, "кому": fieldTo, "aan": fieldTo, "an": fieldTo, "à": fieldTo, "a": fieldTo, "para": fieldTo, "til": fieldTo,
	"till": fieldTo, "do": fieldTo, "komu": fieldTo, "kime": fieldTo, "vastaanottaja": fieldTo, "إلى": fieldTo,
	"subject": fieldSubject, "тема": fieldSubject, "onderwerp": fieldSubject, "betreff": fieldSubject, "objet": fieldSubject,
	"asunto": fieldSubject, "assunto": fieldSubject, "oggetto": fieldSubject, "emne": fieldSubject, "ämne": fieldSubject,
	"aihe": fieldSubject, "temat": fieldSubject, "předmět": fieldSubject, "konu": fieldSubject, "الموضوع": fieldSubject,
	"cc": fieldCc, "bcc": fieldCc, "kopie": fieldCc, "kopia": fieldCc, "kopio": fieldCc, "bilgi": fieldCc, "نسخة": fieldCc,
	"reply-to": fieldCc, "antwoord aan": fieldCc, "antwort an": fieldCc, "répondre à": fieldCc,
}

// headerField returns what a line like "Subject: …", "*Subject:* …",
// "Objet : …" or "  *From:* …" names, or 0.
func headerField(l string) int {
	l = strings.TrimLeft(strings.TrimSpace(strings.TrimLeft(l, "\ufeff\u200f\u200e")), "*")
	name, _, ok := strings.Cut(l, ":")
	if !ok || len(name) > 24 {
		return 0
	}
	return headerFields[strings.ToLower(strings.TrimSpace(strings.Trim(name, "*\u00a0\u200f\u200e ")))]
}

// headerBlock reports whether line i opens the header block Outlook (and
// Gmail in a forward) writes above the original: header lines naming at
// least two different fields ("Van:/From:" and "Verzonden:/Sent:",
// "Aan:/To:", "Onderwerp:/Subject:"…), the first of them a sender, date or
// recipient. A line between them that is no field continues the one above
// (Outlook wraps "From: Name [mailto:" over two lines), at most twice.
func headerBlock(lines []string, i int) bool {
	if unknownHeaderBlock(lines, i) {
		return true
	}
	first := headerField(lines[i])
	if first == 0 || first == fieldSubject || first == fieldCc {
		return false
	}
	seen := map[int]bool{first: true}
	continued := 0
	// A mail client's block names an address or a time of day; the head
	// of a formal letter ("Aan: …", "Van: …", "Datum: 3 november") does not.
	mailish := looksMailish(lines[i])
	for j := i + 1; j < len(lines) && j <= i+8; j++ {
		if isBlank(lines[j]) {
			break
		}
		mailish = mailish || looksMailish(lines[j])
		f := headerField(lines[j])
		if f == 0 {
			if continued++; continued > 2 {
				break
			}
			continue
		}
		seen[f] = true
	}
	if len(seen) < 2 || !mailish {
		return false
	}
	// A date and a recipient alone ("Date: …" / "To: …") need a third
	// field or a sender: prose rarely has that.
	return seen[fieldFrom] || len(seen) >= 3 || first == fieldDate
}

// attributionVerbs are the verbs of "X wrote:" in the languages of the
// attribution lines Gmail, Apple Mail, Thunderbird, Outlook for Mac and
// Android clients write.
var attributionVerbs = []string{
	"wrote", "schreef", "geschreven", "schrieb", "geschrieben", "écrit", "escribió", "escreveu", "scritto", "ha scritto",
	"написал", "napisał", "napisała", "skrev", "kirjoitti", "napsal", "pisze", "escrit", "yazdı", "viết", "كتب",
}

// attributionVerbSet finds them in one pass: every line of a message is
// looked at.
var attributionVerbSet = newPhraseSet(attributionVerbs...)

func hasAttributionVerb(lower string) bool {
	return attributionVerbSet.contains(lower)
}

// endsWithVerb reports whether a line ends in an attribution verb and a
// colon: "… wrote:", "… a écrit :", "… đã viết:".
func endsWithVerb(lower string) bool {
	rest, ok := strings.CutSuffix(strings.TrimSpace(lower), ":")
	if !ok {
		return false
	}
	rest = strings.TrimSpace(rest)
	for _, v := range attributionVerbs {
		if strings.HasSuffix(rest, v) {
			return true
		}
	}
	return false
}

// opensAttribution reports whether a line opens like an attribution: "On",
// "Op", "Am", "Le", "El", "Em", "Il", "W dniu", "Dnia", "Den", "På", "Vào",
// or a date.
func opensAttribution(lower string) bool {
	if lower != "" && lower[0] >= '0' && lower[0] <= '9' {
		return true
	}
	for _, p := range []string{"on ", "op ", "am ", "le ", "el ", "em ", "il ", "w dniu ", "dnia ", "den ", "på ", "vào ", "dne "} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// dashedAttribution recognises an attribution set between dashes, without
// a colon: "---- John Smith wrote ----" (Android's stock client),
// "------On 12/29/1987 17:32 PM, Julius Caesar wrote-----".
func dashedAttribution(l string) bool {
	t := strings.TrimSpace(l)
	if !strings.HasPrefix(t, "---") || !strings.HasSuffix(t, "---") {
		return false
	}
	inner := strings.ToLower(strings.TrimSpace(strings.Trim(t, "-")))
	return inner != "" && len(inner) < 200 && endsWithVerb(inner+":")
}

// sharedAttribution finds an English attribution that starts inside line i
// after the words of the reply ("reply On Wed, …, bob@example.com wrote:"
// or "reply--- On …"), right above a quote, and returns the words before it.
func sharedAttribution(lines []string, i int) (string, bool) {
	l := lines[i]
	k := strings.Index(l, "On ")
	if k <= 0 || !quoteFollows(lines, i+1) {
		return "", false
	}
	before := strings.TrimRightFunc(l[:k], unicode.IsSpace)
	if b, ok := strings.CutSuffix(before, "---"); ok {
		before = b
	} else if before == l[:k] {
		return "", false // "On" inside a word
	}
	rest := strings.ToLower(l[k:])
	if !endsWithVerb(rest) || !(strings.Contains(rest, "@") || hasClockTime(rest)) {
		return "", false
	}
	return strings.TrimRightFunc(before, func(r rune) bool { return unicode.IsSpace(r) || r == '-' }), true
}

// unknownHeaderBlock recognises a header block in a language not in
// headerFields (Hungarian "Feladó:/Elküldve:/Címzett:/Tárgy:", say): three
// or more consecutive "Field: value" lines whose first names an address and
// one of the others a time of day. That is how every client's block looks;
// a parent's contact details ("E-mail: …", "Telefoon: …") have no time.
func unknownHeaderBlock(lines []string, i int) bool {
	name, value, ok := strings.Cut(lines[i], ":")
	if !ok || !strings.Contains(value, "@") || !isFieldName(name) {
		return false
	}
	n, dated := 1, false
	for j := i + 1; j < len(lines) && j < i+6; j++ {
		name, value, ok := strings.Cut(lines[j], ":")
		if !ok || strings.TrimSpace(value) == "" || !isFieldName(name) {
			break
		}
		n++
		dated = dated || hasClockTime(value)
	}
	return n >= 3 && dated
}

// isFieldName reports whether s is the name of a header-block line: one or
// two words, no digits, not long.
func isFieldName(s string) bool {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "*"))
	if s == "" || len(s) > 24 || len(strings.Fields(s)) > 2 {
		return false
	}
	return !strings.ContainsAny(s, "0123456789<>@/")
}

// looksMailish reports whether a header line names an address or a time of
// day (Windows Mail puts direction marks between the digits of the time).
func looksMailish(l string) bool {
	if strings.ContainsAny(l, "\u200e\u200f") {
		l = strings.NewReplacer("\u200e", "", "\u200f", "").Replace(l)
	}
	return strings.Contains(l, "@") || hasClockTime(l)
}
