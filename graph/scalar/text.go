package scalar

import (
	"context"
	"io"

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
