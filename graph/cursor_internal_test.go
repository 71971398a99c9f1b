package graph

import (
	"bytes"
	"strconv"
	"testing"

	"entgo.io/contrib/entgql"

	"github.com/savannah-commerce/savannah/graph/scalar"
)

// FuzzCursor: a cursor is decoded by entgql (scalar.DecodeCursor, as the
// Cursor scalar does) and, for search, read as a position. Garbage must be a
// clean error or a value the position check refuses, never a panic; a
// cursor the server issued decodes back to itself.
func FuzzCursor(f *testing.F) {
	for _, c := range []entgql.Cursor[int]{{ID: 1}, {ID: 42, Value: 7}, {ID: 1 << 40, Value: "Mango"}, {ID: 3, Value: maxSearchOffset + 1}} {
		var buf bytes.Buffer
		c.MarshalGQL(&buf)
		s, err := strconv.Unquote(buf.String())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	for _, s := range []string{"", "=", "gaJpZM0BAA", "\x00", "3gAB", "3wAAAAE", "kZGRkZGRkZE", "xf////8", "2gD/////"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := scalar.DecodeCursor(s)
		if err != nil {
			return
		}
		_, _ = cursorPosition(c.Value) // any value: a position or a refusal
		var buf bytes.Buffer
		c.MarshalGQL(&buf)
		back, err := strconv.Unquote(buf.String())
		if err != nil {
			t.Fatalf("%q re-encodes as %s", s, buf.String())
		}
		if again, err := scalar.DecodeCursor(back); err != nil || again.ID != c.ID {
			t.Fatalf("%q: a decoded cursor does not decode again: %v", s, err)
		}
	})
}
