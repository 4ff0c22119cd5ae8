package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/complaintd/complaintd/workflow"
)

// printRecord shows what `cases show` adds for the record the law asks for
// (issue 13): verdict, categories, who the complaint is about, external
// escalations, the line for the annual report and a judgment waiting for
// #akkoord. Everything a handler or parent wrote is shown, never acted on.
func printRecord(w io.Writer, c workflow.Case, rec workflow.CaseRecord) {
	if c.Verdict != "" {
		fmt.Fprintf(w, "  verdict:       %s\n", oneLine(c.Verdict))
	}
	if len(rec.Categories) > 0 {
		fmt.Fprintf(w, "  categories:    %s\n", oneLine(strings.Join(rec.Categories, ", ")))
	}
	for _, cn := range rec.Concerns {
		who := cn.Name
		if cn.Email != "" {
			who += " <" + cn.Email + "> (handler: may not be assigned or judge)"
		}
		fmt.Fprintf(w, "  concerns:      %s\n", oneLine(who))
	}
	for _, e := range rec.Escalations {
		line := e.Body + " since " + e.FiledOn
		if e.Reference != "" {
			line += ", case number " + e.Reference
		}
		if e.Outcome != "" {
			line += ", outcome " + e.Outcome + " on " + e.OutcomeOn
		} else {
			line += ", open"
		}
		if e.Note != "" {
			line += ": " + e.Note
		}
		fmt.Fprintf(w, "  escalation:    %s\n", oneLine(line))
	}
	if c.ReportLine != "" {
		fmt.Fprintf(w, "  report line:   %s\n", oneLine(c.ReportLine))
	}
	if pj := rec.Pending; pj != nil {
		fmt.Fprintf(w, "  judgment WAITING for #akkoord of a second handler: %s by %s, not sent to the complainant\n",
			oneLine(pj.Verdict), oneLine(pj.Author))
		if pj.NoMeasures {
			fmt.Fprintln(w, "        no measures")
		}
		for _, m := range strings.Split(pj.Measures, "\n") {
			if m != "" {
				fmt.Fprintln(w, "        measure "+printable(m))
			}
		}
		for _, l := range strings.Split(strings.TrimRight(pj.Body, "\n"), "\n") {
			fmt.Fprintln(w, "        | "+printable(l))
		}
	}
}
