package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// StringCache stores automatic persisted queries by hash. gqlgen's
// in-process LRU satisfies it, and so does the Redis cache that lets every
// replica know a query registered on one of them.
type StringCache interface {
	Get(ctx context.Context, key string) (string, bool)
	Add(ctx context.Context, key string, value string)
}

// LoadPersistedQueries reads the allow-list of registered documents: path
// is one .graphql file or a directory of them, and each file is one
// document, registered by the SHA-256 of its exact bytes (what a client
// sends as extensions.persistedQuery.sha256Hash). The contract's
// storefront.graphql and admin.graphql are documents of this kind: clients
// send the whole file with an operationName.
func LoadPersistedQueries(path string) (map[string]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("persisted queries: %w", err)
	}
	files := []string{path}
	if info.IsDir() {
		files, err = filepath.Glob(filepath.Join(path, "*.graphql"))
		if err != nil {
			return nil, fmt.Errorf("persisted queries: %w", err)
		}
		sort.Strings(files)
	}
	docs := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("persisted queries: %w", err)
		}
		docs[QueryHash(string(b))] = string(b)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("persisted queries: no .graphql documents in %s", path)
	}
	return docs, nil
}

// QueryHash is the SHA-256 hex digest of a document, as persisted-query
// clients compute it.
func QueryHash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// persistedOnly is the allow-list mode: only registered documents run,
// sent whole or by hash; anything else is PERSISTED_QUERY_NOT_FOUND, so a
// production storefront's endpoint cannot be used for arbitrary queries.
// It replaces automatic persisted queries, which would let any client
// register any document.
type persistedOnly struct {
	docs map[string]string
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedOnly{}

// ExtensionName implements graphql.HandlerExtension.
func (persistedOnly) ExtensionName() string { return "PersistedQueriesOnly" }

// Validate implements graphql.HandlerExtension.
func (persistedOnly) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters resolves a registered hash to its document and
// refuses unregistered documents.
func (p persistedOnly) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	hash := persistedHash(params.Extensions)
	if params.Query == "" {
		if doc, ok := p.docs[strings.ToLower(hash)]; ok && hash != "" {
			params.Query = doc
			return nil
		}
	} else if sum := QueryHash(params.Query); p.docs[sum] != "" && (hash == "" || strings.EqualFold(hash, sum)) {
		return nil
	}
	err := gqlerror.Errorf("PersistedQueryNotFound: only registered operations may run on this server")
	err.Extensions = map[string]any{"code": CodePersistedQueryNotFound}
	return err
}

func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}
