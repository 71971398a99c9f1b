// Package scalar marshals the GraphQL scalars that have no gqlgen built-in:
// opaque global IDs, and Decimal strings (amounts out, decimal text in).
package scalar

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/savannah-commerce/savannah/internal/globalid"
	"github.com/savannah-commerce/savannah/internal/money"
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

// MarshalAmount writes an amount as the Decimal scalar: a JSON string
// with exactly its currency's decimals, such as "1299.00" for KES or "1500"
// for UGX (see money.Amount.Decimal).
func MarshalAmount(a money.Amount) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [32]byte
		b := append(buf[:0], '"')
		b = a.AppendDecimal(b)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalAmount refuses: an amount is only ever sent to clients. A
// Decimal argument arrives as text (UnmarshalDecimal) and is read in the
// store's currency by the service that takes it.
func UnmarshalAmount(any) (money.Amount, error) {
	return money.Amount{}, &InputError{msg: "an amount is not an input"}
}

// MarshalDecimal writes decimal text as it was received.
func MarshalDecimal(s string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(s))
	})
}

// UnmarshalDecimal reads a Decimal argument: a string holding a decimal
// number (money.CheckDecimal). Numbers are refused: JSON floats cannot
// carry money exactly. The text is returned as sent; the service that
// takes it reads it in its currency (money.Currency.Parse), which decides
// how many decimals are allowed.
func UnmarshalDecimal(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", &InputError{msg: `decimal must be a string, such as "1299.00"`}
	}
	if len(s) > money.MaxDecimalLen {
		return "", &InputError{msg: fmt.Sprintf("a decimal has at most %d characters", money.MaxDecimalLen)}
	}
	switch err := money.CheckDecimal(s); {
	case errors.Is(err, money.ErrOutOfRange):
		return "", &InputError{msg: fmt.Sprintf("%q is out of range", s)}
	case err != nil:
		return "", &InputError{msg: fmt.Sprintf("%q is not a decimal number", s)}
	}
	return s, nil
}
