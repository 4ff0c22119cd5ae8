package main

import (
	"context"
	"strings"
	"testing"
)

// lib/pq's default sslmode encrypts but accepts any certificate: a database
// elsewhere needs sslmode=verify-full, or an explicit allow_insecure.
func TestRemotePostgresNeedsVerifiedTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, allow string
		refused    bool
	}{
		{url: "postgres://complaintd@db.vlinder.example/klachten", refused: true},
		{url: "postgres://complaintd@db.vlinder.example/klachten?sslmode=require", refused: true},
		{url: "postgres://complaintd@db.vlinder.example/klachten?sslmode=verify-ca", refused: true},
		{url: "postgres://complaintd@10.0.0.5:5432/klachten?sslmode=disable", refused: true},
		{url: "postgres://complaintd@127.0.0.1/k?host=db.vlinder.example", refused: true}, // lib/pq: host= wins
		{url: "postgres://complaintd@db.vlinder.example/klachten?sslmode=verify-full"},
		{url: "postgres://complaintd@db.vlinder.example/klachten", allow: "true"},
		{url: "postgres://complaintd@localhost/klachten"},
		{url: "postgres://complaintd@127.0.0.1:5432/klachten?sslmode=disable"},
		{url: "postgres://complaintd@[::1]/klachten"},
		{url: "postgres:///klachten?host=/var/run/postgresql"},
		{url: "sqlite:complaintd.db"},
	} {
		env := envMap(map[string]string{"COMPLAINTD_DATABASE_URL": tc.url, "COMPLAINTD_DATABASE_ALLOW_INSECURE": tc.allow})
		_, err := loadConfig(writeConfig(t, goodConfig), env)
		switch {
		case tc.refused && (err == nil || !strings.Contains(err.Error(), "database.url") || !strings.Contains(err.Error(), "database.allow_insecure")):
			t.Errorf("%s: %v, want a refusal naming database.url and database.allow_insecure", tc.url, err)
		case !tc.refused && err != nil:
			t.Errorf("%s (allow_insecure=%q): %v", tc.url, tc.allow, err)
		}
	}
}

// A password that a URL parser gets wrong (%, #, @ unencoded) or that is
// given as ?password= never shows in what check, migrate or run print.
func TestDatabasePasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, secret string }{
		{"postgres://postgres:p%zzword@127.0.0.1:5432/test?sslmode=disable", "p%zzword"},
		{"postgres://postgres:pa#ssword@127.0.0.1:5432/test?sslmode=disable", "pa#ssword"},
		{"postgres://postgres:p@ssword@127.0.0.1:5432/test?sslmode=disable", "p@ssword"},
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable&password=querysecret", "querysecret"},
		{"postgres://postgres@127.0.0.1:1/test?sslmode=disable&password=querysecret", "querysecret"}, // nobody there
	} {
		h := newHarnessWith(t, "sqlite:"+t.TempDir()+"/x.db", nil)
		h.cfg.Database.URL = tc.url
		config := writeHarnessConfig(t, h.cfg)
		for _, cmd := range []string{"check", "migrate", "run"} {
			ctx := h.ctx
			if cmd == "run" {
				// Start-up is what prints the URL's errors; should it
				// connect (trust authentication) it stops at once.
				c, cancel := context.WithCancel(h.ctx)
				cancel()
				ctx = c
			}
			out, errOut, err := run(t, ctx, cmd, "-config", config)
			all := out + errOut
			if err != nil {
				all += err.Error()
			}
			if strings.Contains(all, tc.secret) {
				t.Errorf("%s with %s printed the password:\n%s", cmd, tc.url, all)
			}
		}
	}
}
