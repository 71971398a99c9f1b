package cost_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/savannah-commerce/savannah/internal/cost"
	"github.com/savannah-commerce/savannah/internal/cost/costtest"
)

// fuzzLimits are the server's default limits.
func fuzzLimits() cost.Limits {
	return cost.Limits{Cost: 1000, Depth: 15, Aliases: 30, RootFields: 10, Fields: 2000, WhereDepth: 5, WhereTerms: 100}
}

// measureFast measures every operation of a document that parses and
// validates, with variables coerced as the server coerces them, and fails
// when one takes more than a generous bound: the measure is linear in the
// document, which the fuzzer keeps small.
func measureFast(t *testing.T, s *ast.Schema, src string, vars map[string]any) {
	doc, err := parser.ParseQuery(&ast.Source{Input: src})
	if err != nil || len(validator.ValidateWithRules(s, doc, nil)) > 0 {
		return
	}
	for _, op := range doc.Operations {
		coerced, err := validator.VariableValues(s, op, vars)
		if err != nil {
			continue
		}
		start := time.Now()
		m := cost.DefaultModel()
		for _, lim := range []cost.Limits{fuzzLimits(), {}} {
			_, err := m.Measure(s, op, coerced, lim)
			var excess *cost.Excess
			if err != nil && !errors.As(err, &excess) {
				t.Fatalf("Measure: %v", err)
			}
			if err != nil && excess.Error() == "" {
				t.Fatal("an excess without a message")
			}
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("measured in %s", d)
		}
	}
}

// FuzzMeasure: any document that validates against the served schema is
// measured without a panic, fast, and with or without limits.
func FuzzMeasure(f *testing.F) {
	s := schema(f)
	f.Add(`{ products(first: 5) { edges { node { id variants { id } } } } }`, `{}`)
	f.Add(costtest.Doubling(40, false), `{}`)
	f.Add(costtest.Doubling(40, true), `{}`)
	f.Add(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, `{"ids": ["a", "b"]}`)
	f.Add(`query($f: Int) { products(first: $f) { totalCount } }`, `{"f": 9223372036854775807}`)
	f.Fuzz(func(t *testing.T, src, vars string) {
		var v map[string]any
		if json.Unmarshal([]byte(vars), &v) != nil {
			v = nil
		}
		measureFast(t, s, src, v)
	})
}

// FuzzWhereBounds: any where variable is either refused as input, naming
// the argument, or within the bounds, and never panics the measure.
func FuzzWhereBounds(f *testing.F) {
	s := schema(f)
	op := document(f, s, `query($w: ProductWhereInput) { products(first: 1, where: $w) { totalCount } }`).Operations[0]
	for _, w := range []map[string]any{nestedWhere(3, true), nestedWhere(40, true), wideWhere(3), wideWhere(200), {"nameIn": []any{"a", "b"}}} {
		b, err := json.Marshal(w)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, where string) {
		var w any
		if json.Unmarshal([]byte(where), &w) != nil {
			return
		}
		vars, err := validator.VariableValues(s, op, map[string]any{"w": w})
		if err != nil {
			return
		}
		sh, err := cost.DefaultModel().Measure(s, op, vars, fuzzLimits())
		var excess *cost.Excess
		switch {
		case err == nil:
			if sh.Cost < 2 {
				t.Fatalf("cost %d below the connection's own", sh.Cost)
			}
		case !errors.As(err, &excess):
			t.Fatalf("Measure: %v", err)
		case excess.Limit != cost.LimitWhereDepth && excess.Limit != cost.LimitWhereTerms && excess.Limit != cost.LimitCost:
			t.Fatalf("unexpected limit: %v", err)
		case excess.Input() && excess.Arg != "where":
			t.Fatalf("the excess names %q", excess.Arg)
		}
	})
}
