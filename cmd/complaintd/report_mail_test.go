package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/complaintd/complaintd/store/storetest"
)

// `report -year 2026 -mail` sends every manager, now, what the 1 May
// reminder sends: the report attached, anonymised, due at the GGD before
// 1 June 2027, answerable with #verslag-verzonden. A year without
// complaints mails nothing; -mail with -location is a usage error.
func TestReportMailSendsTheRemindersNow(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, url string) {
		h := newHarnessWith(t, url, func(c *Config) {
			c.Report.RegulationSummary, c.Report.HowParentsInformed = "Klachten worden binnen zes weken schriftelijk beoordeeld.",
				"Bij de intake en op de website."
		})
		config := writeHarnessConfig(t, h.cfg)
		h.deliver(complaintFromSanne())
		h.poll()
		h.flush()
		h.c.close() // the command holds the SQLite file and sends itself

		if _, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026", "-mail", "-location", "KDV De Rups"); !errors.Is(err, errUsage) {
			t.Errorf("-mail with -location: %v, want a usage error", err)
		}
		if _, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2021", "-mail"); err == nil || !strings.Contains(err.Error(), "no report for 2021") {
			t.Errorf("-mail for a year without complaints: %v", err)
		}
		out, _, err := run(t, h.ctx, "report", "-config", config, "-year", "2026", "-mail")
		if err != nil {
			t.Fatalf("report -mail: %v\n%s", err, out)
		}
		for _, m := range []string{"Ilse Kramer <ilse.kramer@vlinder.example>", "Directie De Vlinder <directie@vlinder.example>"} {
			if !strings.Contains(out, "annual complaints report 2026 for "+m+": sent") {
				t.Errorf("report -mail does not say it sent to %s:\n%s", m, out)
			}
		}
		for _, to := range []string{"ilse.kramer@vlinder.example", "directie@vlinder.example"} {
			var got []sentMail
			for _, m := range h.sentTo(to) {
				if strings.HasPrefix(m.msg.Subject(), "Klachtenverslag 2026") {
					got = append(got, m)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%s got %d report mails, want 1", to, len(got))
			}
			if !strings.Contains(got[0].msg.Subject(), "vóór 1 juni 2027") || !strings.Contains(got[0].text, "#verslag-verzonden") {
				t.Errorf("the report mail does not say when and how to confirm:\n%s\n%s", got[0].msg.Subject(), got[0].text)
			}
			name, html := attachmentOf(t, got[0].raw)
			if name != "klachtenverslag-2026.html" || !bytes.Contains(html, []byte("Klachtenverslag 2026")) {
				t.Errorf("attachment %q is not the report:\n%.400s", name, html)
			}
			for _, secret := range []string{"Sanne", "sanne.jansen", "KL-2026-0001", "Noah"} {
				if bytes.Contains(html, []byte(secret)) {
					t.Errorf("the attached report shows %q", secret)
				}
			}
		}
	})
}
