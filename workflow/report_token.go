package workflow

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"
)

// A report token is the reply token of the 1 May reminder: it names the
// year of the report and is bound to the manager it was sent to, signed
// with the same keys as the case tokens (token.go) but under its own label,
// so neither kind can pass for the other. It travels in the reminder's
// Message-ID and plus-address like a case token; the manager's reply
// carries it back and so proves it answers that manager's reminder.
//
// Layout: "vr", the key letter, then base32 of uint16(year)
// uint16(day issued) nonce[4] mac[10]; the mac also covers the manager's
// address.
const reportTokenFormat = "vr"

func (k tokenKey) reportMAC(payload []byte, manager string) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("complaintd report token " + reportTokenFormat + "\x00"))
	m.Write([]byte(strings.ToLower(manager) + "\x00"))
	m.Write(payload)
	return m.Sum(nil)[:10]
}

// makeReport issues the token of year's reminder to manager.
func (t *tokens) makeReport(year int, manager string, now time.Time) string {
	b := binary.BigEndian.AppendUint16(nil, uint16(year))
	b = binary.BigEndian.AppendUint16(b, uint16(max(0, int(now.Sub(tokenEpoch).Hours()/24))))
	var nonce [4]byte
	_, _ = rand.Read(nonce[:])
	b = append(b, nonce[:]...)
	k := t.keys[0]
	return reportTokenFormat + string(k.id) + b32.EncodeToString(append(b, k.reportMAC(b, manager)...))
}

// readReport checks a report token for manager and returns its year.
func (t *tokens) readReport(s, manager string, now time.Time) (int, error) {
	s = strings.ToLower(s)
	rest, ok := strings.CutPrefix(s, reportTokenFormat)
	if !ok || len(rest) < 2 {
		return 0, ErrNotToken
	}
	raw, err := b32.DecodeString(rest[1:])
	if err != nil || len(raw) != 2+2+4+10 || b32.EncodeToString(raw) != rest[1:] {
		return 0, ErrNotToken
	}
	payload, sum := raw[:8], raw[8:]
	for i := range t.keys {
		if t.keys[i].id == rest[0] && hmac.Equal(t.keys[i].reportMAC(payload, manager), sum) {
			issued := tokenEpoch.AddDate(0, 0, int(binary.BigEndian.Uint16(payload[2:])))
			if t.maxAge > 0 && now.Sub(issued) > t.maxAge+24*time.Hour {
				return 0, ErrExpiredToken
			}
			return int(binary.BigEndian.Uint16(payload)), nil
		}
	}
	return 0, ErrForgedToken
}
