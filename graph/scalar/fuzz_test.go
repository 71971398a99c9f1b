package scalar_test

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/savannah-commerce/savannah/graph/scalar"
)

// FuzzDecodeID: any string is either a clean invalid-ID input error or the
// one spelling EncodeID writes for a positive ID.
func FuzzDecodeID(f *testing.F) {
	for _, s := range []string{scalar.EncodeID(1), scalar.EncodeID(1<<62 - 1), "AAAAAAAAAAB", "AAAAAAAAAAA", "", "x\x00y", "////////////", "AAAAAAAAAA=", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := scalar.DecodeID(s)
		if err != nil {
			var in *scalar.InputError
			if !errors.As(err, &in) {
				t.Fatalf("%q: %v is not an input error", s, err)
			}
			return
		}
		if id <= 0 || scalar.EncodeID(id) != s {
			t.Fatalf("%q decodes to %d, which encodes as %q", s, id, scalar.EncodeID(id))
		}
		if _, err := scalar.UnmarshalIntID(s); err != nil {
			t.Fatalf("UnmarshalIntID(%q): %v", s, err)
		}
	})
}

// FuzzUnmarshalDecimal: any string is either a clean input error or a
// decimal that the server writes back, quickly and exactly to two places.
func FuzzUnmarshalDecimal(f *testing.F) {
	for _, s := range []string{"1299.00", "0.01", "-5", "1e99999999", "1e-99999999", "9999999999999999999.99", "NaN", "Infinity", "1_000", "0x10", " 1", "1.2.3", ".5", "1e", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := scalar.UnmarshalDecimal(s)
		if err != nil {
			var in *scalar.InputError
			if !errors.As(err, &in) {
				t.Fatalf("%q: %v is not an input error", s, err)
			}
			return
		}
		var buf bytes.Buffer
		scalar.MarshalDecimal(d).MarshalGQL(&buf)
		out, err := strconv.Unquote(buf.String())
		if err != nil || len(out) > 200 {
			t.Fatalf("%q is written as %s", s, buf.String())
		}
		back, err := decimal.NewFromString(out)
		if err != nil || !back.Equal(d.Round(2)) {
			t.Fatalf("%q is written as %q, not %s", s, out, d.StringFixed(2))
		}
	})
}
