package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrBadSeal means a stored token cannot be opened: the key changed, or the
// stored bytes were altered.
var ErrBadSeal = errors.New("oauth: stored token cannot be decrypted (was oauth2.encryption_key changed?)")

// Sealer encrypts the refresh token for the database with AES-256-GCM. The
// key is SHA-256 of the configured secret, so any string of at least 32
// characters (openssl rand -hex 32) will do.
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the key from secret.
func NewSealer(secret string) (*Sealer, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("oauth2.encryption_key: is %d characters; use at least 32 random characters (openssl rand -hex 32)", len(secret))
	}
	key := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain under a fresh random nonce, bound to label (what the
// value is), and returns nonce‖ciphertext.
func (s *Sealer) Seal(plain []byte, label string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("oauth: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(label))
}

// Open reverses Seal.
func (s *Sealer) Open(sealed []byte, label string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrBadSeal
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(label))
	if err != nil {
		return nil, ErrBadSeal
	}
	return plain, nil
}
