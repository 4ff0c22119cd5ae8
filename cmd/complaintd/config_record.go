package main

import (
	"fmt"
	"strings"
)

// ReportConfig is the [report] section: what the record for the annual
// complaints report offers handlers (issue 13).
type ReportConfig struct {
	// Categories a handler gives a case with #categorie; the report counts
	// complaints by them. Default: the sector's usual kinds.
	Categories []string `toml:"categories"`
}

// recordProblems checks [report]: every category is named once.
func (c *Config) recordProblems() []error {
	var errs []error
	seen := map[string]bool{}
	for i, cat := range c.Report.Categories {
		name := strings.ToLower(strings.Join(strings.Fields(cat), " "))
		switch {
		case name == "":
			errs = append(errs, fmt.Errorf("report.categories[%d]: is empty; give each category a name", i))
		case strings.HasPrefix(name, "#"):
			errs = append(errs, fmt.Errorf("report.categories[%d]: %q must not start with #", i, cat))
		case seen[name]:
			errs = append(errs, fmt.Errorf("report.categories[%d]: %q is listed twice", i, cat))
		}
		seen[name] = true
	}
	if c.Trust.JudgmentApproval && len(c.Handlers) < 2 {
		errs = append(errs, fmt.Errorf("trust.judgment_approval: needs at least two [[handlers]]: a judgment waits for #akkoord of a handler other than its author"))
	}
	if len(c.Report.Categories) == 0 {
		errs = append(errs, fmt.Errorf("report.categories: is empty; leave the key out for the default list, or name at least one category"))
	}
	return errs
}
