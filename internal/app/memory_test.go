package app_test

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/app"
)

// TestTuneGC: without GOGC the target is DefaultGCPercent; with GOGC set
// it is left as the runtime read it.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	app.TuneGC(func(string) string { return "" })
	require.Equal(t, app.DefaultGCPercent, debug.SetGCPercent(100))

	app.TuneGC(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	require.Equal(t, 100, debug.SetGCPercent(100))
}
