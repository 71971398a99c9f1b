package checkout_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

// TestCanTransition is the contract's state-machine table, cell by cell.
func TestCanTransition(t *testing.T) {
	t.Parallel()
	legal := map[order.Status][]order.Status{
		order.StatusPENDING:   {order.StatusCONFIRMED, order.StatusCANCELLED},
		order.StatusCONFIRMED: {order.StatusSHIPPED, order.StatusCANCELLED},
		order.StatusSHIPPED:   {order.StatusDELIVERED},
		order.StatusDELIVERED: {order.StatusREFUNDED},
	}
	all := []order.Status{
		order.StatusPENDING, order.StatusCONFIRMED, order.StatusSHIPPED,
		order.StatusDELIVERED, order.StatusCANCELLED, order.StatusREFUNDED,
	}
	for _, s := range all {
		require.NoError(t, order.StatusValidator(s))
	}
	for _, from := range all {
		for _, to := range all {
			want := false
			for _, l := range legal[from] {
				want = want || l == to
			}
			require.Equal(t, want, checkout.CanTransition(from, to), "%s → %s", from, to)
		}
	}
}
