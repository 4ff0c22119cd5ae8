package oauth

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" // x5t is the SHA-1 thumbprint by definition (RFC 7515 4.1.7)
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ClientCertificate signs client assertions (RFC 7523 2.2, Microsoft's
// "certificate credential") instead of sending a client secret.
type ClientCertificate struct {
	key        *rsa.PrivateKey
	thumbprint string // x5t: base64url SHA-1 of the certificate's DER
}

// LoadClientCertificate reads a PEM certificate and its RSA private key.
func LoadClientCertificate(certPEM, keyPEM []byte) (*ClientCertificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("oauth2.client_certificate_file: %w", err)
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("oauth2.client_key_file: the key must be RSA (Microsoft accepts RS256 assertions)")
	}
	if _, err := x509.ParseCertificate(pair.Certificate[0]); err != nil {
		return nil, fmt.Errorf("oauth2.client_certificate_file: %w", err)
	}
	sum := sha1.Sum(pair.Certificate[0])
	return &ClientCertificate{key: key, thumbprint: base64.RawURLEncoding.EncodeToString(sum[:])}, nil
}

// assertion is a fresh signed JWT for one token request: issuer and
// subject the client id, audience the token endpoint, valid 10 minutes.
func (c *ClientCertificate) assertion(clientID, tokenURL string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": c.thumbprint})
	claims, _ := json.Marshal(map[string]any{
		"aud": tokenURL, "iss": clientID, "sub": clientID, "jti": hex.EncodeToString(jti),
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
