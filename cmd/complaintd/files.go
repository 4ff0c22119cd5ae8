package main

import (
	"net/textproto"

	"github.com/complaintd/complaintd/mailbox"
	"github.com/complaintd/complaintd/workflow"
)

// composeFiles and readFiles connect the workflow's attached files (a
// handler's attachments passed on to the parent, a manager's case file)
// to mailbox, which writes and reads them.
func composeFiles(h textproto.MIMEHeader, text, html string, original []byte, files []workflow.File) ([]byte, error) {
	as := make([]mailbox.Attachment, len(files))
	for i, f := range files {
		as[i] = mailbox.Attachment(f)
	}
	return mailbox.ComposeFiles(h, text, html, original, as)
}

func readFiles(raw []byte) ([]workflow.File, error) {
	as, err := mailbox.Attachments(raw)
	if err != nil {
		return nil, err
	}
	fs := make([]workflow.File, len(as))
	for i, a := range as {
		fs[i] = workflow.File(a)
	}
	return fs, nil
}
