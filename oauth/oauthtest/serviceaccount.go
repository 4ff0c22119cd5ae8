package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
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
