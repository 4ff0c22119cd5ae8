package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/complaintd/complaintd/workflow"
)

// exportFile is the JSON copy of a person's data (AVG art. 15). Each entry
// that names other people lists them under "review": they are to be
// checked, and blacked out where needed, before the copy is handed over
// (art. 15(4)).
type exportFile struct {
	Person      string       `json:"person"`
	Request     int64        `json:"request"`
	ReceivedOn  string       `json:"request_received_on"`
	AnswerDueOn string       `json:"answer_due_on"`
	Generated   time.Time    `json:"generated_at"`
	Notice      string       `json:"notice"`
	Review      []string     `json:"review"`
	Cases       []exportCase `json:"cases"`
	// Quarantined are ledger entries set aside, in no case, whose header
	// names the person: to be looked at (complaintd quarantine show ID).
	Quarantined []int64 `json:"quarantined_messages,omitempty"`
}

type exportCase struct {
	Reference     string          `json:"reference"`
	Role          string          `json:"role"`
	Status        string          `json:"status"`
	Kind          string          `json:"kind"`
	Committee     string          `json:"committee,omitempty"`
	Complainant   string          `json:"complainant"`
	Email         string          `json:"complainant_email"`
	Subject       string          `json:"subject"`
	Location      string          `json:"location,omitempty"`
	ReceivedAt    time.Time       `json:"received_at"`
	JudgmentDueBy string          `json:"judgment_due_by"`
	DecidedAt     *time.Time      `json:"decided_at,omitempty"`
	ClosedAt      *time.Time      `json:"closed_at,omitempty"`
	Messages      []exportMessage `json:"messages"`
	Timeline      []exportEvent   `json:"timeline"`
	Measures      []exportMeasure `json:"measures"`
	Review        []string        `json:"review,omitempty"`
}

type exportMessage struct {
	At          time.Time `json:"at"`
	Direction   string    `json:"direction"`
	Kind        string    `json:"kind"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Subject     string    `json:"subject"`
	Text        string    `json:"text"`
	Attachments []string  `json:"attachments,omitempty"`
	RawCopy     string    `json:"raw_copy,omitempty"`
	Review      []string  `json:"review,omitempty"`
}

type exportEvent struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Text   string    `json:"text,omitempty"`
	Review []string  `json:"review,omitempty"`
}

type exportMeasure struct {
	Description string     `json:"description"`
	DueDate     string     `json:"due_date"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
	Review      []string   `json:"review,omitempty"`
}

const exportNotice = "A copy of the personal data held about the person named above (AVG/GDPR art. 15). " +
	"Before it is handed over, review every entry marked for review: it names other people (staff, other parents), " +
	"whose rights and freedoms the copy must not harm (art. 15(4)). Also read the free text for names of children and others " +
	"that could not be recognised automatically."

// buildExport turns a person's data into the JSON structure, with the
// other people found in each entry.
func buildExport(req workflow.PrivacyRequest, pd workflow.PersonalData, loc *time.Location) exportFile {
	others := func(texts ...string) []string {
		var found []string
		for _, o := range pd.Others {
			for _, t := range texts {
				if strings.Contains(strings.ToLower(t), strings.ToLower(o)) {
					found = append(found, o)
					break
				}
			}
		}
		return found
	}
	f := exportFile{Person: pd.Email, Request: req.ID, ReceivedOn: req.ReceivedOn, AnswerDueOn: req.DueOn,
		Generated: pd.Generated, Notice: exportNotice, Review: pd.Others, Cases: []exportCase{}, Quarantined: pd.Quarantined}
	for _, cd := range pd.Cases {
		c := cd.Case
		ec := exportCase{Reference: c.Reference, Role: cd.Role, Status: c.Status, Kind: c.Kind, Committee: c.Committee,
			Complainant: c.ComplainantName, Email: c.ComplainantEmail, Subject: c.Subject, Location: c.Location,
			ReceivedAt: c.ReceivedAt, JudgmentDueBy: workflow.LastDay(c.DeadlineAt, loc).Format(time.DateOnly),
			Messages: []exportMessage{}, Timeline: []exportEvent{}, Measures: []exportMeasure{}}
		if c.DecidedAt.Valid {
			ec.DecidedAt = &c.DecidedAt.Time
		}
		if c.ClosedAt.Valid {
			ec.ClosedAt = &c.ClosedAt.Time
		}
		ec.Review = others(c.ComplainantName, c.ComplainantEmail, c.Subject, c.Assignee)
		for _, m := range cd.Messages {
			text := m.FullText
			if text == "" {
				text = m.NewText
			}
			em := exportMessage{At: m.CreatedAt, Direction: m.Direction, Kind: m.Kind, From: m.FromAddr, To: m.ToAddr,
				Subject: m.Subject, Text: text}
			if m.Attachments != "" {
				em.Attachments = strings.Split(m.Attachments, "\n")
			}
			if m.LedgerID.Valid {
				em.RawCopy = fmt.Sprintf("the original message with its attachments: ledger entry %d (complaintd quarantine show -raw FILE %d)",
					m.LedgerID.Int64, m.LedgerID.Int64)
			}
			em.Review = others(m.FromAddr, m.ToAddr, m.Subject, text, m.Attachments)
			ec.Messages = append(ec.Messages, em)
		}
		for _, e := range cd.Timeline {
			if e.Kind == workflow.DirIn || e.Kind == workflow.DirOut {
				continue // the messages are listed whole above
			}
			ec.Timeline = append(ec.Timeline, exportEvent{At: e.At, Kind: e.Kind, Actor: e.Actor, Detail: e.Detail, Text: e.Text,
				Review: others(e.Actor, e.Detail, e.Text)})
		}
		for _, m := range cd.Measures {
			em := exportMeasure{Description: m.Description, DueDate: m.DueDate, Review: others(m.Description)}
			if m.DoneAt.Valid {
				em.DoneAt = &m.DoneAt.Time
			}
			ec.Measures = append(ec.Measures, em)
		}
		f.Cases = append(f.Cases, ec)
	}
	return f
}

// writeExport writes the HTML and JSON copies into dir, each readable by
// its owner only (they hold a complaint file), never over an existing file.
func writeExport(dir string, req workflow.PrivacyRequest, pd workflow.PersonalData, set workflow.Settings) ([]string, error) {
	f := buildExport(req, pd, set.Organisation.Location)
	js, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var page bytes.Buffer
	if err := exportPage.Execute(&page, exportView{exportFile: f, Org: set.Organisation.Name, others: pd.Others,
		loc: set.Organisation.Location}); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	base := filepath.Join(dir, fmt.Sprintf("privacy-request-%d", req.ID))
	var written []string
	for _, out := range []struct {
		ext  string
		data []byte
	}{{".html", page.Bytes()}, {".json", append(js, '\n')}} {
		if err := writeNewPrivate(base+out.ext, out.data); err != nil {
			return written, err
		}
		written = append(written, base+out.ext)
	}
	return written, nil
}

// writeNewPrivate writes a new file only its owner can read.
func writeNewPrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// exportView is what the HTML page shows.
type exportView struct {
	exportFile
	Org    string
	others []string
	loc    *time.Location
}

// Mark escapes text and marks each occurrence of another person's name or
// address in it, for the reviewer.
func (v exportView) Mark(text string) template.HTML {
	var b strings.Builder
	for i := 0; i < len(text); {
		hit := 0
		for _, o := range v.others {
			if i+len(o) <= len(text) && strings.EqualFold(text[i:i+len(o)], o) {
				hit = len(o)
				break
			}
		}
		if hit > 0 {
			b.WriteString(`<mark title="another person: review before handing over">` + template.HTMLEscapeString(text[i:i+hit]) + `</mark>`)
			i += hit
			continue
		}
		j := i + 1
		for j < len(text) && text[j]&0xC0 == 0x80 { // whole UTF-8 sequences
			j++
		}
		b.WriteString(template.HTMLEscapeString(text[i:j]))
		i = j
	}
	return template.HTML(b.String())
}

// When formats a moment in the organisation's zone.
func (v exportView) When(t time.Time) string { return t.In(v.loc).Format("2006-01-02 15:04") }

var exportPage = template.Must(template.New("export").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Personal data of {{.Person}} — request {{.Request}}</title>
<style>
body{font-family:Arial,sans-serif;font-size:14px;line-height:1.5;max-width:60em;margin:2em auto}
mark{background:#ffe08a;outline:1px solid #c90}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em;border:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}
.review{border:2px solid #c90;padding:.5em 1em;background:#fff8e1}
</style></head><body>
<h1>Personal data held by {{.Org}}</h1>
<p>About: <strong>{{.Person}}</strong><br>Request {{.Request}}, received {{.ReceivedOn}}; answer due by {{.AnswerDueOn}}.<br>Made {{.When .Generated}}.</p>
<div class="review"><p><strong>Review before handing over.</strong> {{.Notice}}</p>
{{with .Review}}<p>Marked in this copy:</p><ul>{{range .}}<li><mark>{{.}}</mark></li>{{end}}</ul>{{end}}</div>
{{if not .Cases}}<p>No complaint file holds data of this address.</p>{{end}}
{{with .Quarantined}}<p class="review">Messages set aside in the quarantine name this address in their header and belong to no complaint: ledger entries {{range $i, $id := .}}{{if $i}}, {{end}}{{$id}}{{end}}. Look at them (<code>complaintd quarantine show ID</code>) and add what is this person's.</p>{{end}}
{{range .Cases}}<h2>Complaint {{.Reference}}</h2>
<table>
<tr><th>Role of the person</th><td>{{.Role}}</td></tr>
<tr><th>Status</th><td>{{.Status}}</td></tr>
<tr><th>Complainant</th><td>{{$.Mark .Complainant}} &lt;{{$.Mark .Email}}&gt;{{if .Committee}} for {{$.Mark .Committee}}{{end}}</td></tr>
<tr><th>Subject</th><td>{{$.Mark .Subject}}</td></tr>
{{if .Location}}<tr><th>Location</th><td>{{.Location}}</td></tr>{{end}}
<tr><th>Received</th><td>{{$.When .ReceivedAt}}</td></tr>
<tr><th>Judgment due by</th><td>{{.JudgmentDueBy}}</td></tr>
{{with .DecidedAt}}<tr><th>Judged</th><td>{{$.When .}}</td></tr>{{end}}
{{with .ClosedAt}}<tr><th>Closed</th><td>{{$.When .}}</td></tr>{{end}}
</table>
<h3>Messages</h3>
{{range .Messages}}<h4>{{$.When .At}} — {{if eq .Direction "in"}}received{{else}}sent{{end}} ({{.Kind}})</h4>
<p>From: {{$.Mark .From}}<br>To: {{$.Mark .To}}<br>Subject: {{$.Mark .Subject}}{{with .Attachments}}<br>Attachments: {{range $i, $a := .}}{{if $i}}, {{end}}{{$.Mark $a}}{{end}}{{end}}</p>
<pre>{{$.Mark .Text}}</pre>{{with .RawCopy}}<p><small>{{.}}</small></p>{{end}}
{{else}}<p>None.</p>{{end}}
<h3>Timeline</h3>
<table><tr><th>When</th><th>What</th><th>Who</th><th>Detail</th></tr>
{{range .Timeline}}<tr><td>{{$.When .At}}</td><td>{{.Kind}}</td><td>{{$.Mark .Actor}}</td><td>{{$.Mark .Detail}}{{with .Text}}<pre>{{$.Mark .}}</pre>{{end}}</td></tr>
{{end}}</table>
<h3>Measures</h3>
{{if .Measures}}<table><tr><th>Measure</th><th>Due by</th><th>Done</th></tr>
{{range .Measures}}<tr><td>{{$.Mark .Description}}</td><td>{{.DueDate}}</td><td>{{with .DoneAt}}{{$.When .}}{{else}}not yet{{end}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}
{{end}}
</body></html>
`))
