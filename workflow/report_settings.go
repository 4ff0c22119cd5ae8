package workflow

// ReportRenderer renders an annual report in a format ("html", "md",
// "csv"). report.Render is one.
type ReportRenderer func(r *AnnualReport, format string) ([]byte, error)
