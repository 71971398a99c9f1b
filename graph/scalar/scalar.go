// Package scalar marshals the GraphQL scalars that have no gqlgen built-in:
// opaque global IDs and Decimal strings.
package scalar

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"github.com/savannah-commerce/savannah/internal/globalid"
)

// InputError is a malformed scalar value sent by the client.
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

// ErrInvalidID is returned for an ID that this server did not issue.
var ErrInvalidID = &InputError{msg: "invalid ID"}

// EncodeID turns an ent ID into the opaque global ID clients see
// (internal/globalid has the encoding).
func EncodeID(id int) string { return globalid.Encode(id) }

// DecodeID is the inverse of EncodeID; an ID this server did not issue is
// ErrInvalidID, a client's mistake.
func DecodeID(s string) (int, error) {
	id, err := globalid.Decode(s)
	if err != nil {
		return 0, ErrInvalidID
	}
	return id, nil
}

// DecodeIDs decodes every ID or fails on the first invalid one.
func DecodeIDs(ss []string) ([]int, error) {
	ids := make([]int, len(ss))
	for i, s := range ss {
		id, err := DecodeID(s)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// MarshalIntID writes an ent ID as an opaque global ID, quoted (its
// alphabet needs no escapes), without building the string first.
func MarshalIntID(id int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var out [globalid.Len + 2]byte
		out[0], out[globalid.Len+1] = '"', '"'
		globalid.Put(out[1:], id)
		_, _ = w.Write(out[:])
	})
}

// UnmarshalIntID reads an opaque global ID into an ent ID.
func UnmarshalIntID(v any) (int, error) {
	s, ok := v.(string)
	if !ok {
		return 0, &InputError{msg: "invalid ID: must be a string"}
	}
	return DecodeID(s)
}

// MarshalDecimal writes a decimal as a JSON string with two decimal places,
// such as "1299.00".
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [32]byte
		_, _ = w.Write(appendFixed2(buf[:0], d))
	})
}

// appendFixed2 appends d as a quoted decimal with two places. Money is
// built from integer minor units (exponent -2), which are written from the
// integer without rounding or allocating; any other decimal goes through
// StringFixed.
func appendFixed2(b []byte, d decimal.Decimal) []byte {
	if d.Exponent() != -2 || d.NumDigits() > 18 {
		return strconv.AppendQuote(b, d.StringFixed(2))
	}
	minor := d.CoefficientInt64()
	b = append(b, '"')
	u := uint64(minor)
	if minor < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	return append(b, '.', byte('0'+u%100/10), byte('0'+u%10), '"')
}

// Bounds of a Decimal input: far beyond any amount, and small enough that
// no arithmetic or formatting on it is ever costly ("1e99999999" is ten
// characters and a hundred million digits).
const (
	maxDecimalLen      = 64
	maxDecimalExponent = 32
)

// UnmarshalDecimal reads a decimal from a string. Numbers are refused: JSON
// floats cannot carry money exactly.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	s, ok := v.(string)
	if !ok {
		return decimal.Decimal{}, &InputError{msg: `decimal must be a string, such as "1299.00"`}
	}
	if len(s) > maxDecimalLen {
		return decimal.Decimal{}, &InputError{msg: fmt.Sprintf("a decimal has at most %d characters", maxDecimalLen)}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, &InputError{msg: fmt.Sprintf("%q is not a decimal number", s)}
	}
	if e := d.Exponent(); e > maxDecimalExponent || e < -maxDecimalExponent {
		return decimal.Decimal{}, &InputError{msg: fmt.Sprintf("%q is out of range", s)}
	}
	return d, nil
}
