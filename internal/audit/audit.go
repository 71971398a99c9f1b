// Package audit keeps the audit log: every mutation by staff or an API
// client leaves an AuditEntry row, written in the transaction of the
// change, so a rolled-back mutation leaves none and a committed one cannot
// lose its row.
//
// Three pieces, each wired once: Start (the GraphQL layer, per mutation
// operation) puts a Recorder in the request's context when its viewer is
// audited; Field (the GraphQL layer, around each root mutation field)
// says which field the writes belong to and whether it succeeded; the ent
// hook that Register adds (internal/app.NewClient) collects what every
// write of the request changed and, when its transaction commits, writes
// the rows just before the commit. Fields' values are kept except for the
// schema's Sensitive() fields (ent.SensitiveField): passwords, secrets,
// tokens and hashes appear by name only.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/auditentry"
	"github.com/savannah-commerce/savannah/ent/schema/schematype"
	"github.com/savannah-commerce/savannah/internal/globalid"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// maxValue bounds one field's recorded value (JSON text); longer values
// are cut and marked. maxChanges bounds the writes a row describes field
// by field (a bulk write of thousands of vouchers); the rest add their
// IDs to the row's targets only.
const (
	maxValue   = 500
	maxChanges = 100
)

// Audited reports whether v's mutations are audited: staff, admins and
// API clients; customers' own changes and anonymous requests are not.
func Audited(v viewer.Viewer) bool {
	return v.Client != "" || v.Has(viewer.Staff)
}

// Recorder collects one request's audited writes.
type Recorder struct {
	actor     viewer.Viewer
	operation string
	addr      string

	mu      sync.Mutex
	fields  []*fieldRecord
	current *fieldRecord
	hooked  map[*ent.Tx]bool
}

// fieldRecord is one root mutation field and the writes it made.
type fieldRecord struct {
	name string
	// tx is the transaction the field ran in (the per-mutation one), or
	// nil for fields that open their own (noTx in graph/handler.go).
	tx      *ent.Tx
	done    bool
	failed  bool
	written bool
	changes []change
}

type change struct {
	tx      *ent.Tx
	c       schematype.AuditChange
	ids     []string
	written bool
}

type recorderKey struct{}

// Start returns ctx recording the writes of a mutation operation named
// operation (as the client named it) from the client address addr, when
// the viewer of ctx is audited; otherwise ctx unchanged.
func Start(ctx context.Context, operation, addr string) context.Context {
	v, ok := viewer.From(ctx)
	if !ok || !Audited(v) {
		return ctx
	}
	return context.WithValue(ctx, recorderKey{}, &Recorder{actor: v, operation: operation, addr: addr, hooked: map[*ent.Tx]bool{}})
}

func from(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

// Field marks the start of root mutation field name; the returned func
// marks its end, failed when it returned an error or userErrors (then
// nothing it wrote is recorded: its writes were undone). When the field
// runs in a transaction (the per-mutation one), its row is written at that
// transaction's commit even if it wrote nothing.
func Field(ctx context.Context, name string) func(failed bool) {
	r := from(ctx)
	if r == nil {
		return func(bool) {}
	}
	f := &fieldRecord{name: name, tx: ent.TxFromContext(ctx)}
	r.mu.Lock()
	r.fields = append(r.fields, f)
	r.current = f
	r.mu.Unlock()
	if f.tx != nil {
		r.hook(f.tx)
	}
	return func(failed bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		f.done, f.failed = true, failed
		if r.current == f {
			r.current = nil
		}
	}
}

// hook makes the transaction key stands for write the rows of its writes
// before it commits (once per key). A key is the *ent.Tx the context
// carries (ent.TxFromContext): the generated Tx() of a mutation returns a
// fresh *ent.Tx each time, over the same transaction, so it cannot tell
// two writes of one transaction apart from writes of two.
func (r *Recorder) hook(key *ent.Tx) {
	r.mu.Lock()
	seen := r.hooked[key]
	r.hooked[key] = true
	r.mu.Unlock()
	if seen {
		return
	}
	key.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := r.write(ctx, tx.Client(), key); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			return next.Commit(ctx, tx)
		})
	})
}

// write writes, with client, one row per field that has writes in the
// transaction key stands for or that ran in it and succeeded.
func (r *Recorder) write(ctx context.Context, client *ent.Client, key *ent.Tx) error {
	type row struct {
		field   string
		targets []string
		changes []schematype.AuditChange
	}
	var rows []row
	r.mu.Lock()
	for _, f := range r.fields {
		if f.failed {
			continue
		}
		var rw row
		rw.field = f.name
		for i := range f.changes {
			c := &f.changes[i]
			if c.tx != key || c.written {
				continue
			}
			c.written = true
			if len(rw.changes) < maxChanges {
				rw.changes = append(rw.changes, c.c)
			}
			for _, id := range c.ids {
				if !slices.Contains(rw.targets, id) {
					rw.targets = append(rw.targets, id)
				}
			}
		}
		ranHere := f.tx != nil && f.tx == key && f.done && !f.written
		if len(rw.changes) == 0 && !ranHere {
			continue
		}
		if f.tx == key {
			f.written = true
		}
		rows = append(rows, rw)
	}
	r.mu.Unlock()
	sys := viewer.System(ctx, "audit: record a mutation")
	for _, rw := range rows {
		c := client.AuditEntry.Create().
			SetField(rw.field).
			SetOperation(r.operation).
			SetTargetIds(nonNil(rw.targets)).
			SetChanges(rw.changes).
			SetClientAddr(r.addr).
			SetActorClient(r.actor.Client).
			SetActorRole(string(r.actor.Role))
		if r.actor.Client == "" {
			c.SetActorCustomerID(r.actor.CustomerID)
		}
		if err := c.Exec(sys); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Register adds to client the hook that collects every audited write.
// Writes outside an audited request, and the audit rows themselves, are
// left alone.
func Register(client *ent.Client) {
	client.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			r := from(ctx)
			if r == nil || m.Type() == "AuditEntry" {
				return next.Mutate(ctx, m)
			}
			c := summarize(m)
			var ids []int
			if op := m.Op(); op.Is(ent.OpUpdate) || op.Is(ent.OpDelete) {
				bulk, ok := m.(interface {
					IDs(context.Context) ([]int, error)
				})
				if !ok {
					return nil, fmt.Errorf("audit: %T cannot list its rows", m)
				}
				var err error
				if ids, err = bulk.IDs(viewer.System(ctx, "audit: find the rows a write changes")); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			if one, ok := m.(interface{ ID() (int, bool) }); ok && ids == nil {
				if id, ok := one.ID(); ok {
					ids = []int{id}
				}
			}
			for _, id := range ids {
				c.IDs = append(c.IDs, globalid.Encode(id))
			}
			if err := r.add(ctx, m, c); err != nil {
				return v, err
			}
			return v, nil
		})
	})
}

func (r *Recorder) add(ctx context.Context, m ent.Mutation, c schematype.AuditChange) error {
	var tx *ent.Tx
	if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
		if own, err := txm.Tx(); err == nil {
			tx = ent.TxFromContext(ctx)
			if tx == nil {
				tx = own // a transaction ctx does not name: a key of its own
			}
		}
	}
	r.mu.Lock()
	f := r.current
	if f == nil {
		// A write after its field returned (a payload's resolver, say)
		// belongs to the field before it; one before any field (none
		// writes there) gets a row of its own.
		if n := len(r.fields); n > 0 {
			f = r.fields[n-1]
		} else {
			f = &fieldRecord{name: "(operation)", done: true}
			r.fields = append(r.fields, f)
		}
	}
	f.changes = append(f.changes, change{tx: tx, c: c, ids: c.IDs})
	r.mu.Unlock()
	if tx == nil {
		// Not in a transaction: the write is done; its row follows at
		// once.
		return r.write(ctx, m.(interface{ Client() *ent.Client }).Client(), nil)
	}
	r.hook(tx)
	return nil
}

// summarize describes what m sets and clears, values of Sensitive()
// fields left out.
func summarize(m ent.Mutation) schematype.AuditChange {
	c := schematype.AuditChange{Type: m.Type(), Op: opName(m.Op())}
	for _, name := range m.Fields() {
		fc := schematype.AuditFieldChange{Name: name}
		if ent.SensitiveField(m.Type(), name) {
			fc.Redacted = true
		} else if v, ok := m.Field(name); ok {
			fc.Value = encode(v)
		}
		c.Fields = append(c.Fields, fc)
	}
	for _, name := range m.ClearedFields() {
		c.Fields = append(c.Fields, schematype.AuditFieldChange{Name: name, Cleared: true})
	}
	for _, e := range m.AddedEdges() {
		var ids []string
		for _, id := range m.AddedIDs(e) {
			if n, ok := id.(int); ok {
				ids = append(ids, globalid.Encode(n))
			}
		}
		c.Fields = append(c.Fields, schematype.AuditFieldChange{Name: e, Value: encode(ids)})
	}
	for _, e := range m.RemovedEdges() {
		c.Fields = append(c.Fields, schematype.AuditFieldChange{Name: e, Cleared: true})
	}
	for _, e := range m.ClearedEdges() {
		c.Fields = append(c.Fields, schematype.AuditFieldChange{Name: e, Cleared: true})
	}
	return c
}

func encode(v any) *string {
	b, err := json.Marshal(v)
	if err != nil {
		s := fmt.Sprintf("%q", fmt.Sprint(v))
		return &s
	}
	s := string(b)
	if len(s) > maxValue {
		s = s[:maxValue] + "…"
	}
	return &s
}

func opName(op ent.Op) string {
	switch {
	case op.Is(ent.OpCreate):
		return "CREATE"
	case op.Is(ent.OpDelete) || op.Is(ent.OpDeleteOne):
		return "DELETE"
	default:
		return "UPDATE"
	}
}

// Filter narrows the audit log (Query); zero fields do not.
type Filter struct {
	// ActorCustomerID is a staff member's customer ID.
	ActorCustomerID int
	// ActorClient is an API client's client_id.
	ActorClient string
	// Operation is a root mutation field or an operation name.
	Operation string
	// Target is a global ID the entry wrote.
	Target string
	// Since and Until bound the time: Since <= created_at < Until.
	Since, Until time.Time
}

// Query returns the entries f selects, through client (so through the
// privacy rules: only a viewer holding settings:manage reads any).
func Query(client *ent.Client, f Filter) *ent.AuditEntryQuery {
	q := client.AuditEntry.Query()
	if f.ActorCustomerID != 0 {
		q.Where(auditentry.ActorCustomerID(f.ActorCustomerID))
	}
	if f.ActorClient != "" {
		q.Where(auditentry.ActorClient(f.ActorClient))
	}
	if f.Operation != "" {
		q.Where(auditentry.Or(auditentry.Field(f.Operation), auditentry.Operation(f.Operation)))
	}
	if f.Target != "" {
		q.Where(func(s *sql.Selector) {
			s.Where(sqljson.ValueContains(auditentry.FieldTargetIds, f.Target))
		})
	}
	if !f.Since.IsZero() {
		q.Where(auditentry.CreatedAtGTE(f.Since))
	}
	if !f.Until.IsZero() {
		q.Where(auditentry.CreatedAtLT(f.Until))
	}
	return q
}
