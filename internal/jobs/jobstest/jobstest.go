// Package jobstest reads River's jobs for tests through River's own API,
// never its tables: rivertest's helpers for one kind's inserts, and these
// counts for tests that wait on many jobs.
package jobstest

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/jobs"
)

// States counts the jobs of the given kinds (every kind when none) by
// state.
func States(t testing.TB, c *jobs.Client, kinds ...string) map[rivertype.JobState]int {
	t.Helper()
	params := river.NewJobListParams().First(10_000)
	if len(kinds) > 0 {
		params = params.Kinds(kinds...)
	}
	res, err := c.JobList(context.Background(), params)
	require.NoError(t, err)
	out := map[rivertype.JobState]int{}
	for _, j := range res.Jobs {
		out[j.State]++
	}
	return out
}

// Unfinished is how many of the counted jobs may still run: neither
// completed, cancelled nor discarded.
func Unfinished(states map[rivertype.JobState]int) int {
	n := 0
	for s, c := range states {
		switch s {
		case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		default:
			n += c
		}
	}
	return n
}

// Total is how many jobs were counted.
func Total(states map[rivertype.JobState]int) int {
	n := 0
	for _, c := range states {
		n += c
	}
	return n
}
