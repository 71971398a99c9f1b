package outbox_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/outbox"
)

func TestBackoffDelay(t *testing.T) {
	b := outbox.Backoff{Base: time.Second, Max: time.Minute}
	for _, tc := range []struct {
		retry    int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{6, 16 * time.Second, 32 * time.Second},
		{7, 30 * time.Second, time.Minute}, // capped
		{50, 30 * time.Second, time.Minute},
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.Delay(tc.retry)
			require.GreaterOrEqual(t, d, tc.min, "retry %d", tc.retry)
			require.LessOrEqual(t, d, tc.max, "retry %d", tc.retry)
			seen[d] = true
		}
		require.Greater(t, len(seen), 1, "retry %d has jitter", tc.retry)
	}
}
