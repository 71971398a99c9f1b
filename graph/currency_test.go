package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/money"
)

// TestCurrencyCodeEnum: the schema's CurrencyCode enum can show every
// currency a store may be configured in (internal/money decides which),
// and nothing else.
func TestCurrencyCodeEnum(t *testing.T) {
	t.Parallel()
	var enum []string
	for _, c := range model.AllCurrencyCode {
		enum = append(enum, string(c))
	}
	require.ElementsMatch(t, money.Supported(), enum)
}
