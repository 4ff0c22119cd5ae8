package oauth

import (
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/oauth2/jwt"
)

// serviceAccountKey is the part of a Google service account's JSON key
// file the JWT bearer grant (RFC 7523) needs.
type serviceAccountKey struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	TokenURI     string `json:"token_uri"`
}

func parseServiceAccount(b []byte) (serviceAccountKey, error) {
	var k serviceAccountKey
	if len(b) == 0 {
		return k, errors.New("is required with grant service_account (the service account's JSON key file)")
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return k, fmt.Errorf("is not a JSON key file: %v", err)
	}
	if k.Type != "service_account" || k.ClientEmail == "" || k.PrivateKey == "" {
		return k, errors.New("is not a service account key (type service_account, client_email, private_key)")
	}
	return k, nil
}

// jwtConfig signs assertions as the service account for Subject.
func (c Config) jwtConfig() (*jwt.Config, error) {
	k, err := parseServiceAccount(c.ServiceAccountKey)
	if err != nil {
		return nil, fmt.Errorf("oauth2.service_account_file: %w", err)
	}
	return &jwt.Config{Email: k.ClientEmail, PrivateKey: []byte(k.PrivateKey), PrivateKeyID: k.PrivateKeyID,
		Subject: c.Subject, Scopes: c.Scopes, TokenURL: c.TokenURL}, nil
}
