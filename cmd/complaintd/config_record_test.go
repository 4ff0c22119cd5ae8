package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/workflow"
)

// [report] categories default to the sector's list and may be replaced;
// [trust] judgment_approval is off unless set, also from the environment.
func TestRecordConfiguration(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeConfig(t, goodConfig), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Report.Categories, workflow.DefaultCategories()) || cfg.Trust.JudgmentApproval {
		t.Errorf("defaults: categories %q, judgment_approval %v", cfg.Report.Categories, cfg.Trust.JudgmentApproval)
	}
	s := settings(cfg, nil)
	if len(s.Report.Categories) != 10 || s.Report.Categories[0] != "pedagogisch handelen" {
		t.Errorf("settings categories %q", s.Report.Categories)
	}
	two := goodConfig + "\n[[handlers]]\nname = \"Marco Bos\"\nemail = \"marco.bos@vlinder.example\"\n"
	cfg, err = loadConfig(writeConfig(t, two+"\n[report]\ncategories = [\"Opvang\", \"Geld\"]\n"),
		envMap(map[string]string{"COMPLAINTD_TRUST_JUDGMENT_APPROVAL": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	s = settings(cfg, nil)
	if !slices.Equal(s.Report.Categories, []string{"Opvang", "Geld"}) || !s.Trust.JudgmentApproval {
		t.Errorf("configured: categories %q, judgment_approval %v", s.Report.Categories, s.Trust.JudgmentApproval)
	}
}

func TestBadRecordConfigurationNamesTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"empty list", goodConfig + "\n[report]\ncategories = []\n", nil, "report.categories"},
		{"empty name", goodConfig + "\n[report]\ncategories = [\"voeding\", \" \"]\n", nil, "report.categories[1]"},
		{"twice", goodConfig + "\n[report]\ncategories = [\"voeding\", \"Voeding\"]\n", nil, "report.categories[1]"},
		{"typo", goodConfig + "\n[report]\ncategorie = [\"voeding\"]\n", nil, "report.categorie"},
		{"approval with one handler", goodConfig, map[string]string{"COMPLAINTD_TRUST_JUDGMENT_APPROVAL": "true"}, "trust.judgment_approval"},
		{"approval not a boolean", goodConfig, map[string]string{"COMPLAINTD_TRUST_JUDGMENT_APPROVAL": "ja"}, "trust.judgment_approval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, c.file), envMap(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v does not name %q", err, c.want)
			}
		})
	}
}
