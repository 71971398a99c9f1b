package templates_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/templates"
)

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor    int64
		currency string
		want     string
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
		{1500000, "UGX", "UGX 1,500,000"},
		{1234, "KWD", "KWD 1.234"},
		{math.MaxInt64, "KES", "KES 92,233,720,368,547,758.07"},
		{math.MinInt64, "KES", "KES -92,233,720,368,547,758.08"},
		{100, "", "1.00"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, templates.FormatMoney(tt.minor, tt.currency))
			require.Equal(t, tt.want, templates.Money{Minor: tt.minor, Currency: tt.currency}.String())
		})
	}
}

func BenchmarkFormatMoney(b *testing.B) {
	for b.Loop() {
		_ = templates.FormatMoney(123456789, "KES")
	}
}
