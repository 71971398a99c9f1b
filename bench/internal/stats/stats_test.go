package stats

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	require.Zero(t, Percentile(nil, 50))
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	require.Equal(t, 50*time.Millisecond, Percentile(ms(hundred...), 50))
	require.Equal(t, 99*time.Millisecond, Percentile(ms(hundred...), 99))
	require.Equal(t, 100*time.Millisecond, Percentile(ms(hundred...), 100))
	require.Equal(t, time.Millisecond, Percentile(ms(hundred...), 0), "p0 is the smallest")
	require.Equal(t, 7*time.Millisecond, Percentile(ms(7), 99))
	require.Equal(t, 2*time.Millisecond, Percentile(ms(1, 2, 3), 50))
	require.Equal(t, 3*time.Millisecond, Percentile(ms(1, 2, 3), 99))
}
