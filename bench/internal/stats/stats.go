// Package stats holds the load generators' shared arithmetic on
// latencies, so that every benchmark reports percentiles alike.
package stats

import (
	"math"
	"time"
)

// Percentile is the nearest-rank percentile p (0 < p ≤ 100) of sorted
// latencies: the smallest value with at least p % of them at or below it;
// zero for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
