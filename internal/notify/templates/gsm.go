package templates

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// Encoding is how an SMS is carried: GSM 03.38's 7-bit alphabet (160
// characters in one message) or UCS-2 (70), which a single character
// outside the alphabet forces on the whole message.
type Encoding string

// The two SMS encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// gsmBasic is GSM 03.38's default alphabet (one septet each), without the
// escape code.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtended is the extension table: two septets each (escape + code).
const gsmExtended = "\f^{}\\[~]|€"

// lookalikes replaces characters that word processors and phone keyboards
// put into product names and notes with their GSM equivalents, so that a
// curly apostrophe does not cost the message more than half its length.
var lookalikes = strings.NewReplacer(
	"‘", "'", "’", "'", "‚", "'", "‛", "'", "′", "'", "`", "'", "´", "'",
	"“", `"`, "”", `"`, "„", `"`, "″", `"`, "«", `"`, "»", `"`,
	"‐", "-", "‑", "-", "‒", "-", "–", "-", "—", "-", "―", "-", "−", "-",
	"…", "...", "•", "*", "·", "*", "×", "x",
	"\u00a0", " ", "\u2009", " ", "\u202f", " ", "\u200b", "", "\t", " ",
)

// septets returns how many septets r takes in GSM-7, or 0 when it has no
// GSM-7 form.
func septets(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtended, r):
		return 2
	}
	return 0
}

// ToGSM7 rewrites s into the GSM-7 alphabet where that loses nothing a
// reader needs: typographic quotes and dashes become their plain forms and
// letters with accents the alphabet lacks lose the accent ("Wanjirũ" →
// "Wanjiru", "Zoë" → "Zoe"; "é" and "ñ" stay, the alphabet has them). It
// reports false, and returns s with only the typographic replacements, when
// some character has no such form (Chinese, Amharic, emoji): then the
// message must go as UCS-2 rather than lose the customer's name to
// question marks.
func ToGSM7(s string) (string, bool) {
	s = lookalikes.Replace(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if septets(r) > 0 {
			b.WriteRune(r)
			continue
		}
		// Decompose (ũ → u + combining tilde) and keep the base letters.
		for _, d := range norm.NFD.String(string(r)) {
			if unicode.Is(unicode.Mn, d) {
				continue
			}
			if septets(d) == 0 {
				return s, false
			}
			b.WriteRune(d)
		}
	}
	return b.String(), true
}

// Segments reports how many SMS messages body takes in encoding enc: up to
// 160 septets (GSM-7) or 70 UTF-16 units (UCS-2) fit one message; longer
// texts are split into parts of 153 or 67, the rest carrying the
// concatenation header.
func Segments(body string, enc Encoding) int {
	n, single, part := Length(body, enc), 160, 153
	if enc == UCS2 {
		single, part = 70, 67
	}
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

// Length reports the size of body in its encoding's units: septets for
// GSM-7, UTF-16 code units for UCS-2.
func Length(body string, enc Encoding) int {
	if enc == UCS2 {
		return len(utf16.Encode([]rune(body)))
	}
	n := 0
	for _, r := range body {
		n += max(septets(r), 1)
	}
	return n
}
