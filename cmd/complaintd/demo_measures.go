package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// demoMeasures are the two measures of Anna's judgment on the third
// complaint, as she writes them with #maatregel and, later, #uitgevoerd.
var demoMeasures = [2]struct{ what, done string }{
	{"Het te veel betaalde bedrag wordt teruggestort en de incasso wordt stopgezet.",
		"Het bedrag is vandaag teruggestort; de incasso is stopgezet."},
	{"Opzeggingen worden voortaan binnen twee werkdagen in de administratie verwerkt en bevestigd.",
		"Sinds deze week bevestigen we elke opzegging binnen twee werkdagen per e-mail."},
}

// demoMeasuresDone lets Anna mark the measures of ref done one at a time
// with #uitgevoerd (issue 11). After the first, the parent hears that
// measure is done and which one is still open; after the last, the case
// closes itself and the parent gets the closing letter. Each step brings
// three emails: to the parent, Anna's result, and the other handler's
// notification. It returns the number of emails sent by then.
func demoMeasuresDone(ctx context.Context, imapSrv *mailtest.IMAPServer, smtpSrv *mailtest.SMTPServer, stdout io.Writer, ref string, want int) (int, error) {
	says := [2]string{
		"delivered Anna's #uitgevoerd: one measure of the third complaint is done; the other is still open",
		"delivered Anna's #uitgevoerd for the last measure: the third complaint closes itself",
	}
	for i, m := range demoMeasures {
		raw, err := demoHandlerReply(smtpSrv.Messages(), "anna.devries@vlinder.example", ref,
			"#uitgevoerd "+m.what+"\r\n\r\n"+m.done)
		if err != nil {
			return want, err
		}
		if _, err := imapSrv.Deliver("INBOX", raw, time.Now()); err != nil {
			return want, fmt.Errorf("demo: deliver measure done: %w", err)
		}
		fmt.Fprintln(stdout, says[i])
		want += 3
		if err := waitForMail(ctx, smtpSrv, want); err != nil {
			return want, err
		}
	}
	return want, nil
}
