package viewer_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/viewer"
)

func TestSystemCarriesItsReason(t *testing.T) {
	ctx := context.Background()
	require.False(t, viewer.IsSystem(ctx))
	sys := viewer.System(ctx, "checkout: reserve stock")
	reason, ok := viewer.SystemReason(sys)
	require.True(t, ok)
	require.Equal(t, "checkout: reserve stock", reason)
	reason, _ = viewer.SystemReason(viewer.System(ctx, ""))
	require.Equal(t, "unnamed", reason, "a missing reason is still a system context, and says so")
}

func TestAsShopper(t *testing.T) {
	staff := viewer.With(context.Background(), viewer.Viewer{CustomerID: 7, Role: viewer.Staff})
	for name, tc := range map[string]struct {
		ctx  context.Context
		want *viewer.Viewer
	}{
		"anonymous":       {context.Background(), nil},
		"system":          {viewer.System(context.Background(), "test"), nil},
		"customer":        {viewer.With(context.Background(), viewer.Viewer{CustomerID: 3, Role: viewer.Customer}), &viewer.Viewer{CustomerID: 3, Role: viewer.Customer}},
		"staff":           {staff, &viewer.Viewer{CustomerID: 7, Role: viewer.Customer}},
		"staff as system": {viewer.System(staff, "test"), &viewer.Viewer{CustomerID: 7, Role: viewer.Customer}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := viewer.AsShopper(tc.ctx)
			require.False(t, viewer.IsSystem(ctx))
			v, ok := viewer.From(ctx)
			require.Equal(t, tc.want != nil, ok)
			if tc.want != nil {
				require.Equal(t, *tc.want, v)
			}
		})
	}
}
