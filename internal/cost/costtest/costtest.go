// Package costtest builds the attack documents that the cost analysis
// must refuse in linear time, for the tests of internal/cost and of the
// HTTP handler.
package costtest

import (
	"fmt"
	"strings"
)

// Doubling is a document of n fragments, each spreading the next one
// twice: about 40 bytes a level (1.6 KB at 40), 2^n fields once expanded.
// below puts it under a field (fragments on Category, only scalars at the
// bottom, so that its cost stays tiny); otherwise it is at the root.
func Doubling(n int, below bool) string {
	var b strings.Builder
	typ, leaf := "Query", "categoryTree { id }"
	if below {
		typ, leaf = "Category", "id name"
		b.WriteString("query { categoryTree { ...F0 } }\n")
	} else {
		b.WriteString("query { ...F0 }\n")
	}
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, typ, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on %s { %s }\n", n, typ, leaf)
	return b.String()
}
