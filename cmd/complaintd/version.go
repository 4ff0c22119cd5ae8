package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by the Makefile with -ldflags "-X main.…=…" from git; empty otherwise.
// They stand in for the build information the toolchain leaves out: Go
// stamps vcs.revision only in a checkout whose .git is a directory, not in
// a git worktree, and not at all under GOFLAGS=-buildvcs=false.
var (
	releaseVersion string // git describe --tags --always --dirty
	releaseCommit  string // git rev-parse HEAD
	releaseTime    string // commit time, RFC 3339 UTC
)

// buildVersion is what the binary knows about itself: the module version
// (v1.2.3 when built with go install …@v1.2.3, "(devel)" from a checkout),
// the VCS revision and commit time when built from a git checkout with
// -buildvcs=true, and the Go release that compiled it.
type buildVersion struct {
	Version  string
	Revision string
	Time     string
	Modified bool
	Go       string
}

// readVersion reads the build information embedded by the Go toolchain.
func readVersion() buildVersion {
	v := buildVersion{Version: "(devel)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if releaseVersion != "" && (v.Version == "(devel)" || v.Version == "") {
		v.Version = releaseVersion
		v.Modified = v.Modified || strings.HasSuffix(releaseVersion, "-dirty")
	}
	if v.Revision == "" {
		v.Revision, v.Time = releaseCommit, releaseTime
	}
	return v
}

// String is the one line `complaintd version` prints.
func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "complaintd %s", v.Version)
	if v.Revision != "" {
		fmt.Fprintf(&b, " (revision %s", v.Revision)
		if v.Modified {
			b.WriteString(", modified")
		}
		if v.Time != "" {
			fmt.Fprintf(&b, ", committed %s", v.Time)
		}
		b.WriteString(")")
	} else {
		b.WriteString(" (no VCS revision: build with make build or go build -buildvcs=true)")
	}
	fmt.Fprintf(&b, " %s %s/%s", v.Go, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// logAttrs are the version's fields for the start-up log line.
func (v buildVersion) logAttrs() []any {
	return []any{"version", v.Version, "revision", v.Revision, "vcs_time", v.Time, "modified", v.Modified, "go", v.Go}
}

func cmdVersion(stdout io.Writer) error {
	fmt.Fprintln(stdout, readVersion())
	return nil
}
