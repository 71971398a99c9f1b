package graph

import (
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestMarshalResponse: the answer is written byte for byte as
// encoding/json writes it, HTML-safe escaping included.
func TestMarshalResponse(t *testing.T) {
	t.Parallel()
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":               {Data: json.RawMessage(`{"product":{"name":"Tea \u0026 <b>cups</b> > mugs","slug":"a\"b\\\\c"}}`)},
		"raw html and lines": {Data: json.RawMessage("{\"name\":\"a<b>&c \u2028 \u2029 \u2027 é\"}")},
		"extensions":         {Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"cost": map[string]any{"requested": 3, "actual": 2}, "a<b": "x&y"}},
		"errors":             {Data: json.RawMessage(`{"a":null}`), Errors: gqlerror.List{{Message: "no <such> thing", Extensions: map[string]any{"code": "NOT_FOUND"}}}},
		"null data":          {Errors: gqlerror.List{{Message: "refused"}}},
		"not compact":        {Data: json.RawMessage("{ \"a\" : [1, 2] }")},
		"incremental":        {Data: json.RawMessage(`{"a":1}`), HasNext: &yes, Label: "l"},
		"empty":              {},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(resp)
			require.NoError(t, err)
			got, err := marshalResponse(resp)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}
	want, _ := json.Marshal((*graphql.Response)(nil))
	got, err := marshalResponse(nil)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}
