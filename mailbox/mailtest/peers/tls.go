package peers

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/complaintd/complaintd/mailbox/mailtest"
)

// CA is a throwaway certificate authority and one server certificate it
// signed, for 127.0.0.1, ::1 and localhost, written as PEM files for servers
// and for clients' ca_file settings. The system trusts none of it. The
// certificates are mailtest's (one test CA for the in-process servers and
// the real ones).
type CA struct {
	Roots    *x509.CertPool
	CAFile   string // the CA certificate (PEM), what a client trusts
	CertFile string // the server certificate chain (PEM)
	KeyFile  string // the server key (PEM, 0600)
}

// NewCA writes a CA and a server certificate into dir.
func NewCA(t testing.TB, dir string) *CA {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("peers: test CA: %v", err)
		}
	}
	pki, err := mailtest.NewPKI("peers", 30*24*time.Hour)
	must(err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(pki.ServerKey)
	must(err)

	c := &CA{
		Roots:    pki.Roots,
		CAFile:   filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "server.pem"),
		KeyFile:  filepath.Join(dir, "server.key"),
	}
	block := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	must(os.WriteFile(c.CAFile, block("CERTIFICATE", pki.CADER), 0o644))
	must(os.WriteFile(c.CertFile, append(block("CERTIFICATE", pki.ServerDER), block("CERTIFICATE", pki.CADER)...), 0o644))
	must(os.WriteFile(c.KeyFile, block("PRIVATE KEY", keyDER), 0o600))
	return c
}
