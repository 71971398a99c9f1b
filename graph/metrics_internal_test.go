package graph

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOperationNamesBounded: names beyond the first few, invalid or too
// long, or never validated take the shared "other" label; registered
// documents' names are known from the start.
func TestOperationNamesBounded(t *testing.T) {
	t.Parallel()
	n := &operationNames{known: map[string]bool{}, max: 3}
	n.preload(map[string]string{"h": "query Registered { __typename } mutation AlsoRegistered { __typename }"})
	require.Equal(t, "Registered", n.label("Registered", false))
	require.Equal(t, "AlsoRegistered", n.label("AlsoRegistered", false))
	require.Equal(t, "anonymous", n.label("", true))
	require.Equal(t, "other", n.label("NotValidated", false))
	require.Equal(t, "First", n.label("First", true))
	for i := range 10 {
		require.Equal(t, "other", n.label(fmt.Sprintf("Flood%d", i), true))
	}
	require.Equal(t, "First", n.label("First", false), "an admitted name keeps its label")
	require.Equal(t, "other", n.label(strings.Repeat("x", 65), true))
	require.Equal(t, "other", n.label("has space", true))
	require.Equal(t, "other", n.label("9starts", true))
	require.Len(t, n.known, 3)

	require.Equal(t, "QUERY_TOO_COMPLEX", errorCodeLabel("QUERY_TOO_COMPLEX"))
	require.Equal(t, "NONE", errorCodeLabel(""))
	require.Equal(t, "other", errorCodeLabel("free text from somewhere"))
}
