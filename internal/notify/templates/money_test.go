package templates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/templates"
)

// TestAmountsInTheOrdersCurrency: a store in UGX (no decimals) sends
// "UGX 1,500", not "UGX 15.00"; KES amounts keep their two decimals (the
// golden files pin every KES message).
func TestAmountsInTheOrdersCurrency(t *testing.T) {
	t.Parallel()
	s := newSet(t)
	for _, tt := range []struct {
		currency   string
		tot        int64
		want, nope string
	}{
		{"UGX", 3000, "UGX 3,000", "30.00"},
		{"KES", 300000, "KES 3,000.00", "KES 300,000"},
	} {
		d := typical()
		d.Items = []templates.Item{{Name: "Kikoy Beach Towel", Quantity: 2, LineTotal: templates.Money{Minor: tt.tot, Currency: tt.currency}}}
		d.Total = templates.Money{Minor: tt.tot, Currency: tt.currency}
		for _, ev := range templates.Events() {
			sms, err := s.SMS(ev, d)
			require.NoError(t, err)
			if ev == templates.OrderPlaced {
				require.Contains(t, sms.Body, "total "+tt.want, ev)
			}
			require.NotContains(t, sms.Body, tt.nope, ev)
			mail, err := s.Email(ev, d)
			require.NoError(t, err)
			for _, part := range []string{mail.Text, mail.HTML} {
				require.Contains(t, part, tt.want, ev)
				require.NotContains(t, part, tt.nope, ev)
			}
		}
	}
}
