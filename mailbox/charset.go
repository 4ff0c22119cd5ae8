package mailbox

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// charsetExtra holds labels seen in real mail that go-message/charset (which
// consults the IANA and WHATWG indexes) does not resolve. The table is
// read-only; it is consulted before go-message.
var charsetExtra = map[string]encoding.Encoding{
	"ks_c_5601":                      korean.EUCKR, // Outlook, without the year
	"ks_c_5601-1989":                 korean.EUCKR,
	"cp949":                          korean.EUCKR, // x/text's EUC-KR is code page 949
	"uhc":                            korean.EUCKR,
	"x-uhc":                          korean.EUCKR,
	"x-windows-949":                  korean.EUCKR,
	"x-euc-jp":                       japanese.EUCJP,
	"cp932":                          japanese.ShiftJIS,
	"x-ms-cp932":                     japanese.ShiftJIS,
	"cp936":                          simplifiedchinese.GBK,
	"ms936":                          simplifiedchinese.GBK,
	"euc-cn":                         simplifiedchinese.GBK,
	"x-euc-cn":                       simplifiedchinese.GBK,
	"cp950":                          traditionalchinese.Big5,
	"x-big5":                         traditionalchinese.Big5,
	"x-x-big5":                       traditionalchinese.Big5,
	"unicode-1-1-utf-8":              unicode.UTF8,
	"x-unicode20utf8":                unicode.UTF8,
	"8859-1":                         charmap.ISO8859_1,
	"8859_1":                         charmap.ISO8859_1,
	"iso8859_1":                      charmap.ISO8859_1,
	"latin-1":                        charmap.ISO8859_1,
	"iso-8859-1-windows-3.1-latin-1": charmap.Windows1252,
	"ansi":                           charmap.Windows1252,
	"cp-1252":                        charmap.Windows1252,
	"x-cp1252":                       charmap.Windows1252,
	"windows1252":                    charmap.Windows1252,
}

// cjkCandidates are tried, in this order, on 8-bit text that is neither
// labelled usefully nor valid UTF-8 (the enmime "chardet" case: Big5 text
// labelled us-ascii).
var cjkCandidates = []struct {
	name string
	enc  encoding.Encoding
}{
	{"big5", traditionalchinese.Big5},
	{"gbk", simplifiedchinese.GBK},
	{"shift_jis", japanese.ShiftJIS},
	{"euc-jp", japanese.EUCJP},
	{"euc-kr", korean.EUCKR},
}

// normaliseLabel cleans a charset or transfer-encoding label as found in
// the wild: quotes, surrounding space, trailing junk after ';' or white
// space, and case.
func normaliseLabel(label string) string {
	label = strings.TrimSpace(label)
	label = strings.Trim(label, `"' `)
	if i := strings.IndexAny(label, "; \t\"'"); i >= 0 {
		label = label[:i]
	}
	return strings.ToLower(label)
}

// isUTF8Label reports labels whose content is UTF-8 or plain ASCII: they need
// no conversion, only validation.
func isUTF8Label(label string) bool {
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "x-unknown", "unknown", "none", "default":
		return true
	}
	return false
}

// isStateful7bit reports charsets whose 7-bit bytes still need decoding
// (escape sequences), so pure-ASCII input cannot be passed through.
func isStateful7bit(label string) bool {
	return strings.HasPrefix(label, "iso-2022") || strings.HasPrefix(label, "utf-7") ||
		strings.HasPrefix(label, "hz") || strings.HasPrefix(label, "csiso2022")
}

// decodeWithLabel converts b from the named charset; ok is false when the
// charset is unknown. go-message/charset is the primary lookup.
func decodeWithLabel(b []byte, label string) (s string, ok bool) {
	if enc, found := charsetExtra[label]; found {
		out, err := enc.NewDecoder().Bytes(b)
		return string(out), err == nil
	}
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return "", false
	}
	return string(out), true
}

// decodeCharset turns bytes in the labelled charset into valid UTF-8. It never
// fails: the label is tried first, then UTF-8 if the bytes are valid UTF-8,
// then a guess among CJK double-byte charsets for dense 8-bit text, then
// windows-1252 (a superset of ISO-8859-1 that maps every byte). note explains
// what was worked around; it is empty when the label was right.
func decodeCharset(b []byte, label string) (s, note string) {
	label = normaliseLabel(label)
	ascii := allASCII(b)
	if ascii && !isStateful7bit(label) {
		return string(b), ""
	}
	var fallback string // label result with replacement characters
	if !isUTF8Label(label) {
		out, ok := decodeWithLabel(b, label)
		switch {
		case !ok:
			note = "unknown charset " + quoteLabel(label)
		default:
			bad := strings.Count(out, "\uFFFD")
			runes := utf8.RuneCountInString(out)
			// A single-byte charset maps every byte to one rune. If such a
			// label sits on valid multi-byte UTF-8, the label is the error
			// (a common one): prefer UTF-8, unless that UTF-8 holds C1
			// control characters, which no real text has.
			if bad == 0 && !(runes == len(b) && utf8.Valid(b) && !hasC1(b)) {
				return out, ""
			}
			if bad == 0 {
				return string(b), "charset " + quoteLabel(label) + " is really UTF-8"
			}
			note = "charset " + quoteLabel(label) + " does not fit the bytes"
			if good := nonASCIIRunes(out) - bad; good >= 10*bad {
				fallback = out
			}
		}
	}
	if utf8.Valid(b) {
		return string(b), note
	}
	if fallback != "" {
		return fallback, note
	}
	if out, name := guessCJK(b); name != "" {
		return out, joinNote(note, "charset guessed as "+name)
	}
	out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	if label == "" || isUTF8Label(label) {
		note = joinNote(note, "8-bit text is not UTF-8; read as windows-1252")
	} else {
		note = joinNote(note, "read as windows-1252")
	}
	return string(out), note
}

// headerToUTF8 makes header bytes valid UTF-8 (RFC 6532 allows raw UTF-8; older
// clients send raw windows-1252).
func headerToUTF8(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	s, _ := decodeCharset(b, "")
	return s, true
}

// guessCJK decodes dense 8-bit text with the CJK candidate that yields the most
// plausible characters and no (or almost no) undecodable sequences.
func guessCJK(b []byte) (string, string) {
	high, visible := 0, 0
	for _, c := range b {
		if c >= 0x80 {
			high++
		}
		if c > ' ' {
			visible++
		}
	}
	// Western 8-bit text has an accented letter here and there; CJK text is
	// mostly two-byte sequences.
	if high*4 < visible {
		return "", ""
	}
	best, bestName, bestScore := "", "", 0
	for _, c := range cjkCandidates {
		out, err := c.enc.NewDecoder().Bytes(b)
		if err != nil {
			continue
		}
		s := string(out)
		score := cjkScore(s)
		if score > bestScore {
			best, bestName, bestScore = s, c.name, score
		}
	}
	return best, bestName
}

// cjkScore rewards runes typical of CJK prose and penalises the ones a wrong
// double-byte decoder produces: replacement characters, half-width katakana,
// private-use and C1 control characters.
func cjkScore(s string) int {
	good, bad := 0, 0
	for _, r := range s {
		switch {
		case r < 0x80:
		case r == utf8.RuneError:
			bad += 4
		case r >= 0xFF61 && r <= 0xFF9F, r >= 0xE000 && r <= 0xF8FF, r >= 0x80 && r <= 0x9F:
			bad += 2
		case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3040 && r <= 0x30FF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0x3000 && r <= 0x303F, r >= 0xFF01 && r <= 0xFF60:
			good++
		default:
			bad++
		}
	}
	if bad*10 > good {
		return 0
	}
	return good - bad
}

// hasC1 reports whether valid UTF-8 b encodes a C1 control (U+0080-U+009F).
func hasC1(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0xC2 && b[i+1] >= 0x80 && b[i+1] <= 0x9F {
			return true
		}
	}
	return false
}

func allASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func nonASCIIRunes(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x80 {
			n++
		}
	}
	return n
}

func quoteLabel(label string) string {
	if len(label) > 40 {
		label = label[:40] + "…"
	}
	return `"` + strings.ToValidUTF8(label, "?") + `"`
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func hasHexPair(s string, i int) bool {
	return i+1 < len(s) && hexValue(s[i]) != 0xFF && hexValue(s[i+1]) != 0xFF
}

func hexValue(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xFF
}

// htmlMetaCharset finds the charset an HTML document declares in a <meta>
// element (HTML 5 section 4.2.5.4) within its first bytes; used only when the
// MIME header names none.
func htmlMetaCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	lower := bytes.ToLower(b)
	for {
		i := bytes.Index(lower, []byte("<meta"))
		if i < 0 {
			return ""
		}
		lower = lower[i+5:]
		end := bytes.IndexByte(lower, '>')
		if end < 0 {
			return ""
		}
		tag := lower[:end]
		if j := bytes.Index(tag, []byte("charset=")); j >= 0 {
			v := strings.TrimLeft(string(tag[j+8:]), `"' `)
			if k := strings.IndexAny(v, `"'; />`); k >= 0 {
				v = v[:k]
			}
			if v != "" {
				return v
			}
		}
		lower = lower[end:]
	}
}
