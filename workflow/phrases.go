package workflow

import "fmt"

// phrase is a sentence or word the workflow writes into a message (for a
// handler about their commands, a placeholder such as "(geen onderwerp)"),
// in the organisation's language. These words are built here rather than in
// the templates because each carries its own values (a date, an address).
// This file is the one phrasebook of the workflow, one map per language
// with the same keys (TestPhrasebooksAgree); the templates hold the rest
// of the wording, and the case states are named the same in both.
func (w *Workflow) phrase(key string, args ...any) string {
	f, ok := phraseFormat(w.set.Organisation.Language, key)
	if !ok {
		f = key
	}
	return fmt.Sprintf(f, args...)
}

// phraseFormat is the phrase key in lang, from the main phrasebook, the
// record's or the case file's.
func phraseFormat(lang, key string) (string, bool) {
	f, ok := Phrasebook(lang)[key]
	if !ok {
		record := recordPhrasesNL
		if lang == "en" {
			record = recordPhrasesEN
		}
		f, ok = record[key]
	}
	if !ok {
		f, ok = CaseFilePhrasebook(lang)[key]
	}
	return f, ok
}

// Phrasebook is the workflow's phrasebook of lang ("nl" or "en"; anything
// else is Dutch). It is read-only.
func Phrasebook(lang string) map[string]string {
	if lang == "en" {
		return phrasesEN
	}
	return phrasesNL
}

// measureCount says how many measures, with a real plural.
func (w *Workflow) measureCount(n int) string {
	if n == 1 {
		return w.phrase("count.measure")
	}
	return w.phrase("count.measures", n)
}

// statusWord names a case state in a handler's sentence.
func (w *Workflow) statusWord(s string) string {
	return w.phrase("status." + s)
}

// The phrasebooks are read-only.
var phrasesNL = map[string]string{
	"status.received": "ontvangen", "status.acknowledged": "ontvangst bevestigd", "status.in_progress": "in behandeling",
	"status.decided": "oordeel verzonden", "status.closed": "afgerond", "status.withdrawn": "ingetrokken",

	"applied.internal":         "interne notitie vastgelegd (niet naar de ouder gestuurd)",
	"applied.note_kept":        "de tekst onder je opdrachten is als interne notitie bewaard en NIET naar de ouder gestuurd",
	"applied.status":           "status gezet op: %s",
	"applied.assign":           "toegewezen aan %s",
	"applied.location":         "locatie gezet op %s",
	"applied.withdrawn":        "klacht ingetrokken door de ouder; de klacht is afgesloten",
	"applied.close":            "maatregelen uitgevoerd; de klacht is afgesloten",
	"applied.judgment":         "oordeel naar de ouder gestuurd, met %s; de klacht heeft nu een oordeel",
	"applied.measures":         "%s toegevoegd aan het oordeel; de ouder krijgt de datum met je toelichting",
	"count.measure":            "1 maatregel",
	"count.measures":           "%d maatregelen",
	"applied.done":             "maatregel uitgevoerd: %q",
	"applied.all_done":         "alle maatregelen zijn uitgevoerd; de klacht is afgesloten",
	"line.done":                "#uitgevoerd",
	"applied.safeguard_on":     "gemarkeerd als veiligheidskwestie (signaal): de leidinggevenden hebben direct bericht gekregen, met de stappen die de wet vraagt",
	"applied.safeguard_off":    "signaal ingetrokken als onterecht (%s): de leidinggevenden krijgen bericht",
	"refuse.safeguard":         "%q: schrijf #signaal zonder meer op de regel (markeren), of #signaal-onterecht REDEN (een vals alarm intrekken)",
	"refuse.safeguard_on":      "de klacht is al gemarkeerd als veiligheidskwestie",
	"refuse.safeguard_off":     "de klacht is niet gemarkeerd als veiligheidskwestie",
	"refuse.safeguard_reason":  "schrijf de reden op de regel: #signaal-onterecht REDEN (waarom er geen sprake is van geweld of een zedendelict); die komt in het dossier en bij de leidinggevenden",
	"refuse.safeguard_both":    "#signaal en #signaal-onterecht kunnen niet in één bericht",
	"spoof.from_count":         "het bericht heeft %d afzenderregels (From)",
	"spoof.from_addrs":         "de afzender (From) bevat %d adressen",
	"spoof.token_other":        "het antwoordkenmerk in het bericht is niet dat van %s",
	"spoof.no_token":           "het bericht draagt geen antwoordkenmerk van %s: het is geen antwoord op een e-mail van ons aan jou",
	"spoof.no_authserv":        "er is geen vertrouwde mailserver ingesteld (trust.authserv_id) die afzenders controleert",
	"spoof.no_authres":         "onze mailserver (%s) heeft de afzender niet gecontroleerd",
	"spoof.authres_unreadable": "de controle door onze mailserver (%s) is onleesbaar",
	"spoof.dmarc":              "onze mailserver kon niet bevestigen dat het bericht echt van het domein %s komt (technisch: %s)",
	"applied.assign_self":      "de klacht had nog geen behandelaar: jij bent het nu",
	"applied.reachable":        "de ouder is weer per e-mail bereikbaar: de markering onbereikbaar is weggehaald",
	"applied.moved":            "nieuwe datum voor de maatregel %q: %s wordt %s; de ouder krijgt de nieuwe datum met je toelichting",
	"count.none":               "de vermelding dat er geen maatregelen volgen",

	"refuse.twice":             "dit commando staat er twee keer in; geef het één keer",
	"refuse.unknown":           "onbekend commando; bekend zijn %s", // the commands (commandTable.known)
	"list.and":                 " en ",
	"refuse.status":            "%q is geen status die je kunt zetten; gebruik in-behandeling (of bevestigd). Een oordeel, intrekking of afronding heeft een eigen commando: #oordeel, #ingetrokken, #afgerond",
	"refuse.status_state":      "de klacht heeft de status \"%s\"; die kan niet meer worden gezet",
	"refuse.assign":            "%q is geen bekende klachtbehandelaar; geef het e-mailadres van een van: %s",
	"refuse.location":          "%q is geen bekende locatie; bekend zijn: %s",
	"refuse.judgment_state":    "de klacht heeft de status \"%s\": ze heeft al een oordeel of is beëindigd",
	"refuse.judgment_body":     "het gemotiveerde oordeel ontbreekt: schrijf het onder de commandoregels",
	"refuse.date":              "%q is geen datum in de vorm JJJJ-MM-DD (bijvoorbeeld %s)",
	"refuse.date_past":         "de datum %s ligt niet in de toekomst: een maatregel heeft de datum nodig waarop hij uitgevoerd zal zijn",
	"refuse.measure_text":      "beschrijf de maatregel na de datum",
	"refuse.measure_which":     "er staan meer maatregelen open; noem de maatregel die de nieuwe datum krijgt zoals in het oordeel, bijvoorbeeld: %s",
	"refuse.move_reason":       "een nieuwe datum gaat naar de ouder, met de reden: schrijf onder de commandoregels waarom het later wordt",
	"refuse.move_with":         "een nieuwe datum gaat naar de ouder; stuur #intern of #afgerond in een apart bericht",
	"refuse.withdraw_state":    "de klacht heeft de status \"%s\"; alleen een klacht die nog in behandeling is, kan worden ingetrokken",
	"refuse.close_state":       "#afgerond sluit een klacht waarvan het oordeel is verstuurd, als alle maatregelen zijn uitgevoerd; deze klacht heeft de status \"%s\"",
	"refuse.judgment_note":     "een oordeel gaat naar de ouder en #intern houdt de tekst intern: stuur ze in aparte berichten",
	"refuse.contradiction":     "#geen-maatregelen spreekt de #maatregel-regels tegen",
	"refuse.no_measures":       "een oordeel moet de maatregelen noemen, elk met de datum waarop die uitgevoerd zal zijn (#maatregel JJJJ-MM-DD omschrijving), of #geen-maatregelen (Wet kinderopvang art. 1.57b lid 2 sub f)",
	"refuse.alone":             "#geen-maatregelen hoort bij #oordeel",
	"refuse.measures_early":    "maatregelen horen bij het oordeel: zet de #maatregel-regels in hetzelfde bericht als #oordeel",
	"refuse.ends":              "%s kan niet in hetzelfde bericht als %s: geef ze één voor één",
	"refuse.added_with":        "een nieuwe maatregel gaat met zijn datum naar de ouder; stuur #intern of #afgerond in een apart bericht",
	"refuse.done_state":        "#uitgevoerd hoort bij een maatregel uit een verstuurd oordeel; deze klacht heeft de status \"%s\"",
	"refuse.reachable":         "de ouder staat niet als onbereikbaar gemarkeerd; er is niets weg te halen",
	"refuse.done_none":         "alle maatregelen van deze klacht zijn al uitgevoerd",
	"refuse.done_which":        "er staan meer maatregelen open; noem de uitgevoerde maatregel zoals in het oordeel, bijvoorbeeld: %s",
	"refuse.done_unknown":      "%q is geen open maatregel van deze klacht; open zijn: %s",
	"refuse.done_with":         "een uitgevoerde maatregel gaat naar de ouder; stuur #intern of #afgerond in een apart bericht (#afgerond zet alle maatregelen op uitgevoerd)",
	"refuse.done_with_measure": "geef een nieuwe datum of een nieuwe maatregel in een apart bericht: de ouder krijgt over elk een eigen bericht",

	"sent.judgment":  "het oordeel",
	"sent.withdrawn": "de bevestiging van de intrekking",
	"sent.closed":    "het bericht dat de maatregelen zijn uitgevoerd",
	"sent.moved":     "het bericht met de nieuwe datum van de maatregel en je toelichting",
	"sent.added":     "het bericht met de nieuwe maatregel, de datum en je toelichting",
	"sent.done":      "het bericht dat de maatregel is uitgevoerd, met je toelichting en de maatregelen die nog openstaan",

	"subject.none":       "(geen onderwerp)",
	"attachment.unnamed": "(naamloos)",
	"unit.hour":          "uur", "unit.hours": "uur", "unit.day": "dag", "unit.days": "dagen",
}

var phrasesEN = map[string]string{
	"status.received": "received", "status.acknowledged": "receipt confirmed", "status.in_progress": "being handled",
	"status.decided": "judgment sent", "status.closed": "closed", "status.withdrawn": "withdrawn",

	"applied.internal":         "internal note recorded (not sent to the parent)",
	"applied.note_kept":        "the text below your commands was kept as an internal note and NOT sent to the parent",
	"applied.status":           "status set to: %s",
	"applied.assign":           "assigned to %s",
	"applied.location":         "location set to %s",
	"applied.withdrawn":        "complaint withdrawn by the parent; the case is closed",
	"applied.close":            "measures done; the case is closed",
	"applied.judgment":         "judgment sent to the parent, with %s; the case is decided",
	"applied.measures":         "%s added to the judgment; the parent gets its date with your explanation",
	"count.measure":            "1 measure",
	"count.measures":           "%d measures",
	"applied.done":             "measure done: %q",
	"applied.all_done":         "all measures are done; the case is closed",
	"line.done":                "#done",
	"applied.safeguard_on":     "marked as a safeguarding concern (signal): the managers were told at once, with the steps the law requires",
	"applied.safeguard_off":    "signal cleared as a false alarm (%s): the managers are told",
	"refuse.safeguard":         "%q: write #signal with nothing else on the line (to mark), or #signal-unfounded REASON (to clear a false alarm)",
	"refuse.safeguard_on":      "the case is already marked as a safeguarding concern",
	"refuse.safeguard_off":     "the case is not marked as a safeguarding concern",
	"refuse.safeguard_reason":  "write the reason on the line: #signal-unfounded REASON (why there is no violence or sexual offence); it goes on the case file and to the managers",
	"refuse.safeguard_both":    "#signal and #signal-unfounded cannot be in one message",
	"spoof.from_count":         "the message has %d From headers",
	"spoof.from_addrs":         "its From holds %d addresses",
	"spoof.token_other":        "the reply token in the message is not %s's",
	"spoof.no_token":           "the message carries no reply token of %s: it is not a reply to an email from us to you",
	"spoof.no_authserv":        "no trusted mail server is configured (trust.authserv_id) to check senders",
	"spoof.no_authres":         "our mail server (%s) did not check the sender",
	"spoof.authres_unreadable": "the check by our mail server (%s) cannot be read",
	"spoof.dmarc":              "our mail server could not confirm that the message really comes from the domain %s (technical: %s)",
	"applied.assign_self":      "the case had no handler yet: you are its handler now",
	"applied.reachable":        "the parent can be reached by email again: the unreachable flag is cleared",
	"applied.moved":            "new date for the measure %q: %s becomes %s; the parent gets the new date with your explanation",
	"count.none":               "the statement that no measures follow",

	"refuse.twice":             "this command is given twice; give it once",
	"refuse.unknown":           "unknown command; known are %s (or their Dutch names)",
	"list.and":                 " and ",
	"refuse.status":            "%q is not a status that can be set; use in-progress (or acknowledged). A judgment, withdrawal or closing has its own command: #judgment, #withdrawn, #close",
	"refuse.status_state":      "the case has the status \"%s\"; it can no longer be set",
	"refuse.assign":            "%q is not a configured handler; give the email address of one of: %s",
	"refuse.location":          "%q is not a known location; known are: %s",
	"refuse.judgment_state":    "the case has the status \"%s\": it already has its judgment or was ended",
	"refuse.judgment_body":     "the reasoned judgment is missing: write it below the command lines",
	"refuse.date":              "%q is not a date written as YYYY-MM-DD (e.g. %s)",
	"refuse.date_past":         "the date %s is not in the future: a measure needs the date by which it will be realised",
	"refuse.measure_text":      "describe the measure after the date",
	"refuse.measure_which":     "more measures are open; name the one that gets the new date as in the judgment, for example: %s",
	"refuse.move_reason":       "a new date goes to the parent with the reason: write below the command lines why it will be later",
	"refuse.move_with":         "a new date goes to the parent; send #internal or #close in a separate message",
	"refuse.withdraw_state":    "the case has the status \"%s\"; only a case still being handled can be withdrawn",
	"refuse.close_state":       "#close closes a case whose judgment was sent, once all measures are done; this case has the status \"%s\"",
	"refuse.judgment_note":     "a judgment goes to the parent while #internal keeps the text internal: send them in separate messages",
	"refuse.contradiction":     "#no-measures contradicts the #measure lines",
	"refuse.no_measures":       "a judgment must state the measures, each with the date by which it will be realised (#measure YYYY-MM-DD text), or #no-measures (Dutch Childcare Act art. 1.57b(2)(f))",
	"refuse.alone":             "#no-measures belongs with #judgment",
	"refuse.measures_early":    "measures are set with the judgment: put the #measure lines in the same message as #judgment",
	"refuse.ends":              "%s cannot go in the same message as %s: give one at a time",
	"refuse.added_with":        "a new measure goes to the parent with its date; send #internal or #close in a separate message",
	"refuse.done_state":        "#done is for a measure of a judgment that was sent; this case has the status \"%s\"",
	"refuse.reachable":         "the parent is not flagged unreachable; there is nothing to clear",
	"refuse.done_none":         "every measure of this case is done already",
	"refuse.done_which":        "more measures are open; name the one that is done as in the judgment, for example: %s",
	"refuse.done_unknown":      "%q is not an open measure of this case; open are: %s",
	"refuse.done_with":         "a measure done goes to the parent; send #internal or #close in a separate message (#close marks every measure done)",
	"refuse.done_with_measure": "give a new date or a new measure in a separate message: the parent gets a message about each",

	"sent.judgment":  "the judgment",
	"sent.withdrawn": "the confirmation of the withdrawal",
	"sent.closed":    "the message that the measures are done",
	"sent.moved":     "the message with the measure's new date and your explanation",
	"sent.added":     "the message with the new measure, its date and your explanation",
	"sent.done":      "the message that the measure is done, with your explanation and the measures still open",

	"subject.none":       "(no subject)",
	"attachment.unnamed": "(unnamed)",
	"unit.hour":          "hour", "unit.hours": "hours", "unit.day": "day", "unit.days": "days",
}
