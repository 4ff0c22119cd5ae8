package workflow

import (
	"testing"
	"time"
)

// A manager's token and a participant's are signed apart: neither can pass
// for the other, and a manager's names only their own address.
func TestManagerTokensAreNotParticipantTokens(t *testing.T) {
	tk, err := newTokens([][]byte{[]byte("a test secret of enough length")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 7, 30, 0, 0, time.UTC)
	m := tk.managerToken(0, "Directie@Vlinder.example", now)
	if _, err := tk.read(m, now); err == nil {
		t.Errorf("a manager's token reads as a participant's")
	}
	got, err := tk.verify(labelManager, m, now)
	if err != nil || got.ParticipantID != managerKey("directie@vlinder.example") || got.ParticipantID == managerKey("ilse.kramer@vlinder.example") {
		t.Errorf("the manager's token reads as %+v, %v", got, err)
	}
	p := tk.make(7, managerKey("directie@vlinder.example"), now)
	if _, err := tk.verify(labelManager, p, now); err == nil {
		t.Errorf("a participant's token passes for a manager's")
	}
	if !tk.isOurToken(m, now) {
		t.Errorf("a manager's token is not recognised as ours (a digest coming back would be answered)")
	}
}

// What of a handler's files goes to the parent: in order, within the
// limit; never programs, scripts (whatever their name) or forwarded mail.
func TestPassOnChoosesTheFilesForTheParent(t *testing.T) {
	w := &Workflow{set: Settings{AttachLimit: 1000}}
	files := []File{
		{Name: "verslag.pdf", ContentType: "application/pdf", Data: make([]byte, 600)},
		{Name: "foto.jpg", ContentType: "image/jpeg", Data: make([]byte, 500)}, // 1100 with the first: over
		{Name: "brief.docx", ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Data: make([]byte, 300)},
		{Name: "factuur.pdf", ContentType: "application/pdf", Data: append([]byte("MZ"), make([]byte, 10)...)}, // a program named .pdf
		{Name: "script.JS", ContentType: "text/plain", Data: []byte("x")},
		{Name: "doorgestuurd.eml", ContentType: "message/rfc822", Data: []byte("From: x")},
		{Name: "leeg.txt", ContentType: "text/plain"},
	}
	pass, notes := w.passOn(files)
	var names []string
	for _, f := range pass {
		names = append(names, f.Name)
	}
	if len(pass) != 2 || pass[0].Name != "verslag.pdf" || pass[1].Name != "brief.docx" {
		t.Errorf("passed on %v, want verslag.pdf and brief.docx", names)
	}
	want := []string{"", FileTooLarge, "", FileRefused, FileRefused, FileForwardedMail, FileEmpty}
	for i, n := range notes {
		if n.Why != want[i] {
			t.Errorf("%s: %q, want %q", n.Name, n.Why, want[i])
		}
	}
	w.set.AttachLimit = -1
	if pass, notes := w.passOn(files[:1]); len(pass) != 0 || notes[0].Why != FilesOff {
		t.Errorf("with attaching off, %d files passed (%v)", len(pass), notes)
	}
}
