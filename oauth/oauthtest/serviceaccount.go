package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"time"
)

// NewServiceAccount makes a service account as Google's console would: an
// RSA key whose public half the server trusts, returned as the JSON key
// file. Its JWT bearer assertions (RFC 7523) get tokens for the subject
// (Options.Username's mailbox) when DelegateTo allows it.
func (s *Server) NewServiceAccount(email string) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.accounts == nil {
		s.accounts = map[string]*rsa.PublicKey{}
	}
	s.accounts[email] = &key.PublicKey
	s.mu.Unlock()
	return json.Marshal(map[string]string{
		"type": "service_account", "client_email": email, "private_key_id": "k1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri":   s.TokenURL(),
	})
}

// DelegateTo grants domain-wide delegation for these subjects (mailboxes).
func (s *Server) DelegateTo(subjects ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subjects = subjects
}

// checkAssertion verifies an RS256 JWT from a known service account, for
// this token endpoint, not expired, for a delegated subject.
func (s *Server) checkAssertion(assertion string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return err
	}
	pub := s.accounts[claims.Iss]
	if pub == nil {
		return errors.New("unknown service account " + claims.Iss)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("bad signature")
	}
	if claims.Aud != s.TokenURL() || time.Now().Unix() > claims.Exp {
		return errors.New("wrong audience or expired")
	}
	for _, sub := range s.subjects {
		if sub == claims.Sub {
			return nil
		}
	}
	return errors.New("no domain-wide delegation for " + claims.Sub)
}

// NewClientCertificate makes a self-signed certificate for the client, as
// uploaded to an app registration, and returns it and its key in PEM.
// Client assertions signed with it (x5t naming it) replace the secret.
func (s *Server) NewClientCertificate() (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "complaintd"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	sum := sha1.Sum(der)
	s.mu.Lock()
	if s.accounts == nil {
		s.accounts = map[string]*rsa.PublicKey{}
	}
	s.accounts["x5t:"+base64.RawURLEncoding.EncodeToString(sum[:])] = &key.PublicKey
	s.mu.Unlock()
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// checkClientAssertion verifies a client assertion (RFC 7523 2.2) signed
// with a registered certificate, issued by and about the client.
func (s *Server) checkClientAssertion(assertion string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	var h struct {
		Alg string `json:"alg"`
		X5t string `json:"x5t"`
	}
	var c struct {
		Iss, Sub, Aud string
		Exp           int64
	}
	if json.Unmarshal(hb, &h) != nil || json.Unmarshal(pb, &c) != nil || h.Alg != "RS256" {
		return errors.New("bad assertion")
	}
	pub := s.accounts["x5t:"+h.X5t]
	if pub == nil {
		return errors.New("unknown certificate")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return errors.New("bad signature")
	}
	if c.Iss != s.opts.ClientID || c.Sub != s.opts.ClientID || c.Aud != s.TokenURL() || time.Now().Unix() > c.Exp {
		return errors.New("wrong issuer, subject, audience, or expired")
	}
	return nil
}
