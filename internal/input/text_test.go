package input_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/savannah-commerce/savannah/internal/input"
)

func TestCleanText(t *testing.T) {
	t.Parallel()
	multi := input.Text{Multiline: true}
	for _, tc := range []struct {
		name string
		in   string
		rule input.Text
		want string
		err  error
	}{
		{"plain", "Nairobi", input.Text{}, "Nairobi", nil},
		{"empty", "", input.Text{}, "", nil},
		{"NFD to NFC", "Jose\u0301", input.Text{}, "Jos\u00e9", nil},
		{"emoji with joiner", "👩\u200d💻", input.Text{}, "👩\u200d💻", nil},
		{"NUL", "a\x00b", input.Text{}, "", input.ErrControlChar},
		{"NUL in multiline", "a\x00b", multi, "", input.ErrControlChar},
		{"newline one-line", "a\nb", input.Text{}, "", input.ErrControlChar},
		{"tab one-line", "a\tb", input.Text{}, "", input.ErrControlChar},
		{"DEL", "a\x7fb", input.Text{}, "", input.ErrControlChar},
		{"C1 control", "a\u0085b", multi, "", input.ErrControlChar},
		{"escape", "a\x1b[31mb", multi, "", input.ErrControlChar},
		{"newline and tab multiline", "a\n\tb", multi, "a\n\tb", nil},
		{"CR LF multiline", "a\r\nb\rc", multi, "a\nb\nc", nil},
		{"invalid UTF-8", "a\xffb", input.Text{}, "", input.ErrNotUTF8},
		{"surrogate half", "\xed\xa0\x80", input.Text{}, "", input.ErrNotUTF8},
		{"at the limit", strings.Repeat("a", input.MaxText), input.Text{}, strings.Repeat("a", input.MaxText), nil},
		{"over the limit", strings.Repeat("a", input.MaxText+1), input.Text{}, "", input.ErrTooLong},
		{"over a tighter limit", "abcd", input.Text{MaxBytes: 3}, "", input.ErrTooLong},
		{"over the limit once composed", strings.Repeat("é", 5), input.Text{MaxBytes: 9}, "", input.ErrTooLong},
		{"under the limit once composed", strings.Repeat("e\u0301", 3), input.Text{MaxBytes: 6}, "ééé", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := input.CleanText(tc.in, tc.rule)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.ErrorIs(t, err, input.ErrInvalid)
				var te *input.TextError
				require.ErrorAs(t, err, &te)
				require.NotContains(t, err.Error(), tc.in, "the message never repeats the input")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzCleanText checks the hygiene rule's promises on any input: what it
// accepts is valid UTF-8, NFC, within the limit, free of control
// characters (but line breaks and tabs in multi-line text), and a fixed
// point; what it refuses is a *TextError.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{
		"", "Nairobi", "a\x00b", "Jose\u0301", "a\r\nb", "\xff\xfe", "\u202eevil", "e\u0301\u0301\u0301",
		"\u1100\u1161\u11a8", "a\x1b[31m", "\t\n\r", strings.Repeat("\u0301", 40),
	} {
		f.Add(s, false, 0)
		f.Add(s, true, 8)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool, limit int) {
		rule := input.Text{Multiline: multiline, MaxBytes: limit % 64}
		out, err := input.CleanText(s, rule)
		if err != nil {
			var te *input.TextError
			if !errors.As(err, &te) {
				t.Fatalf("CleanText(%q) = %v, not a *TextError", s, err)
			}
			return
		}
		maxLen := input.MaxText
		if rule.MaxBytes > 0 {
			maxLen = rule.MaxBytes
		}
		if !utf8.ValidString(out) || !norm.NFC.IsNormalString(out) || len(out) > maxLen {
			t.Fatalf("CleanText(%q) = %q: invalid, not NFC or too long", s, out)
		}
		for _, c := range out {
			if unicode.IsControl(c) && (!multiline || c != '\n' && c != '\t') {
				t.Fatalf("CleanText(%q) = %q keeps control character %U", s, out, c)
			}
		}
		again, err := input.CleanText(out, rule)
		if err != nil || again != out {
			t.Fatalf("CleanText is not idempotent on %q: %q, %v", out, again, err)
		}
	})
}
