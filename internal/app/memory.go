package app

import "runtime/debug"

// DefaultGCPercent is the garbage collector's target the server runs with
// when GOGC is not set: the heap may grow to 1.5 times the live data
// between collections instead of Go's default twice. The store's live
// heap is small (about 20 MB, most of it the password-strength
// dictionaries), and its requests make short-lived garbage, so Go's
// default let the anonymous memory reach some 58 MB under the
// 200,000-product benchmark; 50 keeps it near 45 MB for a few per cent
// more CPU. GOGC and GOMEMLIMIT, when set, are the Go runtime's as usual.
const DefaultGCPercent = 50

// TuneGC sets the collector's target to DefaultGCPercent unless the
// environment sets GOGC.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
