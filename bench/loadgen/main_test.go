package main

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"http://127.0.0.1:18080/graphql", "http://localhost:8080/graphql", "http://[::1]:80/graphql", "http://127.9.9.9/"} {
		_, err := loopbackURL(ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{"http://203.0.113.1/graphql", "http://shop.example.com/graphql", "http://0.0.0.0:80/", "http://10.0.0.1/"} {
		_, err := loopbackURL(bad)
		require.Error(t, err, bad)
	}
}

// TestDriveIsBounded: a run stops at its request bound long before its
// duration, and counts what it did.
func TestDriveIsBounded(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	start := time.Now()
	res := drive(4, time.Minute, 1000, func(i int) error {
		calls.Add(1)
		if i%10 == 0 {
			return errAnswer
		}
		return nil
	})
	require.Less(t, time.Since(start), 30*time.Second)
	require.Equal(t, int64(1000), calls.Load())
	require.Equal(t, 900, res.ok)
	require.Equal(t, 100, res.failed)
	require.LessOrEqual(t, res.p50, res.p99)
}
