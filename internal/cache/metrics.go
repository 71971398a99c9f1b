package cache

import "github.com/prometheus/client_golang/prometheus"

// Requests counts the catalogue queries the cache was asked about
// (savannah_catalog_cache_requests_total): result "hit" for an answer
// served from the cache, "miss" for one the resolvers computed (not
// cached yet, orphaned by a write, or asked by a signed-in viewer, whose
// answers are never cached). A nil *Requests counts nothing.
type Requests struct {
	hit, miss prometheus.Counter
}

// NewRequests registers the counter with reg.
func NewRequests(reg prometheus.Registerer) *Requests {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "savannah_catalog_cache_requests_total",
		Help: "Catalogue queries by how the catalogue cache answered them: hit (from the cache) or miss (computed: not cached, invalidated by a write, or a signed-in viewer's).",
	}, []string{"result"})
	reg.MustRegister(v)
	return &Requests{hit: v.WithLabelValues("hit"), miss: v.WithLabelValues("miss")}
}

// Hit counts an answer served from the cache.
func (r *Requests) Hit() {
	if r != nil {
		r.hit.Inc()
	}
}

// Miss counts an answer the resolvers computed.
func (r *Requests) Miss() {
	if r != nil {
		r.miss.Inc()
	}
}
