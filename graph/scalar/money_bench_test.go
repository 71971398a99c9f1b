package scalar_test

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
)

// TestMoneyFormatting pins what the benchmark measures.
func TestMoneyFormatting(t *testing.T) {
	t.Parallel()
	for minor, want := range map[int64]string{129900: `"1299.00"`, 5: `"0.05"`, 0: `"0.00"`, -250: `"-2.50"`} {
		var buf bytes.Buffer
		scalar.MarshalDecimal(model.NewMoney(minor, "KES").Amount).MarshalGQL(&buf)
		require.Equal(t, want, buf.String())
	}
}

// TestDecimalFormatting: amounts in minor units are written from the
// integer, every other decimal through StringFixed; both agree.
func TestDecimalFormatting(t *testing.T) {
	t.Parallel()
	write := func(d decimal.Decimal) string {
		var buf bytes.Buffer
		scalar.MarshalDecimal(d).MarshalGQL(&buf)
		return buf.String()
	}
	for _, minor := range []int64{0, 1, -1, 5, -5, 99, 100, -100, 101, 129900, -129999, 1e17 + 7, -(1e17 + 7), math.MaxInt64, math.MinInt64} {
		d := decimal.New(minor, -2)
		require.Equal(t, strconv.Quote(d.StringFixed(2)), write(d), "%d minor units", minor)
	}
	for src, want := range map[string]string{"12.345": `"12.35"`, "7": `"7.00"`, "-0.004": `"0.00"`, "1.5": `"1.50"`, "0.125": `"0.13"`} {
		require.Equal(t, want, write(decimal.RequireFromString(src)), src)
	}
	require.Equal(t, `"0.00"`, write(decimal.Decimal{}))
}

// BenchmarkMoneyFormatting is one price as a listing shows it: minor
// units to Money to its JSON string.
func BenchmarkMoneyFormatting(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf.Reset()
		scalar.MarshalDecimal(model.NewMoney(int64(i)*37, "KES").Amount).MarshalGQL(&buf)
	}
}
