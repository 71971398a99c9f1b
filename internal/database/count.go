package database

import (
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// CountingDriver is an instrumented driver that counts and keeps the
// statements it runs. Tests use it to hold queries to a statement budget,
// so an N+1 regression fails.
type CountingDriver struct {
	*instrumented
	n   atomic.Int64
	mu  sync.Mutex
	log []string
}

// NewCountingDriver wraps drv.
func NewCountingDriver(drv dialect.Driver) *CountingDriver {
	d := &CountingDriver{}
	d.instrumented = instrument(drv, []Hook{Observe(d.record)})
	return d
}

// Count is the number of statements run since the last Reset.
func (d *CountingDriver) Count() int64 { return d.n.Load() }

// Statements returns the statements run since the last Reset, for
// failure messages.
func (d *CountingDriver) Statements() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.log...)
}

// Reset sets the count back to zero.
func (d *CountingDriver) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n.Store(0)
	d.log = nil
}

func (d *CountingDriver) record(query string) {
	d.n.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = append(d.log, query)
}
