package scalar

import (
	"context"
	"errors"
	"io"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/savannah-commerce/savannah/internal/input"
)

// String and ID replace gqlgen's built-in scalars of the same names
// (gqlgen.yml), so that every String and string ID the API takes, as a
// literal or a variable, at any depth of any input or list, passes through
// input.CleanText before a resolver sees it: gqlgen builds no Go string
// from a request any other way. A refused value is BAD_USER_INPUT naming
// its path; an accepted one arrives NFC-normalised.

type multilineKey struct{}

// Multiline marks ctx as unmarshalling a field that takes several lines
// of text (the schema's @multiline directive).
func Multiline(ctx context.Context) context.Context {
	return context.WithValue(ctx, multilineKey{}, true)
}

// MarshalString writes a String as gqlgen's built-in does.
func MarshalString(s string) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		graphql.MarshalString(s).MarshalGQL(w)
		return nil
	})
}

// UnmarshalString reads a String argument or input field and applies the
// text hygiene rule, one line unless the field is @multiline.
func UnmarshalString(ctx context.Context, v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", err
	}
	multiline, _ := ctx.Value(multilineKey{}).(bool)
	return clean(ctx, s, input.Text{Multiline: multiline})
}

// MarshalID writes a string ID as gqlgen's built-in does.
func MarshalID(s string) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		graphql.MarshalID(s).MarshalGQL(w)
		return nil
	})
}

// UnmarshalID reads an ID that stays a string (cart tokens and the IDs
// hand-written resolvers decode) and applies the text hygiene rule.
func UnmarshalID(ctx context.Context, v any) (string, error) {
	s, err := graphql.UnmarshalID(v)
	if err != nil {
		return "", err
	}
	return clean(ctx, s, input.Text{})
}

func clean(ctx context.Context, s string, r input.Text) (string, error) {
	out, err := input.CleanText(s, r)
	if err != nil {
		return "", &InputError{msg: graphql.GetPath(ctx).String() + " " + err.Error()}
	}
	return out, nil
}

// MarshalCursor writes a pagination cursor as entgql does.
func MarshalCursor(c entgql.Cursor[int]) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		c.MarshalGQL(w)
		return nil
	})
}

// UnmarshalCursor decodes a pagination cursor as entgql does, then holds
// what it carries to the text rule too: a cursor is client input, and the
// value in it reaches SQL as a bind parameter. A value of a kind no
// ordering column has (a list, a map) is refused as well.
func UnmarshalCursor(ctx context.Context, v any) (entgql.Cursor[int], error) {
	var c entgql.Cursor[int]
	s, ok := v.(string)
	if ok {
		s, ok = cleanOK(s)
	}
	if !ok {
		return c, badCursor(ctx)
	}
	c, err := DecodeCursor(s)
	if err != nil {
		return c, badCursor(ctx)
	}
	switch val := c.Value.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, time.Time:
	case string:
		clean, err := input.CleanText(val, input.Text{Multiline: true})
		if err != nil {
			return c, badCursor(ctx)
		}
		c.Value = clean
	default:
		return c, badCursor(ctx)
	}
	return c, nil
}

// errCursor: text that is not a cursor.
var errCursor = errors.New("not a cursor")

// DecodeCursor is entgql's cursor decoding, made total: msgpack (v5.3.5)
// panics on some crafted input (a map that sets the cursor's value with a
// fixed-width integer, found by FuzzCursor) instead of failing, so a
// panic there is an error like any other text that is not a cursor.
func DecodeCursor(s string) (c entgql.Cursor[int], err error) {
	defer func() {
		if recover() != nil {
			c, err = entgql.Cursor[int]{}, errCursor
		}
	}()
	err = c.UnmarshalGQL(s)
	return c, err
}

func cleanOK(s string) (string, bool) {
	out, err := input.CleanText(s, input.Text{})
	return out, err == nil
}

func badCursor(ctx context.Context) error {
	return &InputError{msg: graphql.GetPath(ctx).String() + " is not a cursor this server issued"}
}
