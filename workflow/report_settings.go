package workflow

// ReportSettings are the organisation's own words for the annual complaints
// report (Wko art. 1.57b(4) a and b): the law asks for them, only the
// organisation can write them.
type ReportSettings struct {
	// RegulationSummary is a short description of the complaints
	// regulation (a).
	RegulationSummary string
	// HowParentsInformed says how parents were told of the regulation (b).
	HowParentsInformed string
}

// ReportRenderer renders an annual report in a format ("html", "md",
// "csv"). report.Render is one.
type ReportRenderer func(r *AnnualReport, format string) ([]byte, error)
