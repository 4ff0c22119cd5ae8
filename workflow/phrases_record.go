package workflow

// Sentences for handlers about the record's commands (record.go), in the
// organisation's language; phrase looks here after the main phrasebooks.
// Read-only.

var recordPhrasesNL = map[string]string{
	"verdict.gegrond": "gegrond", "verdict.deels-gegrond": "deels gegrond", "verdict.ongegrond": "ongegrond",
	"outcome.gegrond": "gegrond", "outcome.ongegrond": "ongegrond", "outcome.schikking": "schikking",

	"applied.judgment_verdict":               "oordeel (%s) naar de ouder gestuurd, met %s; de klacht heeft nu een oordeel",
	"applied.held":                           "oordeel (%s, met %s) vastgehouden: het gaat pas naar de ouder als een tweede behandelaar antwoordt met #akkoord. De andere behandelaars hebben het gekregen; de termijn loopt door",
	"applied.approved":                       "oordeel van %s (%s) goedgekeurd",
	"applied.category":                       "categorie vastgelegd: %s",
	"applied.escalation_klachtenloket":       "vastgelegd: de ouder heeft het Klachtenloket Kinderopvang ingeschakeld op %s",
	"applied.escalation_geschillencommissie": "vastgelegd: de ouder heeft de klacht op %s voorgelegd aan de Geschillencommissie Kinderopvang",
	"applied.outcome_klachtenloket":          "uitkomst bij het Klachtenloket vastgelegd: %s (op %s)",
	"applied.outcome_geschillencommissie":    "uitspraak van de Geschillencommissie vastgelegd: %s (op %s)",
	"applied.report_line":                    "regel voor het jaarverslag vastgelegd: %q",
	"applied.concerns":                       "vastgelegd dat de klacht gaat over: %s",
	"applied.unassigned":                     "%s behandelde deze klacht en is niet meer toegewezen: wijs een andere behandelaar toe met #toewijzen",

	"refuse.verdict_missing":                "zet op de regel wat het oordeel is: #oordeel gegrond, #oordeel deels-gegrond of #oordeel ongegrond",
	"refuse.verdict":                        "%q is geen oordeel; schrijf #oordeel gegrond, #oordeel deels-gegrond of #oordeel ongegrond",
	"refuse.judgment_category":              "de klacht heeft nog geen categorie: zet in hetzelfde bericht een regel #categorie NAAM, met een van: %s",
	"refuse.judge_concerned":                "de klacht gaat (ook) over jou (#betreft): een andere behandelaar beoordeelt haar",
	"refuse.assign_concerned":               "de klacht gaat (ook) over %s (#betreft): wijs haar toe aan een andere behandelaar",
	"refuse.category":                       "%q is geen categorie; kies een van: %s",
	"refuse.escalation_klachtenloket":       "geef de datum waarop de ouder het Klachtenloket inschakelde: #klachtenloket JJJJ-MM-DD toelichting (bijvoorbeeld #klachtenloket %s)",
	"refuse.escalation_geschillencommissie": "geef de datum waarop de ouder de klacht indiende: #geschillencommissie JJJJ-MM-DD zaaknummer toelichting (bijvoorbeeld #geschillencommissie %s)",
	"refuse.escalation_date":                "%q is geen datum in de vorm JJJJ-MM-DD (bijvoorbeeld %s)",
	"refuse.escalation_future":              "de datum %s ligt in de toekomst: leg vast wat al gebeurd is",
	"refuse.outcome":                        "%q is geen uitkomst; schrijf #uitspraak gegrond, #uitspraak ongegrond of #uitspraak schikking, met de datum (bijvoorbeeld #uitspraak gegrond %s)",
	"refuse.outcome_none":                   "er loopt voor deze klacht geen procedure bij de Geschillencommissie of het Klachtenloket zonder uitkomst; leg die eerst vast met #geschillencommissie JJJJ-MM-DD of #klachtenloket JJJJ-MM-DD",
	"refuse.outcome_before":                 "de datum %s ligt voor de datum waarop de procedure begon (%s)",
	"refuse.report_line":                    "schrijf de regel voor het jaarverslag achter #verslag, zonder namen: die tekst komt zo in het verslag",
	"refuse.concerns":                       "noem na #betreft over wie de klacht gaat: het e-mailadres of de naam van een behandelaar, of een andere naam",
	"refuse.approve_none":                   "er wacht geen oordeel op akkoord bij deze klacht",
	"refuse.approve_author":                 "je hebt dit oordeel zelf geschreven: een andere behandelaar moet het goedkeuren",
	"refuse.approve_author_concerned":       "het wachtende oordeel is geschreven door %s, over wie de klacht (ook) gaat (#betreft): een andere behandelaar moet een nieuw oordeel schrijven",
}

var recordPhrasesEN = map[string]string{
	"verdict.gegrond": "upheld", "verdict.deels-gegrond": "partly upheld", "verdict.ongegrond": "not upheld",
	"outcome.gegrond": "upheld", "outcome.ongegrond": "not upheld", "outcome.schikking": "settlement",

	"applied.judgment_verdict":               "judgment (%s) sent to the parent, with %s; the case is decided",
	"applied.held":                           "judgment (%s, with %s) held: it goes to the parent only when a second handler answers #approve. The other handlers have received it; the term keeps running",
	"applied.approved":                       "judgment of %s (%s) approved",
	"applied.category":                       "category recorded: %s",
	"applied.escalation_klachtenloket":       "recorded: the parent turned to the Klachtenloket Kinderopvang on %s",
	"applied.escalation_geschillencommissie": "recorded: the parent filed the complaint with the Geschillencommissie Kinderopvang on %s",
	"applied.outcome_klachtenloket":          "outcome at the Klachtenloket recorded: %s (on %s)",
	"applied.outcome_geschillencommissie":    "ruling of the Geschillencommissie recorded: %s (on %s)",
	"applied.report_line":                    "line for the annual report recorded: %q",
	"applied.concerns":                       "recorded that the complaint is about: %s",
	"applied.unassigned":                     "%s handled this case and is no longer assigned: assign another handler with #assign",

	"refuse.verdict_missing":                "say on the line what the judgment decides: #judgment upheld, #judgment partly-upheld or #judgment not-upheld",
	"refuse.verdict":                        "%q is not a verdict; write #judgment upheld, #judgment partly-upheld or #judgment not-upheld",
	"refuse.judgment_category":              "the case has no category yet: add a line #category NAME in the same message, with one of: %s",
	"refuse.judge_concerned":                "the complaint is (also) about you (#concerns): another handler judges it",
	"refuse.assign_concerned":               "the complaint is (also) about %s (#concerns): assign it to another handler",
	"refuse.category":                       "%q is not a category; choose one of: %s",
	"refuse.escalation_klachtenloket":       "give the date the parent turned to the Klachtenloket: #klachtenloket YYYY-MM-DD note (e.g. #klachtenloket %s)",
	"refuse.escalation_geschillencommissie": "give the date the parent filed: #geschillencommissie YYYY-MM-DD case-number note (e.g. #geschillencommissie %s)",
	"refuse.escalation_date":                "%q is not a date written as YYYY-MM-DD (e.g. %s)",
	"refuse.escalation_future":              "the date %s is in the future: record what has happened",
	"refuse.outcome":                        "%q is not an outcome; write #ruling upheld, #ruling not-upheld or #ruling settlement, with the date (e.g. #ruling upheld %s)",
	"refuse.outcome_none":                   "this case has no procedure at the Geschillencommissie or the Klachtenloket without an outcome; record it first with #geschillencommissie YYYY-MM-DD or #klachtenloket YYYY-MM-DD",
	"refuse.outcome_before":                 "the date %s is before the procedure began (%s)",
	"refuse.report_line":                    "write the line for the annual report after #report, without names: the report shows it as written",
	"refuse.concerns":                       "say after #concerns who the complaint is about: a handler's address or name, or another name",
	"refuse.approve_none":                   "no judgment of this case is waiting for approval",
	"refuse.approve_author":                 "you wrote this judgment yourself: another handler must approve it",
	"refuse.approve_author_concerned":       "the waiting judgment was written by %s, whom the complaint is (also) about (#concerns): another handler must write a new judgment",
}
