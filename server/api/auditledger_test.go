package api_test

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/savannah-commerce/savannah/internal/audit"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// auditLedger makes "every staff mutation leaves an audit row" a property
// of the whole suite: the harness counts, per root mutation field, the
// calls made with an audited viewer's token that succeeded (no errors, no
// userErrors), and when the store is cleaned up there must be at least as
// many audit rows of that field. A mutation path that bypasses
// internal/audit fails whichever test used it.
type auditLedger struct {
	mu   sync.Mutex
	sent map[string]int
}

// noteAudited counts the successful root fields of a mutation sent with an
// audited viewer's token.
func (s *store) noteAudited(query, opName string, out gqlResponse) {
	if s.bearer == "" || s.audited == nil || len(out.Errors) > 0 {
		return
	}
	v, err := s.tokens.Verify(s.bearer)
	if err != nil || !audit.Audited(v) {
		return
	}
	doc, perr := parser.ParseQuery(&ast.Source{Input: query})
	if perr != nil {
		return
	}
	op := doc.Operations.ForName(opName)
	if op == nil && len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	if op == nil || op.Operation != ast.Mutation {
		return
	}
	var data map[string]json.RawMessage
	_ = json.Unmarshal(out.Data, &data)
	s.audited.mu.Lock()
	defer s.audited.mu.Unlock()
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name == "__typename" {
			continue
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		var payload struct {
			UserErrors []json.RawMessage `json:"userErrors"`
		}
		_ = json.Unmarshal(data[key], &payload)
		if len(payload.UserErrors) == 0 {
			s.audited.sent[f.Name]++
		}
	}
}

// checkAudited fails the test when a root mutation field has fewer audit
// rows than successful audited calls.
func (s *store) checkAudited() {
	s.audited.mu.Lock()
	defer s.audited.mu.Unlock()
	if len(s.audited.sent) == 0 {
		return
	}
	rows, err := s.client.AuditEntry.Query().All(viewer.System(context.Background(), "test: count audit rows"))
	if err != nil {
		s.t.Errorf("audit ledger: reading the audit log: %v", err)
		return
	}
	written := map[string]int{}
	for _, r := range rows {
		written[r.Field]++
	}
	for field, n := range s.audited.sent {
		if written[field] < n {
			s.t.Errorf("audit ledger: %d successful staff/API-client calls of %s left %d audit rows: a mutation path bypasses internal/audit", n, field, written[field])
		}
	}
}
