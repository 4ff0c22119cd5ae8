package report

import (
	"fmt"
	"strings"
	"time"
)

// labels are the report's words in one language.
type labels map[string]string

var (
	labelsNL = labels{
		"file":             "klachtenverslag",
		"title":            "Klachtenverslag",
		"subtitle":         "Jaarverslag klachten over %d, Wet kinderopvang artikel 1.57b lid 4",
		"location":         "Locatie",
		"made":             "Opgesteld op",
		"a":                "a. De klachtenregeling",
		"procedure":        "De regeling is te lezen op",
		"b":                "b. Hoe de regeling onder de aandacht van ouders is gebracht",
		"c":                "c. Aantal en aard van de klachten",
		"d":                "d. Oordelen en maatregelen per locatie",
		"e":                "e. Klachtenloket Kinderopvang en Geschillencommissie Kinderopvang",
		"missing":          "Nog niet ingevuld in de configuratie: %s",
		"total":            "Klachten ontvangen",
		"parents":          "van ouders",
		"committees":       "van een oudercommissie",
		"month_chart":      "Klachten per maand",
		"category_chart":   "Klachten per categorie",
		"category":         "Categorie",
		"count":            "Aantal",
		"no_category":      "geen categorie vastgelegd",
		"no_location":      "locatie niet vastgelegd",
		"small":            "minder dan drie: alleen het aantal",
		"upheld":           "gegrond",
		"partly":           "deels gegrond",
		"not_upheld":       "ongegrond",
		"unrecorded":       "oordeel zonder vastgelegde strekking",
		"judged":           "Oordelen gegeven",
		"within":           "binnen zes weken beoordeeld",
		"past":             "termijn van zes weken overschreden",
		"withdrawn":        "ingetrokken",
		"open":             "nog in behandeling",
		"with_measures":    "oordelen met maatregelen",
		"measures":         "Maatregelen (aard naar categorie en datum)",
		"due":              "Uiterlijk gerealiseerd op",
		"done":             "Gerealiseerd op",
		"not_done":         "nog niet gerealiseerd",
		"other_categories": "overige categorie",
		"lines":            "Toelichting van de klachtbehandelaars",
		"no_measures":      "Geen maatregelen.",
		"klachtenloket":    "Klachtenloket Kinderopvang",
		"gck":              "Geschillencommissie Kinderopvang",
		"contacts":         "Aantal",
		"settled":          "schikking",
		"in_progress":      "nog lopend",
		"none":             "Geen.",
		"anonymous":        "Dit verslag is zo opgesteld dat oordelen niet tot personen herleidbaar zijn (artikel 1.57b lid 5 en 6): het noemt geen namen, adressen, e-mailadressen, kenmerken of teksten van ouders of medewerkers. Locaties en categorieën met minder dan drie klachten staan er alleen met hun aantal in.",
		"months":           "jan feb mrt apr mei jun jul aug sep okt nov dec",
	}
	labelsEN = labels{
		"file":             "complaints-report",
		"title":            "Complaints report",
		"subtitle":         "Annual complaints report for %d, Dutch Childcare Act (Wet kinderopvang) article 1.57b(4)",
		"location":         "Location",
		"made":             "Drawn up on",
		"a":                "a. The complaints regulation",
		"procedure":        "The regulation can be read at",
		"b":                "b. How parents were told of the regulation",
		"c":                "c. Number and nature of the complaints",
		"d":                "d. Judgments and measures per location",
		"e":                "e. Klachtenloket Kinderopvang and Geschillencommissie Kinderopvang",
		"missing":          "Not yet filled in in the configuration: %s",
		"total":            "Complaints received",
		"parents":          "from parents",
		"committees":       "from a parent committee",
		"month_chart":      "Complaints per month",
		"category_chart":   "Complaints per category",
		"category":         "Category",
		"count":            "Number",
		"no_category":      "no category recorded",
		"no_location":      "location not recorded",
		"small":            "fewer than three: the number only",
		"upheld":           "upheld",
		"partly":           "partly upheld",
		"not_upheld":       "not upheld",
		"unrecorded":       "judgment without a recorded verdict",
		"judged":           "Judgments given",
		"within":           "judged within six weeks",
		"past":             "six-week term exceeded",
		"withdrawn":        "withdrawn",
		"open":             "still being handled",
		"with_measures":    "judgments with measures",
		"measures":         "Measures (nature by category and date)",
		"due":              "To be realised by",
		"done":             "Realised on",
		"not_done":         "not yet realised",
		"other_categories": "other category",
		"lines":            "Notes by the complaint handlers",
		"no_measures":      "No measures.",
		"klachtenloket":    "Klachtenloket Kinderopvang",
		"gck":              "Geschillencommissie Kinderopvang",
		"contacts":         "Number",
		"settled":          "settled",
		"in_progress":      "still in progress",
		"none":             "None.",
		"anonymous":        "This report is drawn up so that judgments cannot be traced to persons (article 1.57b(5) and (6)): it names no names, addresses, e-mail addresses, references or words of parents or staff. Locations and categories with fewer than three complaints are shown with their number only.",
		"months":           "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
	}
)

func labelsFor(lang string) labels {
	if lang == "en" {
		return labelsEN
	}
	return labelsNL
}

func (l labels) months() []string { return strings.Fields(l["months"]) }

func (l labels) category(name string) string {
	if name == "" {
		return l["no_category"]
	}
	return name
}

func (l labels) location(name string) string {
	if name == "" {
		return l["no_location"]
	}
	return name
}

func (l labels) subtitle(year int) string { return fmt.Sprintf(l["subtitle"], year) }

func (l labels) missing(keys []string) string {
	return fmt.Sprintf(l["missing"], strings.Join(keys, ", "))
}

// date writes a day the way the language does: 5 december 2026, 5 December 2026.
func (l labels) date(t time.Time) string {
	months := strings.Fields("januari februari maart april mei juni juli augustus september oktober november december")
	if l["file"] != labelsNL["file"] {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// day writes a YYYY-MM-DD date as date does; other text stays as it is.
func (l labels) day(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return l.date(t)
}
