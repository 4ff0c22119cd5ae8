package main

import (
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// The access log (R13): every command that shows a case's content, in a
// list or alone, records who ran it and when, and cases show prints it for
// that case. A command that showed nothing of the case is not in its log.
func TestEveryCommandShowingACaseIsInItsAccessLog(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarness(t, url)
		config := writeHarnessConfig(t, h.cfg)
		confirmationOf(t, h)
		var ledgerID int64
		if err := h.c.db.Get(h.ctx, &ledgerID, `SELECT MIN(ledger_id) FROM messages`); err != nil {
			t.Fatal(err)
		}
		commands := map[string][]string{
			"cases list":      {"cases", "list"},
			"outbox list":     {"outbox", "list"},
			"quarantine show": {"quarantine", "show", itoa(ledgerID)},
			"digest":          {"digest", "-at", "2026-11-20T07:30"},
			"due":             {"due", "-at", "2026-12-18T09:00"},
			"privacy export":  {"privacy", "export", "-email", "sanne.jansen@example.nl", "-o", t.TempDir()},
		}
		for name, args := range commands {
			out, _, err := run(t, h.ctx, append(args, "-config", config)...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !strings.Contains(out, "KL-2026-0001") && !strings.Contains(out, ": 1 case(s)") && !strings.Contains(out, "From: Sanne Jansen") {
				t.Fatalf("%s does not show the case, so it proves nothing here:\n%s", name, out)
			}
		}
		// Shows nothing of any case: not logged against it.
		if _, _, err := run(t, h.ctx, "privacy", "requests", "-config", config); err != nil {
			t.Fatal(err)
		}
		out, _, err := run(t, h.ctx, "cases", "show", "-config", config, "KL-2026-0001")
		if err != nil {
			t.Fatal(err)
		}
		log := out[strings.Index(out, "access log"):]
		user := osUser(func(string) string { return "" })
		for name := range commands {
			found := false
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, name) && strings.Contains(line, user) && strings.Contains(line, "20") {
					found = true
				}
			}
			if !found {
				t.Errorf("the access log lacks %q by %s:\n%s", name, user, log)
			}
		}
		if !strings.Contains(log, "cases show") {
			t.Errorf("the access log lacks this showing itself:\n%s", log)
		}
		if strings.Contains(log, "privacy requests") {
			t.Errorf("a command that showed nothing of the case is in its log:\n%s", log)
		}
	})
}
