package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/inventory"
)

// Catalog caches anonymous catalogue answers. Every entry's key includes
// the catalogue version, and every committed write to a category, product
// or variant bumps the version (see InvalidateOnWrite), so a change is
// visible on the very next request; entries of old versions are never
// read again and age out. With Redis the version and the entries are
// shared by every replica, so a write on one replica invalidates all.
//
// Stock is versioned apart: a write that only moves stock
// (inventory.StockOnly: every reservation, release and shipment of an
// order) bumps the stock version alone. An answer that shows stock keys
// on both versions; one that does not survives every order.
type Catalog interface {
	// Version returns the current catalogue version.
	Version(ctx context.Context) (string, error)
	// Bump moves to a new version, orphaning every entry.
	Bump(ctx context.Context) error
	// StockVersion returns the current stock version.
	StockVersion(ctx context.Context) (string, error)
	// BumpStock moves to a new stock version, orphaning the entries that
	// show stock.
	BumpStock(ctx context.Context) error
	// Get returns the entry under key.
	Get(ctx context.Context, key string) ([]byte, bool)
	// Set stores an entry under key.
	Set(ctx context.Context, key string, value []byte)
	// TTL is how long an entry lives. It is also how long a shared HTTP
	// cache (a CDN) may keep an anonymous catalogue answer.
	TTL() time.Duration
}

// catalogTypes are the entities whose writes change what the catalogue
// shows; stock lives on the variant. A variant shows its tax class (and
// the class its rates), so renaming a class or changing a rate counts.
var catalogTypes = map[string]bool{
	ent.TypeCategory: true, ent.TypeProduct: true, ent.TypeProductVariant: true,
	ent.TypeTaxClass: true, ent.TypeTaxRate: true,
}

// InvalidateOnWrite registers a runtime hook on client so that every
// successful write to the catalogue, by any writer using this client
// (resolvers, services, the seed loader, tests), bumps the catalogue
// version, or only the stock version for a write that only moves stock:
// at once outside a transaction, after commit inside one, so that no
// reader caches the old rows under the new version.
func InvalidateOnWrite(client *ent.Client, c Catalog, log *slog.Logger) {
	bump := func(ctx context.Context, stock bool) {
		do := c.Bump
		if stock {
			do = c.BumpStock
		}
		if err := do(ctx); err != nil {
			// The write happened; only the cache may now be stale until
			// its entries expire. Say so loudly.
			log.ErrorContext(ctx, "catalogue cache invalidation failed", slog.Any("err", err))
		}
	}
	// One bump of each kind per transaction, after it commits, however
	// many rows it writes (a catalogue import writes thousands). Every
	// write in a transaction adds a commit hook (ent hands out a new
	// *ent.Tx per call, so there is no key to remember one by); at commit
	// the outermost hook of each kind marks the context, the others of
	// that kind see the mark and only pass the commit on, and the
	// outermost bumps once it succeeded.
	client.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil || !catalogTypes[m.Type()] {
				return v, err
			}
			stock := inventory.StockOnly(m)
			txm, ok := m.(interface{ Tx() (*ent.Tx, error) })
			if !ok {
				bump(ctx, stock)
				return v, nil
			}
			tx, terr := txm.Tx()
			if terr != nil {
				bump(ctx, stock) // not in a transaction: already committed
				return v, nil
			}
			mark := bumpingKey{stock: stock}
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					if ctx.Value(mark) != nil {
						return next.Commit(ctx, tx)
					}
					if err := next.Commit(context.WithValue(ctx, mark, true), tx); err != nil {
						return err
					}
					bump(context.WithoutCancel(ctx), stock)
					return nil
				})
			})
			return v, nil
		})
	})
}

// bumpingKey marks a commit whose outermost catalogue hook of a kind (a
// stock-only write or not) will bump that version once it succeeds.
type bumpingKey struct{ stock bool }

// Memory is a Catalog in the process, bounded in bytes: the least
// recently used entries go first.
type Memory struct {
	version  atomic.Int64
	stock    atomic.Int64
	maxBytes int
	ttl      time.Duration
	now      func() time.Time

	mu    sync.Mutex
	bytes int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type memEntry struct {
	key     string
	value   []byte
	expires time.Time
}

// NewMemory returns an in-process catalogue cache holding at most
// maxBytes of answers, each for at most ttl.
func NewMemory(maxBytes int, ttl time.Duration, now func() time.Time) *Memory {
	return &Memory{maxBytes: maxBytes, ttl: ttl, now: now, order: list.New(), items: map[string]*list.Element{}}
}

// TTL implements Catalog.
func (m *Memory) TTL() time.Duration { return m.ttl }

// Version implements Catalog.
func (m *Memory) Version(context.Context) (string, error) {
	return strconv.FormatInt(m.version.Load(), 10), nil
}

// StockVersion implements Catalog.
func (m *Memory) StockVersion(context.Context) (string, error) {
	return strconv.FormatInt(m.stock.Load(), 10), nil
}

// BumpStock implements Catalog; the entries showing stock are left to
// age out (least recently used first), the others stay.
func (m *Memory) BumpStock(context.Context) error {
	m.stock.Add(1)
	return nil
}

// Bump implements Catalog; in process the old entries are dropped at
// once to give their memory back.
func (m *Memory) Bump(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version.Add(1)
	m.order.Init()
	clear(m.items)
	m.bytes = 0
	return nil
}

// Get implements Catalog.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*memEntry)
	if m.now().After(e.expires) {
		m.remove(el)
		return nil, false
	}
	m.order.MoveToFront(el)
	return e.value, true
}

// Set implements Catalog. An answer larger than a quarter of the cache is
// not kept: it would evict everything else.
func (m *Memory) Set(_ context.Context, key string, value []byte) {
	size := len(key) + len(value)
	if size > m.maxBytes/4 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	m.items[key] = m.order.PushFront(&memEntry{key: key, value: value, expires: m.now().Add(m.ttl)})
	m.bytes += size
	for m.bytes > m.maxBytes {
		m.remove(m.order.Back())
	}
}

func (m *Memory) remove(el *list.Element) {
	e := m.order.Remove(el).(*memEntry)
	delete(m.items, e.key)
	m.bytes -= len(e.key) + len(e.value)
}

// Redis is a Catalog shared by every replica using the same Redis.
type Redis struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration
	log    *slog.Logger
}

// NewRedis returns a catalogue cache in Redis under prefix, entries kept
// for ttl.
func NewRedis(client redis.UniversalClient, prefix string, ttl time.Duration, log *slog.Logger) *Redis {
	return &Redis{client: client, prefix: prefix, ttl: ttl, log: log}
}

// TTL implements Catalog.
func (r *Redis) TTL() time.Duration { return r.ttl }

// Version implements Catalog. A missing version key reads as "0"; it is
// never expired, so versions only move forward.
func (r *Redis) Version(ctx context.Context) (string, error) {
	v, err := r.client.Get(ctx, r.prefix+"version").Result()
	if errors.Is(err, redis.Nil) {
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("catalogue cache version: %w", err)
	}
	return v, nil
}

// StockVersion implements Catalog, as Version does.
func (r *Redis) StockVersion(ctx context.Context) (string, error) {
	v, err := r.client.Get(ctx, r.prefix+"stock-version").Result()
	if errors.Is(err, redis.Nil) {
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("catalogue cache stock version: %w", err)
	}
	return v, nil
}

// BumpStock implements Catalog.
func (r *Redis) BumpStock(ctx context.Context) error {
	if err := r.client.Incr(ctx, r.prefix+"stock-version").Err(); err != nil {
		return fmt.Errorf("catalogue cache stock bump: %w", err)
	}
	return nil
}

// Bump implements Catalog.
func (r *Redis) Bump(ctx context.Context) error {
	if err := r.client.Incr(ctx, r.prefix+"version").Err(); err != nil {
		return fmt.Errorf("catalogue cache bump: %w", err)
	}
	return nil
}

// Get implements Catalog; a Redis failure is a miss.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool) {
	b, err := r.client.Get(ctx, r.prefix+"q:"+key).Bytes()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			r.log.WarnContext(ctx, "catalogue cache read failed", slog.Any("err", err))
		}
		return nil, false
	}
	return b, true
}

// Set implements Catalog; a failure is logged, as a cache may forget.
func (r *Redis) Set(ctx context.Context, key string, value []byte) {
	if err := r.client.Set(ctx, r.prefix+"q:"+key, value, r.ttl).Err(); err != nil {
		r.log.WarnContext(ctx, "catalogue cache write failed", slog.Any("err", err))
	}
}
