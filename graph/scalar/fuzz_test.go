package scalar_test

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/money"
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

// FuzzUnmarshalDecimal: any string is either a clean input error or
// decimal text that the store's currency reads without surprise (minor
// units, or one of internal/money's errors) and that is written back as
// it came.
func FuzzUnmarshalDecimal(f *testing.F) {
	for _, s := range []string{"1299.00", "0.01", "-5", "1e99999999", "1e-99999999", "9999999999999999999.99", "NaN", "Infinity", "1_000", "0x10", " 1", "1.2.3", ".5", "1e", "\x00"} {
		f.Add(s)
	}
	kes, err := money.StoreCurrency("KES")
	if err != nil {
		f.Fatal(err)
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
		if _, err := kes.Parse(d); err != nil && !errors.Is(err, money.ErrTooManyDecimals) && !errors.Is(err, money.ErrOutOfRange) {
			t.Fatalf("%q passed the scalar but reads as %v", s, err)
		}
		var buf bytes.Buffer
		scalar.MarshalDecimal(d).MarshalGQL(&buf)
		if buf.String() != strconv.Quote(s) {
			t.Fatalf("%q is written as %s", s, buf.String())
		}
	})
}
