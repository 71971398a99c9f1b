// Package money is the one place that knows how amounts are kept and
// shown. The store keeps every amount as an integer count of the currency's
// minor unit (cents for KES: KES 1,299.00 is 129900); how many decimals a
// currency has (its exponent: two for KES, none for UGX, three for KWD)
// comes from the currency library github.com/bojanz/currency, which follows
// ISO 4217 and CLDR. Parsing a decimal string into minor units, writing
// minor units back as a decimal (the GraphQL Decimal scalar) or for people
// to read (notifications, messages), and validating the store's configured
// currency all live here.
package money

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bojanz/currency"
	"github.com/cockroachdb/apd/v3"
)

// Errors of ParseCurrency, CheckDecimal and Currency.Parse.
var (
	// ErrUnknownCurrency: the code is not an ISO 4217 currency the store
	// can sell in.
	ErrUnknownCurrency = errors.New("unknown currency")
	// ErrNotDecimal: the text is not a decimal number such as "1299.00".
	ErrNotDecimal = errors.New("not a decimal number")
	// ErrOutOfRange: the number is too large (or its exponent too far out)
	// to be an amount.
	ErrOutOfRange = errors.New("out of range")
	// ErrTooManyDecimals: the number has more decimals than the currency's
	// minor unit; the error is a *PrecisionError.
	ErrTooManyDecimals = errors.New("too many decimals")
)

// supported lists the currencies a store may sell in: the ones the GraphQL
// CurrencyCode enum can show (a test in graph checks that the two agree).
// Adding one here and to the enum is all a new currency takes.
func supported() []string {
	return []string{"KES", "TZS", "UGX", "USD", "EUR", "GBP", "ZAR", "NGN", "GHS"}
}

// Supported returns the codes of the currencies a store may sell in.
func Supported() []string { return supported() }

// Currency is an ISO 4217 currency with its number of decimals. The zero
// Currency is not valid; get one from ParseCurrency or StoreCurrency.
type Currency struct {
	code   string
	digits uint8
}

// ParseCurrency returns the ISO 4217 currency with this code (upper case,
// such as "KES"), with its decimals from the currency library.
func ParseCurrency(code string) (Currency, error) {
	d, ok := currency.GetDigits(code)
	if !ok {
		return Currency{}, fmt.Errorf("%w: %q is not an ISO 4217 currency code", ErrUnknownCurrency, code)
	}
	return Currency{code: code, digits: d}, nil
}

// StoreCurrency validates the store's configured currency: an ISO 4217
// code that the store supports (see Supported).
func StoreCurrency(code string) (Currency, error) {
	c, err := ParseCurrency(code)
	if err != nil {
		return Currency{}, err
	}
	if !slices.Contains(supported(), code) {
		return Currency{}, fmt.Errorf("%w: %q is not a supported currency", ErrUnknownCurrency, code)
	}
	return c, nil
}

// Code is the ISO 4217 code, such as "KES".
func (c Currency) Code() string { return c.code }

// Digits is the number of decimals of the currency's minor unit (its
// exponent): 2 for KES, 0 for UGX, 3 for KWD.
func (c Currency) Digits() int { return int(c.digits) }

// Amount returns minor units of c as an Amount.
func (c Currency) Amount(minor int64) Amount { return Amount{Minor: minor, Currency: c.code} }

// Scale returns how many minor units make one major unit: 100 for KES, 1
// for UGX.
func (c Currency) Scale() int64 { return pow10(c.digits) }

// Bounds of a decimal text: far beyond any amount, and small enough that
// no arithmetic or formatting on it is ever costly ("1e99999999" is ten
// characters and a hundred million digits).
const (
	MaxDecimalLen      = 64
	maxDecimalExponent = 32
)

// CheckDecimal checks that s is a finite decimal number, such as "1299.00",
// "-5" or "1e3", of at most MaxDecimalLen characters and with an exponent
// within ±32: text that Currency.Parse can read quickly. It wraps
// ErrNotDecimal or ErrOutOfRange.
func CheckDecimal(s string) error {
	_, err := parseDecimal(s)
	return err
}

func parseDecimal(s string) (*apd.Decimal, error) {
	if len(s) > MaxDecimalLen {
		return nil, fmt.Errorf("%w: a decimal has at most %d characters", ErrOutOfRange, MaxDecimalLen)
	}
	d := new(apd.Decimal)
	if _, _, err := d.SetString(s); err != nil || d.Form != apd.Finite {
		if hugeExponent(s) {
			return nil, fmt.Errorf("%w: %q", ErrOutOfRange, s)
		}
		return nil, fmt.Errorf("%w: %q", ErrNotDecimal, s)
	}
	if d.Exponent > maxDecimalExponent || d.Exponent < -maxDecimalExponent {
		return nil, fmt.Errorf("%w: %q", ErrOutOfRange, s)
	}
	return d, nil
}

// hugeExponent reports whether s is a decimal whose exponent is too large
// for the decimal library to hold ("1e99999999"): out of range rather than
// malformed.
func hugeExponent(s string) bool {
	i := strings.LastIndexAny(s, "eE")
	if i < 0 {
		return false
	}
	if _, err := strconv.ParseInt(s[i+1:], 10, 32); err != nil {
		return false
	}
	var m apd.Decimal
	_, _, err := m.SetString(s[:i])
	return err == nil && m.Form == apd.Finite
}

// PrecisionError is a decimal with more decimals than its currency's minor
// unit, such as "12.345" for KES or "1500.5" for UGX.
type PrecisionError struct {
	Currency string
	Digits   int
}

// Limit says how many decimals the currency allows: "at most two
// decimals", "no decimals".
func (e *PrecisionError) Limit() string {
	switch e.Digits {
	case 0:
		return "no decimals"
	case 1:
		return "at most one decimal"
	case 2:
		return "at most two decimals"
	case 3:
		return "at most three decimals"
	}
	return fmt.Sprintf("at most %d decimals", e.Digits)
}

func (e *PrecisionError) Error() string {
	return fmt.Sprintf("%s amounts have %s", e.Currency, e.Limit())
}

// Is makes a *PrecisionError match ErrTooManyDecimals.
func (e *PrecisionError) Is(target error) bool { return target == ErrTooManyDecimals }

// Parse reads a decimal string (see CheckDecimal) as minor units of c:
// "1299.00" and "1299" are 129900 for KES, "1500" is 1500 for UGX. Trailing
// zeros do not count as decimals ("1.50" is fine for KES, "1500.0" for UGX);
// any other digit beyond the currency's decimals is refused with a
// *PrecisionError, never rounded. Negative amounts are returned as such:
// the caller decides whether they make sense.
func (c Currency) Parse(s string) (int64, error) {
	if c.code == "" {
		return 0, fmt.Errorf("%w: no currency", ErrUnknownCurrency)
	}
	d, err := parseDecimal(s)
	if err != nil {
		return 0, err
	}
	d.Reduce(d) // drop trailing zeros: 1.50 is 15E-1
	if -int64(d.Exponent) > int64(c.digits) {
		return 0, &PrecisionError{Currency: c.code, Digits: int(c.digits)}
	}
	// Shift to minor units: the exponent becomes zero.
	var minor apd.Decimal
	minor.Set(d)
	minor.Exponent += int32(c.digits)
	ctx := apd.BaseContext.WithPrecision(40)
	if _, err := ctx.Quantize(&minor, &minor, 0); err != nil {
		return 0, fmt.Errorf("%w: %q", ErrOutOfRange, s)
	}
	n, err := minor.Int64()
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrOutOfRange, s)
	}
	return n, nil
}

// Amount is an amount in integer minor units of an ISO 4217 currency: the
// form in which orders, payments and prices are kept ({129900, "KES"} is
// KES 1,299.00).
type Amount struct {
	Minor    int64
	Currency string
}

// digits is the number of decimals of a's currency. A code the library
// does not know (the store never keeps one: its currency is checked at
// start) is shown with two.
func (a Amount) digits() uint8 {
	if d, ok := currency.GetDigits(a.Currency); ok {
		return d
	}
	return 2
}

// Decimal writes a as a plain decimal number with exactly its currency's
// decimals: "1299.00" for KES, "1500" for UGX, "1.500" for KWD. It is the
// GraphQL Decimal scalar's text.
func (a Amount) Decimal() string {
	var buf [24]byte
	return string(a.AppendDecimal(buf[:0]))
}

// AppendDecimal appends a.Decimal() to b. Every price in every listing
// passes here, so it writes the integer directly, without allocating.
func (a Amount) AppendDecimal(b []byte) []byte {
	digits := a.digits()
	// uint64 holds the magnitude of every int64, even math.MinInt64.
	u := uint64(a.Minor)
	if a.Minor < 0 {
		b = append(b, '-')
		u = -u
	}
	scale := uint64(pow10(digits))
	b = strconv.AppendUint(b, u/scale, 10)
	if digits == 0 {
		return b
	}
	b = append(b, '.')
	frac := u % scale
	for s := scale / 10; s > 0; s /= 10 {
		b = append(b, byte('0'+frac/s%10))
	}
	return b
}

// String shows a for people to read: the currency code, a space, the major
// units grouped by thousands and the currency's decimals, as in
// "KES 1,299.00", "UGX 1,500", "KWD 1.234" or "KES -1,299.00" (a refund).
// Notifications print amounts this way.
func (a Amount) String() string {
	code := a.Currency
	if _, ok := currency.GetDigits(code); !ok {
		// Only the number's shape matters here: any two-decimal
		// currency formats it the same way.
		code = "USD"
	}
	amt, err := currency.NewAmountFromInt64(a.Minor, code)
	if err != nil {
		return a.Currency + " " + a.Decimal() // unreachable: the code is known
	}
	f := currency.NewFormatter(currency.NewLocale("en"))
	f.CurrencyDisplay = currency.DisplayNone
	n := f.Format(amt)
	if a.Currency == "" {
		return n
	}
	return a.Currency + " " + n
}

// Plain shows a as the currency code, a space and its Decimal, without
// grouping: "KES 1299.00". Logs and stored order-event texts use it.
func (a Amount) Plain() string {
	if a.Currency == "" {
		return a.Decimal()
	}
	return a.Currency + " " + a.Decimal()
}

func pow10(n uint8) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
