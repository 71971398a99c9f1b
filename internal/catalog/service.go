package catalog

import (
	"context"
	"fmt"
	"hash/fnv"

	"entgo.io/ent/dialect"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/inventory"
	"github.com/savannah-commerce/savannah/internal/money"
)

// Service carries out the catalogue's writes: the category tree, products
// and variants, and stock. Every method validates its whole input before
// writing, and runs as one unit: inside the caller's transaction (the one
// the GraphQL handler opens per mutation, found with ent.FromContext) under
// a savepoint, or else in a transaction of its own. A method that returns an
// *InputError has rolled back everything it wrote.
type Service struct {
	client    *ent.Client
	dialect   string
	currency  money.Currency
	inventory *inventory.Inventory
	// defaultTaxClass is the code of the store's default tax class,
	// which cannot be deleted (SetDefaultTaxClass).
	defaultTaxClass string
}

// NewService returns the catalogue service over client, whose database
// speaks dia (dialect.Postgres or dialect.SQLite): tree writes are
// serialised differently on each. Prices are read in cur, the store's
// currency.
func NewService(client *ent.Client, dia string, cur money.Currency) *Service {
	if dia != dialect.Postgres && dia != dialect.SQLite {
		panic(fmt.Sprintf("catalog: unsupported dialect %q", dia))
	}
	if cur.Code() == "" {
		panic("catalog: no store currency")
	}
	return &Service{client: client, dialect: dia, currency: cur, inventory: inventory.New(client)}
}

// SetDefaultTaxClass tells the service the code of the store's default
// tax class (TAX_DEFAULT_CLASS), so that DeleteTaxClass keeps it. Call it
// once, while wiring, before the service is used.
func (s *Service) SetDefaultTaxClass(code string) { s.defaultTaxClass = code }

// savepoint is the name of the savepoint a method runs under inside the
// caller's transaction. Reusing one name is fine: nested savepoints of the
// same name shadow each other on both databases.
const savepoint = "catalog_op"

// inTx runs fn as one unit of work with a transactional client, also put in
// the context that fn receives. When the context already carries a client,
// fn runs under a savepoint of that transaction, so a failed step (even a
// failed statement, which poisons a PostgreSQL transaction) is undone
// without undoing the caller's other work.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, c *ent.Client) error) error {
	return database.InUnit(ctx, s.client, savepoint, func(ctx context.Context) error {
		return fn(ctx, ent.FromContext(ctx))
	})
}

// treeLockKey names the PostgreSQL advisory lock that serialises changes to
// the shape of the category tree: the bytes "SVNCTREE", unlikely to collide
// with another feature's key.
const treeLockKey int64 = 0x53564e4354524545

// lockTree serialises writes that change the tree's shape (creating under a
// parent, moving, deleting) until the transaction ends. A move rewrites the
// paths of a whole subtree from the paths it reads; two moves that read
// before either writes could otherwise build a cycle or a stale path (A
// under B while B goes under A). Locking rows cannot cover this cheaply,
// because a move depends on every ancestor of its target as well as on its
// subtree, so the tree takes one transaction-scoped advisory lock. Tree
// writes are rare admin operations; reads never wait on it. SQLite has a
// single writer and a single connection, so it needs nothing more.
func (s *Service) lockTree(ctx context.Context, c *ent.Client) error {
	if s.dialect != dialect.Postgres {
		return nil
	}
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", treeLockKey); err != nil {
		return fmt.Errorf("lock category tree: %w", err)
	}
	return nil
}

// lockName serialises, on PostgreSQL, transactions that pick a value from
// what others have not yet committed, such as the next free slug for a
// name: two products named alike would otherwise both choose "name-2" and
// one would fail on the unique index. The lock is keyed by a hash of name
// and held until the transaction ends.
func (s *Service) lockName(ctx context.Context, c *ent.Client, name string) error {
	if s.dialect != dialect.Postgres {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}
