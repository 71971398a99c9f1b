package templates

import (
	"strconv"
	"strings"
)

// Money is an amount in minor units of an ISO 4217 currency (cents for
// KES), the form orders and payments store amounts in. Templates print it
// through String.
type Money struct {
	Minor    int64
	Currency string
}

// String formats m as "KES 1,299.00".
func (m Money) String() string { return FormatMoney(m.Minor, m.Currency) }

// minorDigits lists currencies whose minor unit is not a hundredth. Every
// currency the store sells in today (KES, TZS, USD, EUR, GBP, ZAR, NGN,
// GHS) has two digits; the others are here so that a new currency cannot
// silently print a wrong amount.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// FormatMoney formats an amount given in minor units as the currency code,
// a space, the major units grouped by thousands with commas, and the minor
// units after a point: FormatMoney(129900, "KES") is "KES 1,299.00". A
// negative amount (a refund) reads "KES -1,299.00". UGX and the other
// currencies without minor units print no decimals.
func FormatMoney(minor int64, currency string) string {
	digits, ok := minorDigits[currency]
	if !ok {
		digits = 2
	}
	neg := minor < 0
	// uint64 holds the magnitude of every int64, even math.MinInt64.
	u := uint64(minor)
	if neg {
		u = -u
	}
	var scale uint64 = 1
	for range digits {
		scale *= 10
	}
	major, frac := u/scale, u%scale

	var b strings.Builder
	b.Grow(len(currency) + 24)
	b.WriteString(currency)
	if currency != "" {
		b.WriteByte(' ')
	}
	if neg {
		b.WriteByte('-')
	}
	var buf [20]byte
	s := strconv.AppendUint(buf[:0], major, 10)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(c)
	}
	if digits > 0 {
		b.WriteByte('.')
		f := strconv.AppendUint(buf[:0], frac, 10)
		for range digits - len(f) {
			b.WriteByte('0')
		}
		b.Write(f)
	}
	return b.String()
}
