package dbtest

import "strings"

// SearchScore is the tests' model of the documented search rule
// (catalog.Service.Search): a product matches a query when its name or
// description holds every word, the last also as the start of a longer
// one; its score is the words' tiers summed, a repeated word counted
// once, where a word's tier is 2 as the name's first word, 1 elsewhere in
// the name and 0 in the description. query, name and desc are already
// split into words as the index splits them. ok is false for a product
// the query does not match.
func SearchScore(query, name, desc []string) (score int, ok bool) {
	tierOf := func(match func(string) bool) int {
		best := -1
		for i, w := range name {
			if match(w) {
				best = max(best, map[bool]int{true: 2, false: 1}[i == 0])
			}
		}
		for _, w := range desc {
			if match(w) {
				best = max(best, 0)
			}
		}
		return best
	}
	seen := map[string]bool{}
	for i, w := range query {
		var tier int
		switch {
		case i == len(query)-1:
			tier = tierOf(func(x string) bool { return strings.HasPrefix(x, w) })
		case seen[w]:
			continue
		default:
			seen[w] = true
			tier = tierOf(func(x string) bool { return x == w })
		}
		if tier < 0 {
			return 0, false
		}
		score += tier
	}
	return score, true
}
