package workflow_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// chromium is Debian's browser, which renders the report the way a manager's
// browser prints it. CI installs it (.ci/run) and sets
// COMPLAINTD_REQUIRE_POSTGRES=1, under which a missing browser fails the
// test instead of skipping it.
const chromium = "/usr/bin/chromium"

// screenshot renders the HTML report in headless Chromium and keeps the
// page and its PNG as test artefacts: in the directory COMPLAINTD_ARTEFACTS
// names (CI sets ci-report/artefacts, which it keeps), else in the test's
// artefact directory (go test -artifacts keeps it). The log names the path.
// The picture must be a real rendering: it decodes, has the window's size,
// is not one colour, and shows the charts (the SVG bars' colour is in it).
func screenshot(t *testing.T, html []byte) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("COMPLAINTD_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("%s is missing: CI must install Debian's chromium to render the report (%v)", chromium, err)
		}
		t.Skipf("%s is not installed: the report's rendering is not checked here", chromium)
	}
	dir := os.Getenv("COMPLAINTD_ARTEFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "klachtenverslag-2026.html")
	shot := filepath.Join(dir, "klachtenverslag-2026.png")
	os.Remove(shot) // never an earlier run's picture
	if err := os.WriteFile(page, html, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--window-size=1000,2600", "--screenshot="+shot, "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out.String())
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v\n%s", err, out.String())
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1000 || b.Dy() != 2600 {
		t.Errorf("the screenshot is %dx%d, want the window's 1000x2600", b.Dx(), b.Dy())
	}
	// The bars are #2f6f8f; plain text and tables never are. Text makes
	// dark pixels on the white page.
	bars, dark, colours := 0, 0, map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if len(colours) < 64 {
				colours[[3]uint32{r, g, bl}] = true
			}
			if r == 0x2f && g == 0x6f && bl == 0x8f {
				bars++
			}
			if r+g+bl < 200 {
				dark++
			}
		}
	}
	if len(colours) < 3 {
		t.Errorf("the screenshot is (nearly) one colour: %d colours", len(colours))
	}
	if bars < 200 {
		t.Errorf("the screenshot shows no chart (%d bar pixels)", bars)
	}
	if dark < 2000 {
		t.Errorf("the screenshot shows hardly any text (%d dark pixels)", dark)
	}
	t.Logf("the report as Chromium renders it: %s (kept with go test -artifacts)", shot)
}
