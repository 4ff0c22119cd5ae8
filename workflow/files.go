package workflow

import (
	"bytes"
	"context"
	"fmt"
	"net/textproto"
	"path"
	"strings"
)

// File is one attached file: of a handler's message, passed on to the
// parent, or a case file made for a manager.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// FileComposer is a Composer that also attaches files after the body (and
// after original). mailbox.ComposeFiles is one (adapted by cmd/complaintd).
type FileComposer func(h textproto.MIMEHeader, text, html string, original []byte, files []File) ([]byte, error)

// FileReader reads the attached files of a raw message, in the order
// Mail.Attachment lists them. mailbox.Attachments is one (adapted).
type FileReader func(raw []byte) ([]File, error)

// FileNote is one file of a handler's message as the handler's command
// result lists it: passed on to the parent, or left out and why.
type FileNote struct {
	Name string
	Size string // "120 kB"
	// Why it was left out ("" when passed on): FileTooLarge, FileRefused,
	// FileForwardedMail, FileEmpty or FilesOff. The templates say it in
	// the handler's words.
	Why string
}

// Why a handler's file is not passed on to the parent.
const (
	FileTooLarge      = "too_large"      // over processing.attach_limit_mb, counting the files before it
	FileRefused       = "refused"        // a program or script: never sent in our name
	FileForwardedMail = "forwarded_mail" // an attached e-mail: it may carry colleagues' correspondence
	FileEmpty         = "empty"
	FilesOff          = "off" // processing.attach_limit_mb is negative: nothing is attached
)

// refusedExtensions are files that run code when opened: programs,
// scripts, installers, shortcuts, disk images and Office files with macros.
// Mail from a childcare organisation never needs them, and a parent must
// be able to open whatever comes in our name without risk.
var refusedExtensions = map[string]bool{
	"exe": true, "com": true, "bat": true, "cmd": true, "msi": true, "msp": true, "scr": true, "pif": true,
	"cpl": true, "dll": true, "sys": true, "js": true, "jse": true, "vbs": true, "vbe": true, "wsf": true,
	"wsh": true, "ps1": true, "psm1": true, "hta": true, "jar": true, "sh": true, "bash": true, "app": true,
	"apk": true, "lnk": true, "reg": true, "iso": true, "img": true, "vhd": true, "vhdx": true, "dmg": true,
	"docm": true, "xlsm": true, "pptm": true, "dotm": true, "xlam": true, "scf": true, "url": true, "inf": true,
}

// refusedTypes are media types of programs and scripts, whatever the name.
var refusedTypes = map[string]bool{
	"application/x-msdownload": true, "application/x-dosexec": true, "application/x-executable": true,
	"application/x-msdos-program": true, "application/x-ms-installer": true, "application/x-msi": true,
	"application/vnd.microsoft.portable-executable": true, "application/x-sh": true, "application/x-shellscript": true,
	"application/java-archive": true, "application/x-java-archive": true, "application/hta": true,
	"application/javascript": true, "text/javascript": true, "application/x-javascript": true,
	"application/x-apple-diskimage": true, "application/x-iso9660-image": true,
}

// fileRefused reports whether f is a program or script: by its name, its
// declared type, or its first bytes (a Windows or Linux program renamed
// to .pdf is still one).
func fileRefused(f File) bool {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(strings.TrimSpace(f.Name)), "."))
	return refusedExtensions[ext] || refusedTypes[strings.ToLower(f.ContentType)] ||
		bytes.HasPrefix(f.Data, []byte("MZ")) || bytes.HasPrefix(f.Data, []byte("\x7fELF")) ||
		bytes.HasPrefix(f.Data, []byte("#!"))
}

// passOn chooses which of a handler's files go to the parent: in the
// order attached, while all of them together stay within
// processing.attach_limit_mb; never programs, scripts or attached e-mails.
// The notes list every file, passed on or not.
func (w *Workflow) passOn(files []File) (pass []File, notes []FileNote) {
	var total int64
	for _, f := range files {
		n := FileNote{Name: f.Name, Size: humanSize(int64(len(f.Data)))}
		if n.Name == "" {
			n.Name = "(" + strings.ToLower(f.ContentType) + ")"
		}
		ct := strings.ToLower(f.ContentType)
		switch {
		case w.set.AttachLimit < 0:
			n.Why = FilesOff
		case len(f.Data) == 0:
			n.Why = FileEmpty
		case ct == "message/rfc822" || ct == "message/global" || strings.EqualFold(path.Ext(f.Name), ".eml"):
			n.Why = FileForwardedMail
		case fileRefused(f):
			n.Why = FileRefused
		case total+int64(len(f.Data)) > w.set.AttachLimit:
			n.Why = FileTooLarge
		default:
			total += int64(len(f.Data))
			pass = append(pass, f)
		}
		notes = append(notes, n)
	}
	return pass, notes
}

// handlerFiles reads the files of a handler's message from the ledger
// (the raw bytes kept there) and chooses what goes to the parent. A
// message without attachments costs nothing.
func (w *Workflow) handlerFiles(ctx context.Context, in Message) ([]File, []FileNote, error) {
	if in.Attachments == "" || !in.LedgerID.Valid {
		return nil, nil, nil
	}
	if w.readFiles == nil || w.composeFiles == nil {
		// A tool built without them (none that handles mail): nothing is
		// attached, and the handler is told so.
		var notes []FileNote
		for _, a := range strings.Split(in.Attachments, "\n") {
			notes = append(notes, FileNote{Name: a, Why: FilesOff})
		}
		return nil, notes, nil
	}
	var raw []byte
	if err := w.db.Get(ctx, &raw, `SELECT raw FROM ledger WHERE id = ?`, in.LedgerID.Int64); err != nil {
		return nil, nil, fmt.Errorf("workflow: attachments of ledger %d: %w", in.LedgerID.Int64, err)
	}
	files, err := w.readFiles(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("workflow: attachments of ledger %d: %w", in.LedgerID.Int64, err)
	}
	pass, notes := w.passOn(files)
	return pass, notes, nil
}
