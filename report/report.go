// Package report renders the annual complaints report (Wko art. 1.57b(4))
// that workflow.BuildReport gathers: a printable HTML document with its
// charts drawn here as inline SVG, Markdown and CSV. It reads only the
// report's counts and the handlers' report lines, and loads nothing from
// outside: the HTML prints to PDF from any browser, offline.
package report

import (
	"errors"
	"fmt"
	"strings"

	"github.com/complaintd/complaintd/workflow"
)

// Formats are the formats Render knows.
var Formats = []string{"html", "md", "csv"}

// ErrFormat is returned for a format Render does not know.
var ErrFormat = errors.New("report: unknown format (html, md or csv)")

// Render renders r in format ("html", "md" or "csv"). It has the signature
// of workflow.ReportRenderer.
func Render(r *workflow.AnnualReport, format string) ([]byte, error) {
	if r == nil {
		return nil, errors.New("report: no report")
	}
	l := labelsFor(r.Language)
	switch strings.ToLower(format) {
	case "html":
		return renderHTML(r, l)
	case "md", "markdown":
		return []byte(renderMarkdown(r, l)), nil
	case "csv":
		return renderCSV(r)
	}
	return nil, fmt.Errorf("%w: %q", ErrFormat, format)
}

// Filename is a sensible file name for r in format, e.g.
// klachtenverslag-2026.html or complaints-report-2026-de-rups.csv.
func Filename(r *workflow.AnnualReport, format string) string {
	name := labelsFor(r.Language)["file"] + "-" + fmt.Sprint(r.Year)
	if r.Location != "" {
		var b strings.Builder
		for _, c := range strings.ToLower(r.Location) {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				b.WriteRune(c)
			default:
				if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
					b.WriteByte('-')
				}
			}
		}
		if s := strings.Trim(b.String(), "-"); s != "" {
			name += "-" + s
		}
	}
	if format == "markdown" {
		format = "md"
	}
	return name + "." + format
}
