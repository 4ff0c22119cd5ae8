package report

import (
	"fmt"
	"strings"

	"github.com/complaintd/complaintd/workflow"
)

// renderMarkdown writes the report as Markdown, with the same sections and
// numbers as the HTML; the charts become tables.
func renderMarkdown(r *workflow.AnnualReport, l labels) string {
	v := newView(r, l)
	return markdownHead(r, l, v) + markdownRest(r, l, v)
}

// markdownHead is the title, parts a and b, and the counts and months of
// part c.
func markdownHead(r *workflow.AnnualReport, l labels, v view) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s %d\n\n**%s**\n\n%s\n\n", l["title"], r.Year, mdEscape(r.Organisation), mdEscape(v.Subtitle))
	if r.Location != "" {
		p("%s: %s\n\n", l["location"], mdEscape(r.Location))
	}
	p("%s %s\n\n", l["made"], v.Made)
	if v.Missing != "" {
		p("**%s**\n\n", mdEscape(v.Missing))
	}
	p("## %s\n\n", l["a"])
	for _, s := range v.Regulation {
		p("%s\n\n", mdEscape(s))
	}
	if r.ProcedureURL != "" {
		p("%s <%s>.\n\n", l["procedure"], strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20").Replace(r.ProcedureURL))
	}
	p("## %s\n\n", l["b"])
	for _, s := range v.Informed {
		p("%s\n\n", mdEscape(s))
	}
	p("## %s\n\n", l["c"])
	p("| %s | %d |\n| --- | ---: |\n| %s | %d |\n| %s | %d |\n\n", l["total"], r.Total, l["parents"], r.Parents, l["committees"], r.Committees)
	p("### %s\n\n| %s |\n|%s\n", l["month_chart"], strings.Join(l.months(), " | "), strings.Repeat(" ---: |", 12))
	counts := make([]string, 12)
	for i, n := range r.ByMonth {
		counts[i] = fmt.Sprint(n)
	}
	p("| %s |\n\n", strings.Join(counts, " | "))
	return b.String()
}

func markdownRest(r *workflow.AnnualReport, l labels, v view) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if len(v.Categories) > 0 {
		p("### %s\n\n| %s | %s | %s | %s | %s |\n| --- | ---: | ---: | ---: | ---: |\n",
			l["category_chart"], l["category"], l["count"], l["upheld"], l["partly"], l["not_upheld"])
		for _, c := range v.Categories {
			if c.Detailed {
				p("| %s | %d | %d | %d | %d |\n", mdEscape(c.Name), c.Count, c.Verdicts.Upheld, c.Verdicts.Partly, c.Verdicts.NotUpheld)
			} else {
				p("| %s | %d | %s | | |\n", mdEscape(c.Name), c.Count, l["small"])
			}
		}
		p("\n")
	}
	p("## %s\n\n", l["d"])
	for _, lv := range v.Locations {
		p("### %s\n\n", mdEscape(lv.Name))
		if !lv.Detailed {
			p("%s: %d (%s)\n\n", l["total"], lv.Total, l["small"])
			continue
		}
		p("| %s | %d |\n| --- | ---: |\n", l["total"], lv.Total)
		for _, kv := range []struct {
			k string
			n int
		}{
			{"parents", lv.Parents}, {"committees", lv.Committees}, {"judged", lv.Outcome.Judged},
			{"upheld", lv.Verdicts.Upheld}, {"partly", lv.Verdicts.Partly}, {"not_upheld", lv.Verdicts.NotUpheld},
			{"unrecorded", lv.Verdicts.Unrecorded}, {"within", lv.Outcome.WithinTerm}, {"past", lv.Outcome.PastTerm},
			{"withdrawn", lv.Outcome.Withdrawn}, {"open", lv.Outcome.Open}, {"with_measures", lv.Outcome.WithMeasures},
		} {
			if kv.k == "unrecorded" && kv.n == 0 {
				continue
			}
			p("| %s | %d |\n", l[kv.k], kv.n)
		}
		p("\n| %s | %s |\n| --- | ---: |\n", l["category"], l["count"])
		for _, c := range lv.Categories {
			p("| %s | %d |\n", mdEscape(c.Name), c.Count)
		}
		p("\n**%s**\n\n", l["measures"])
		if len(lv.Measures) == 0 {
			p("%s\n\n", l["no_measures"])
		} else {
			p("| %s | %s | %s |\n| --- | --- | --- |\n", l["category"], l["due"], l["done"])
			for _, m := range lv.Measures {
				p("| %s | %s | %s |\n", mdEscape(m.Categories), m.Due, m.Done)
			}
			p("\n")
		}
		if len(lv.ReportLines) > 0 {
			p("**%s**\n\n", l["lines"])
			for _, line := range lv.ReportLines {
				p("- %s\n", mdEscape(line))
			}
			p("\n")
		}
	}
	p("## %s\n\n| | %s | %s | %s | %s | %s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
		l["e"], l["contacts"], l["upheld"], l["not_upheld"], l["settled"], l["in_progress"])
	for _, e := range v.Escalations {
		p("| %s | %d | %d | %d | %d | %d |\n", e.Name, e.Total, e.Upheld, e.NotUpheld, e.Settled, e.InProgress)
	}
	p("\n---\n\n%s\n", l["anonymous"])
	return b.String()
}

// mdEscape keeps text as text in Markdown: no markup, no raw HTML, no table
// cell broken by a bar or a line break.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', '`', '*', '_', '[', ']', '(', ')', '#', '|', '!', '~', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
