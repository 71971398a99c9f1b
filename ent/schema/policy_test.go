package schema

import (
	"testing"

	"entgo.io/ent/entc/load"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/schema/access"
)

// TestEveryEntityHasAPolicy loads the schema as ent's code generator does
// and fails for an entity without a privacy policy (it must mix in Base),
// without a read rule (access.Of) or without a write rule (writeRuleOf):
// each would leave the entity open or, through Base, closed to everyone
// but the system without anyone having decided so.
func TestEveryEntityHasAPolicy(t *testing.T) {
	spec, err := (&load.Config{Path: "."}).Load()
	require.NoError(t, err)
	require.NotEmpty(t, spec.Schemas)
	for _, s := range spec.Schemas {
		require.NotEmpty(t, s.Policy, "%s has no privacy policy: mix in Base", s.Name)
		mixedIn := false
		for _, p := range s.Policy {
			mixedIn = mixedIn || p.MixedIn
		}
		require.True(t, mixedIn, "%s's policy must come from the Base mixin", s.Name)
		_, ok := access.Of(s.Name)
		require.True(t, ok, "%s has no read rule in access.Of", s.Name)
		_, ok = writeRuleOf(s.Name)
		require.True(t, ok, "%s has no write rule in writeRuleOf", s.Name)
	}
}

// TestUnknownEntityIsClosed: an entity nobody wrote rules for is read
// and written by nobody but the system.
func TestUnknownEntityIsClosed(t *testing.T) {
	_, ok := access.Of("Unknown")
	require.False(t, ok)
	_, ok = writeRuleOf("Unknown")
	require.False(t, ok)
}
