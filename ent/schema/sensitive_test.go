package schema

import (
	"regexp"
	"testing"

	"entgo.io/ent/entc/load"
	"entgo.io/ent/schema/field"
	"github.com/stretchr/testify/require"
)

// TestSecretsAreSensitive: every text field whose name says it holds a
// secret, a hash of one, a token or a password is Sensitive(), so ent
// never prints it and the audit log records it by name only
// (internal/audit). A content hash (an image's address) is public.
func TestSecretsAreSensitive(t *testing.T) {
	spec, err := (&load.Config{Path: "."}).Load()
	require.NoError(t, err)
	secret := regexp.MustCompile(`secret|hash|token|password|salt`)
	public := map[string]bool{"Media.content_hash": true}
	checked := 0
	for _, s := range spec.Schemas {
		for _, f := range s.Fields {
			name := s.Name + "." + f.Name
			if f.Info == nil || f.Info.Type != field.TypeString || !secret.MatchString(f.Name) || public[name] {
				continue
			}
			checked++
			require.True(t, f.Sensitive, "%s holds a secret: mark it Sensitive()", name)
		}
	}
	require.NotZero(t, checked)
}
