package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"

	"github.com/complaintd/complaintd/workflow"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Option("missingkey=error").Parse(htmlSource))

// view is the report as the templates show it: labels applied, dates
// written out, charts drawn.
type view struct {
	Lang, Subtitle, Made, Missing string
	L                             labels
	R                             *workflow.AnnualReport
	Regulation, Informed          []string // paragraphs
	MonthChart, CategoryChart     template.HTML
	Categories                    []workflow.CategoryCount
	Locations                     []locationView
	Escalations                   []escalationView
}

type locationView struct {
	workflow.LocationReport
	Categories []workflow.CategoryCount
	Measures   []measureView
}

type measureView struct{ Categories, Due, Done string }

type escalationView struct {
	Name string
	workflow.EscalationCount
}

func newView(r *workflow.AnnualReport, l labels) view {
	v := view{Lang: "nl", L: l, R: r, Subtitle: l.subtitle(r.Year), Made: l.date(r.Made),
		Regulation: paragraphs(r.Regulation), Informed: paragraphs(r.Informed)}
	if r.Language == "en" {
		v.Lang = "en"
	}
	if len(r.Missing) > 0 {
		v.Missing = l.missing(r.Missing)
	}
	v.Categories = namedCategories(r.Categories, l)
	var names []string
	var counts []int
	for _, c := range v.Categories {
		names, counts = append(names, c.Name), append(counts, c.Count)
	}
	v.MonthChart = template.HTML(columnChart(l["month_chart"], l.months(), r.ByMonth[:]))
	v.CategoryChart = template.HTML(barChart(l["category_chart"], names, counts))
	for _, lr := range r.Locations {
		lv := locationView{LocationReport: lr, Categories: namedCategories(lr.Categories, l)}
		lv.Name = l.location(lr.Name)
		for _, m := range lr.Measures {
			mv := measureView{Categories: strings.Join(m.Categories, ", "), Due: l.day(m.Due), Done: l.day(m.Done)}
			if mv.Categories == "" {
				mv.Categories = l["other_categories"]
			}
			if m.Done == "" {
				mv.Done = l["not_done"]
			}
			lv.Measures = append(lv.Measures, mv)
		}
		v.Locations = append(v.Locations, lv)
	}
	v.Escalations = []escalationView{{l["klachtenloket"], r.Klachtenloket}, {l["gck"], r.Geschillencommissie}}
	return v
}

func namedCategories(cs []workflow.CategoryCount, l labels) []workflow.CategoryCount {
	out := make([]workflow.CategoryCount, len(cs))
	for i, c := range cs {
		c.Name = l.category(c.Name)
		out[i] = c
	}
	return out
}

// paragraphs splits configured text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func renderHTML(r *workflow.AnnualReport, l labels) ([]byte, error) {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, newView(r, l)); err != nil {
		return nil, fmt.Errorf("report: html: %w", err)
	}
	return b.Bytes(), nil
}
