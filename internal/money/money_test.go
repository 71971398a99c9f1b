package money_test

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/bojanz/currency"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/money"
)

func mustCurrency(t testing.TB, code string) money.Currency {
	t.Helper()
	c, err := money.ParseCurrency(code)
	require.NoError(t, err)
	return c
}

func TestCurrency(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code   string
		digits int
		scale  int64
	}{
		{"KES", 2, 100},
		{"UGX", 0, 1},
		{"KWD", 3, 1000},
		{"BHD", 3, 1000},
		{"JPY", 0, 1},
	} {
		c := mustCurrency(t, tt.code)
		require.Equal(t, tt.code, c.Code())
		require.Equal(t, tt.digits, c.Digits(), tt.code)
		require.Equal(t, tt.scale, c.Scale(), tt.code)
	}
	for _, code := range []string{"", "kes", "KSH", "XYZ", "KES "} {
		_, err := money.ParseCurrency(code)
		require.ErrorIs(t, err, money.ErrUnknownCurrency, code)
	}
}

func TestStoreCurrency(t *testing.T) {
	t.Parallel()
	for _, code := range money.Supported() {
		c, err := money.StoreCurrency(code)
		require.NoError(t, err, code)
		require.Equal(t, code, c.Code())
	}
	// KWD is ISO 4217, but the API cannot show it yet; XYZ is no currency.
	for _, code := range []string{"KWD", "XYZ", "", "ugx"} {
		_, err := money.StoreCurrency(code)
		require.ErrorIs(t, err, money.ErrUnknownCurrency, code)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		in   string
		want int64
		err  error
	}{
		// KES: two decimals, as the store always had.
		{"KES", "1299.00", 129900, nil},
		{"KES", "1299", 129900, nil},
		{"KES", "0", 0, nil},
		{"KES", "5.5", 550, nil},
		{"KES", "1.500", 150, nil},
		{"KES", "0.05", 5, nil},
		{"KES", "-1", -100, nil},
		{"KES", "1e3", 100000, nil},
		{"KES", "+7", 700, nil},
		{"KES", "100000000", 10000000000, nil},
		{"KES", "92233720368547758.07", math.MaxInt64, nil},
		{"KES", "92233720368547758.08", 0, money.ErrOutOfRange},
		{"KES", "1.005", 0, money.ErrTooManyDecimals},
		{"KES", "0.001", 0, money.ErrTooManyDecimals},
		// UGX: no decimals.
		{"UGX", "1500", 1500, nil},
		{"UGX", "1500.00", 1500, nil},
		{"UGX", "1500.5", 0, money.ErrTooManyDecimals},
		{"UGX", "15.00", 15, nil},
		// KWD: three decimals.
		{"KWD", "1.5", 1500, nil},
		{"KWD", "1.234", 1234, nil},
		{"KWD", "1.2345", 0, money.ErrTooManyDecimals},
		{"BHD", "0.001", 1, nil},
		// Not decimals, or too far out.
		{"KES", "", 0, money.ErrNotDecimal},
		{"KES", "abc", 0, money.ErrNotDecimal},
		{"KES", "NaN", 0, money.ErrNotDecimal},
		{"KES", "Infinity", 0, money.ErrNotDecimal},
		{"KES", " 1", 0, money.ErrNotDecimal},
		{"KES", "1,000", 0, money.ErrNotDecimal},
		{"KES", "1_000", 0, money.ErrNotDecimal},
		{"KES", "0x10", 0, money.ErrNotDecimal},
		{"KES", "1.2.3", 0, money.ErrNotDecimal},
		{"KES", "1e99999999", 0, money.ErrOutOfRange},
		{"KES", "1e-99999999", 0, money.ErrOutOfRange},
		{"KES", "99999999999999999999999", 0, money.ErrOutOfRange},
		{"KES", "1" + string(make([]byte, 70)), 0, money.ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.code+" "+strconv.Quote(tt.in), func(t *testing.T) {
			got, err := mustCurrency(t, tt.code).Parse(tt.in)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	_, err := money.Currency{}.Parse("1")
	require.ErrorIs(t, err, money.ErrUnknownCurrency, "the zero Currency parses nothing")
}

func TestPrecisionError(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		"KES": "KES amounts have at most two decimals",
		"UGX": "UGX amounts have no decimals",
		"KWD": "KWD amounts have at most three decimals",
	} {
		_, err := mustCurrency(t, code).Parse("0.12345")
		var pe *money.PrecisionError
		require.ErrorAs(t, err, &pe)
		require.EqualError(t, err, want)
	}
}

func TestDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{129900, "KES", "1299.00"},
		{5, "KES", "0.05"},
		{0, "KES", "0.00"},
		{-250, "KES", "-2.50"},
		{math.MaxInt64, "KES", "92233720368547758.07"},
		{math.MinInt64, "KES", "-92233720368547758.08"},
		{1500, "UGX", "1500"},
		{0, "UGX", "0"},
		{-1500, "UGX", "-1500"},
		{1500, "KWD", "1.500"},
		{1, "BHD", "0.001"},
		{-1234, "KWD", "-1.234"},
		{100, "", "1.00"},
	}
	for _, tt := range tests {
		a := money.Amount{Minor: tt.minor, Currency: tt.code}
		require.Equal(t, tt.want, a.Decimal(), "%d %s", tt.minor, tt.code)
		require.Equal(t, "x"+tt.want, string(a.AppendDecimal([]byte("x"))))
	}
}

// TestDecimalAgreesWithLibrary: the hand-written fast path writes what the
// currency library writes, and Parse reads it back.
func TestDecimalAgreesWithLibrary(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"KES", "UGX", "KWD", "JPY", "USD"} {
		c := mustCurrency(t, code)
		for _, minor := range []int64{0, 1, -1, 5, 99, 100, -100, 101, 129900, -129999, 1e17 + 7, math.MaxInt64, math.MinInt64 + 1} {
			lib, err := currency.NewAmountFromInt64(minor, code)
			require.NoError(t, err)
			a := c.Amount(minor)
			require.Equal(t, lib.Number(), a.Decimal(), "%d %s", minor, code)
			back, err := c.Parse(a.Decimal())
			require.NoError(t, err)
			require.Equal(t, minor, back)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{129900, "KES", "KES 1,299.00"},
		{0, "KES", "KES 0.00"},
		{5, "KES", "KES 0.05"},
		{50, "USD", "USD 0.50"},
		{99999, "EUR", "EUR 999.99"},
		{100000, "GBP", "GBP 1,000.00"},
		{123456789, "TZS", "TZS 1,234,567.89"},
		{-129900, "KES", "KES -1,299.00"},
		{-5, "KES", "KES -0.05"},
		{1500, "UGX", "UGX 1,500"},
		{1500000, "UGX", "UGX 1,500,000"},
		{1234, "KWD", "KWD 1.234"},
		{1234567, "BHD", "BHD 1,234.567"},
		{math.MaxInt64, "KES", "KES 92,233,720,368,547,758.07"},
		{math.MinInt64, "KES", "KES -92,233,720,368,547,758.08"},
		{100, "", "1.00"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, money.Amount{Minor: tt.minor, Currency: tt.code}.String())
		})
	}
	require.Equal(t, "KES 1299.50", money.Amount{Minor: 129950, Currency: "KES"}.Plain())
	require.Equal(t, "KES -1.00", money.Amount{Minor: -100, Currency: "KES"}.Plain())
	require.Equal(t, "UGX 1500", money.Amount{Minor: 1500, Currency: "UGX"}.Plain())
}

// FuzzParse: any text is either refused with one of the package's errors
// or read as minor units that write back and read again unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1299.00", "0.01", "-5", "1e99999999", "1e-99999999", "9999999999999999999.99", "NaN", "Infinity", "1_000", "0x10", " 1", "1.2.3", ".5", "1e", "\x00", "1.005"} {
		f.Add(s)
	}
	cs := []money.Currency{mustCurrency(f, "KES"), mustCurrency(f, "UGX"), mustCurrency(f, "KWD")}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range cs {
			minor, err := c.Parse(s)
			if err != nil {
				if !errors.Is(err, money.ErrNotDecimal) && !errors.Is(err, money.ErrOutOfRange) && !errors.Is(err, money.ErrTooManyDecimals) {
					t.Fatalf("%q in %s: unexpected error %v", s, c.Code(), err)
				}
				continue
			}
			out := c.Amount(minor).Decimal()
			back, err := c.Parse(out)
			if err != nil || back != minor {
				t.Fatalf("%q in %s is %d, written %q, read back %d (%v)", s, c.Code(), minor, out, back, err)
			}
		}
	})
}

func BenchmarkAppendDecimal(b *testing.B) {
	var buf [32]byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = money.Amount{Minor: int64(i) * 37, Currency: "KES"}.AppendDecimal(buf[:0])
	}
}

func BenchmarkString(b *testing.B) {
	for b.Loop() {
		_ = money.Amount{Minor: 123456789, Currency: "KES"}.String()
	}
}
