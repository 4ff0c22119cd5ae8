package workflow

import "net/textproto"

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

// FileComposer is Composer for a message with one file attached.
// mailbox.ComposeFile is one.
type FileComposer func(h textproto.MIMEHeader, text, html, name, contentType string, data []byte) ([]byte, error)

// attachment is a file attached to an outgoing message.
type attachment struct {
	name, contentType string
	data              []byte
}

// composeDraft composes a draft's final bytes: with its file when it has
// one and a file composer was given, else as usual.
func (w *Workflow) composeDraft(d draft, h textproto.MIMEHeader, text, html string) ([]byte, error) {
	if d.file != nil && w.composeFile != nil {
		return w.composeFile(h, text, html, d.file.name, d.file.contentType, d.file.data)
	}
	return w.compose(h, text, html, d.original)
}
