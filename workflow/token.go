package workflow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A reply token names a case and a participant, signed so that it cannot be
// made up or altered. It travels in our Message-IDs (<TOKEN@host>, so it
// comes back in In-Reply-To and References) and, with plus addressing, in the
// Reply-To address (klachten+TOKEN@…), so it survives clients and relays that
// drop headers.
//
// Layout: "v1" (the format), one base32 letter naming the key, then base32 of
// uvarint(case) uvarint(participant) uint16(day issued) nonce[4] mac[10].
// Lower-case base32 survives relays that change the case of local parts.
const tokenFormat = "v1"

// tokenEpoch is day 0 of a token's issue date.
var tokenEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Errors reading a token.
var (
	// ErrNotToken: the text is not a token of ours at all.
	ErrNotToken = errors.New("workflow: not a reply token")
	// ErrForgedToken: it looks like one of ours but its signature is wrong,
	// or it was signed with a key we do not have.
	ErrForgedToken = errors.New("workflow: reply token does not verify")
	// ErrExpiredToken: genuine, but older than the configured maximum age.
	ErrExpiredToken = errors.New("workflow: reply token expired")
)

// Token is what a reply token says.
type Token struct {
	CaseID        int64
	ParticipantID int64
	Issued        time.Time
}

// tokenKey is one signing secret and the letter that names it in tokens.
type tokenKey struct {
	id     byte
	secret []byte
}

func newTokenKey(secret []byte) tokenKey {
	sum := sha256.Sum256(secret)
	return tokenKey{id: b32.EncodeToString(sum[:1])[0], secret: secret}
}

// tokens makes and reads reply tokens. The first key signs; all verify.
type tokens struct {
	keys   []tokenKey
	maxAge time.Duration // 0: tokens do not expire
}

func newTokens(secrets [][]byte, maxAge time.Duration) (*tokens, error) {
	t := &tokens{maxAge: maxAge}
	for _, s := range secrets {
		if len(s) < 16 {
			return nil, errors.New("workflow: a token secret needs at least 16 bytes")
		}
		t.keys = append(t.keys, newTokenKey(s))
	}
	if len(t.keys) == 0 {
		return nil, errors.New("workflow: no token secret")
	}
	return t, nil
}

// Token labels: what a token is signed as. A manager's token (the digest's
// Message-ID, see managerToken) is signed under its own label, so it can
// never be read as a participant's, nor the reverse.
const (
	labelParticipant = "complaintd reply token " + tokenFormat + "\x00"
	labelManager     = "complaintd manager token " + tokenFormat + "\x00"
)

func (k tokenKey) mac(label string, payload []byte) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(label))
	m.Write(payload)
	return m.Sum(nil)[:10]
}

// make issues a token for a participant of a case.
func (t *tokens) make(caseID, participantID int64, now time.Time) string {
	return t.sign(labelParticipant, caseID, participantID, now)
}

// read checks a participant's token and says what it names.
func (t *tokens) read(s string, now time.Time) (Token, error) {
	return t.verify(labelParticipant, s, now)
}

// sign issues a token under label.
func (t *tokens) sign(label string, caseID, participantID int64, now time.Time) string {
	b := binary.AppendUvarint(nil, uint64(caseID))
	b = binary.AppendUvarint(b, uint64(participantID))
	b = binary.BigEndian.AppendUint16(b, uint16(max(0, int(now.Sub(tokenEpoch).Hours()/24))))
	var nonce [4]byte // so every Message-ID differs, even for one recipient
	_, _ = rand.Read(nonce[:])
	b = append(b, nonce[:]...)
	k := t.keys[0]
	return tokenFormat + string(k.id) + b32.EncodeToString(append(b, k.mac(label, b)...))
}

// verify checks a token signed under label and says what it names.
func (t *tokens) verify(label, s string, now time.Time) (Token, error) {
	s = strings.ToLower(s)
	rest, ok := strings.CutPrefix(s, tokenFormat)
	if !ok || len(rest) < 2 {
		return Token{}, ErrNotToken
	}
	raw, err := b32.DecodeString(rest[1:])
	if err != nil || len(raw) < 1+1+2+4+10 {
		return Token{}, ErrNotToken
	}
	// Base32's last letter can carry unused bits; a token whose letters are
	// not exactly the encoding of its bytes was altered.
	if b32.EncodeToString(raw) != rest[1:] {
		return Token{}, ErrForgedToken
	}
	payload, sum := raw[:len(raw)-10], raw[len(raw)-10:]
	var key *tokenKey
	for i := range t.keys {
		if t.keys[i].id == rest[0] && hmac.Equal(t.keys[i].mac(label, payload), sum) {
			key = &t.keys[i]
			break
		}
	}
	if key == nil {
		return Token{}, ErrForgedToken
	}
	caseID, n := binary.Uvarint(payload)
	if n <= 0 {
		return Token{}, ErrForgedToken
	}
	partID, m := binary.Uvarint(payload[n:])
	if m <= 0 || len(payload[n+m:]) != 2+4 {
		return Token{}, ErrForgedToken
	}
	day := binary.BigEndian.Uint16(payload[n+m:])
	tok := Token{CaseID: int64(caseID), ParticipantID: int64(partID), Issued: tokenEpoch.AddDate(0, 0, int(day))}
	if t.maxAge > 0 && now.Sub(tok.Issued) > t.maxAge+24*time.Hour {
		return tok, ErrExpiredToken
	}
	return tok, nil
}

// settingTokenSecret names the secret the daemon generated for itself.
const settingTokenSecret = "token_secret"

// StoredTokenSecret returns the token secret kept in the database, making
// and storing one on first use. It keeps verifying tokens issued with it when
// an operator later configures secrets of their own.
func StoredTokenSecret(ctx context.Context, db Database) ([]byte, error) {
	var hexSecret string
	err := db.Get(ctx, &hexSecret, `SELECT value FROM settings WHERE key = ?`, settingTokenSecret)
	if errors.Is(err, sql.ErrNoRows) {
		var s [32]byte
		if _, err := rand.Read(s[:]); err != nil {
			return nil, fmt.Errorf("workflow: token secret: %w", err)
		}
		// Two daemons starting together: the first insert wins, both read it.
		if _, err := db.Exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
			settingTokenSecret, hex.EncodeToString(s[:])); err != nil {
			return nil, fmt.Errorf("workflow: token secret: %w", err)
		}
		err = db.Get(ctx, &hexSecret, `SELECT value FROM settings WHERE key = ?`, settingTokenSecret)
	}
	if err != nil {
		return nil, fmt.Errorf("workflow: token secret: %w", err)
	}
	secret, err := hex.DecodeString(hexSecret)
	if err != nil {
		return nil, fmt.Errorf("workflow: token secret in the database is damaged: %w", err)
	}
	return secret, nil
}

// Own-mail proof. Anyone can write our loop header, so its value carries an
// HMAC of the message's Message-ID under our first token key:
// "klachten.vlinder.example; proof=v1k…". A copy of our mail coming back
// is recognised by that proof or by the reply token in its Message-ID, never
// by a host name or a From address alone (which Thunderbird and Apple Mail
// replies of our own staff share with us).
const ownProofLabel = "complaintd own mail " + tokenFormat + "\x00"

func (k tokenKey) ownMAC(msgID string) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(ownProofLabel))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(msgID))))
	return m.Sum(nil)[:15]
}

// ownProof is the proof of origin for a message with Message-ID msgID
// (without brackets).
func (t *tokens) ownProof(msgID string) string {
	k := t.keys[0]
	return tokenFormat + string(k.id) + b32.EncodeToString(k.ownMAC(msgID))
}

// verifyOwnProof reports whether proof was made by ownProof for msgID under
// any of our keys (a rotated-out key still proves its old mail).
func (t *tokens) verifyOwnProof(msgID, proof string) bool {
	proof = strings.ToLower(strings.TrimSpace(proof))
	rest, ok := strings.CutPrefix(proof, tokenFormat)
	if !ok || len(rest) < 2 {
		return false
	}
	sum, err := b32.DecodeString(rest[1:])
	if err != nil {
		return false
	}
	for _, k := range t.keys {
		if k.id == rest[0] && hmac.Equal(k.ownMAC(msgID), sum) {
			return true
		}
	}
	return false
}

// isOurToken reports whether s is a reply token we signed, expired or not:
// either way it proves the message it names came from us.
func (t *tokens) isOurToken(s string, now time.Time) bool {
	_, err := t.read(s, now)
	if err != nil && !errors.Is(err, ErrExpiredToken) {
		_, err = t.verify(labelManager, s, now)
	}
	return err == nil || errors.Is(err, ErrExpiredToken)
}
