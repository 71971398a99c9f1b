package scalar_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/graph/scalar"
)

// TestMoneyFormatting pins what the benchmark measures: an amount is
// written with exactly its currency's decimals.
func TestMoneyFormatting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{129900, "KES", `"1299.00"`},
		{5, "KES", `"0.05"`},
		{0, "KES", `"0.00"`},
		{-250, "KES", `"-2.50"`},
		{1500, "UGX", `"1500"`},
		{1500, "KWD", `"1.500"`},
	} {
		var buf bytes.Buffer
		scalar.MarshalAmount(model.NewMoney(tt.minor, tt.currency).Amount).MarshalGQL(&buf)
		require.Equal(t, tt.want, buf.String())
	}
}

// TestUnmarshalDecimal: the scalar takes decimal text and refuses the rest
// with the messages clients have always had.
func TestUnmarshalDecimal(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"1299.00", "1500", "-5", "1e3", "1.005"} {
		got, err := scalar.UnmarshalDecimal(s)
		require.NoError(t, err, s)
		require.Equal(t, s, got)
	}
	for in, want := range map[any]string{
		12.5:         `decimal must be a string, such as "1299.00"`,
		"abc":        `"abc" is not a decimal number`,
		"NaN":        `"NaN" is not a decimal number`,
		"1e99999999": `"1e99999999" is out of range`,
		"1e40":       `"1e40" is out of range`,
		"1" + string(bytes.Repeat([]byte("0"), 64)): "a decimal has at most 64 characters",
	} {
		_, err := scalar.UnmarshalDecimal(in)
		require.EqualError(t, err, want)
	}
	_, err := scalar.UnmarshalAmount("1")
	require.Error(t, err, "amounts are output only")
}

// BenchmarkMoneyFormatting is one price as a listing shows it: minor
// units to Money to its JSON string.
func BenchmarkMoneyFormatting(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf.Reset()
		scalar.MarshalAmount(model.NewMoney(int64(i)*37, "KES").Amount).MarshalGQL(&buf)
	}
}
