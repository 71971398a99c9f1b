package scalar_test

import (
	"bytes"
	"testing"

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
