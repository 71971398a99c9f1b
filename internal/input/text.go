package input

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxText is the longest text input, in bytes, that any field takes
// unless it says otherwise. Fields with a tighter limit (names, slugs,
// SKUs) keep it in the ent schema.
const MaxText = 10_000

// Text is the hygiene rule for one text field. The zero value is the
// default: one line, at most MaxText bytes.
type Text struct {
	// Multiline allows line breaks and tabs (descriptions, notes).
	Multiline bool
	// MaxBytes overrides MaxText when positive.
	MaxBytes int
}

// The ways text can be refused; each wraps ErrInvalid.
var (
	ErrNotUTF8     = fmt.Errorf("%w: not valid UTF-8", ErrInvalid)
	ErrControlChar = fmt.Errorf("%w: control character", ErrInvalid)
	ErrTooLong     = fmt.Errorf("%w: too long", ErrInvalid)
)

// TextError is text refused by CleanText. Its message says what is wrong
// for the user, without repeating the input.
type TextError struct {
	Kind  error // ErrNotUTF8, ErrControlChar or ErrTooLong
	Limit int   // the limit in bytes, for ErrTooLong
}

func (e *TextError) Error() string {
	switch e.Kind {
	case ErrNotUTF8:
		return "must be valid UTF-8"
	case ErrControlChar:
		return "must not contain NUL or other control characters"
	default:
		return fmt.Sprintf("must be at most %d bytes long", e.Limit)
	}
}

// Unwrap exposes the kind to errors.Is.
func (e *TextError) Unwrap() error { return e.Kind }

// CleanText applies the one text hygiene rule of the store to s: it must
// be valid UTF-8, hold no control characters (NUL included; line breaks
// and tabs only when r.Multiline, with CR LF and CR read as LF), and be
// no longer than the limit once NFC-normalised. It returns s normalised
// to NFC, or a *TextError.
//
// Every text argument of the GraphQL API passes through it (graph/scalar);
// services that take text from elsewhere (payment callbacks, identity
// providers) call it themselves.
func CleanText(s string, r Text) (string, error) {
	limit := r.MaxBytes
	if limit <= 0 {
		limit = MaxText
	}
	// NFC shrinks text by at most a factor of three (decomposed Hangul);
	// refusing the hopeless early bounds the work.
	if len(s) > 4*limit {
		return "", tooLong(limit)
	}
	if plainASCII(s) {
		if len(s) > limit {
			return "", tooLong(limit)
		}
		return s, nil
	}
	if !utf8.ValidString(s) {
		return "", &TextError{Kind: ErrNotUTF8}
	}
	crlf := false
	for _, c := range s {
		if !unicode.IsControl(c) {
			continue
		}
		if !r.Multiline || (c != '\n' && c != '\t' && c != '\r') {
			return "", &TextError{Kind: ErrControlChar}
		}
		crlf = crlf || c == '\r'
	}
	if crlf {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	if len(s) > limit {
		return "", tooLong(limit)
	}
	return s, nil
}

// plainASCII reports printable ASCII only: text that is valid, already
// NFC and free of control characters, the common case.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func tooLong(limit int) error {
	return &TextError{Kind: ErrTooLong, Limit: limit}
}
