package main

import (
	"fmt"
	"strings"

	"github.com/complaintd/complaintd/workflow"
)

// SafeguardingConfig is the [safeguarding] section: what makes a complaint
// a possible offence against a child (Wko art. 1.51b), and the contact
// blocks the managers' notice shows.
type SafeguardingConfig struct {
	// SignalWords flag a new complaint that contains one of them (whole
	// words, any case); [] turns the check off.
	SignalWords []string `toml:"signal_words"`
	// Contact blocks, shown as written: verify them before going live.
	Vertrouwensinspecteur string `toml:"vertrouwensinspecteur"`
	Police                string `toml:"police"`
	Meldcode              string `toml:"meldcode"`
}

// defaultSafeguarding is the section when the file leaves it out.
func defaultSafeguarding() SafeguardingConfig {
	return SafeguardingConfig{SignalWords: workflow.DefaultSignalWords()}
}

// problems names each signal word that cannot be matched.
func (s SafeguardingConfig) problems() []error {
	var errs []error
	for i, w := range s.SignalWords {
		if strings.TrimSpace(w) == "" {
			errs = append(errs, fmt.Errorf("safeguarding.signal_words[%d]: is empty; remove it, or write the word", i))
		}
	}
	return errs
}

// settings is the section as the workflow takes it.
func (s SafeguardingConfig) settings() workflow.Safeguarding {
	return workflow.Safeguarding{
		SignalWords: append([]string{}, s.SignalWords...), // never nil: [] means none
		Inspector:   s.Vertrouwensinspecteur, Police: s.Police, Meldcode: s.Meldcode,
	}
}
