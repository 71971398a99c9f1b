package cdn

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/globalid"
)

// Only global IDs in "id" fields become tags, sorted after "catalog";
// too many for the header leave "catalog" alone.
func TestSetTags(t *testing.T) {
	h := http.Header{}
	a, b := globalid.Encode(7), globalid.Encode(3)
	SetTags(h, []byte(`{"data":{"p":{"id":"`+a+`","name":"id","x":{"id":"not an id"},"v":[{"id":"`+b+`"},{"id":"`+a+`"}]}}}`))
	require.Equal(t, "catalog "+b+" "+a, h.Get("Surrogate-Key"))
	require.Equal(t, "catalog,"+b+","+a, h.Get("Cache-Tag"))

	var nodes []map[string]string
	for i := 1; i <= MaxTagHeader/11; i++ {
		nodes = append(nodes, map[string]string{"id": globalid.Encode(i)})
	}
	body, err := json.Marshal(map[string]any{"data": nodes})
	require.NoError(t, err)
	SetTags(h, body)
	require.Equal(t, "catalog", h.Get("Surrogate-Key"))
	require.Equal(t, "catalog", h.Get("Cache-Tag"))
}

// A job sends its tags 30 a request; a refusal fails the attempt.
func TestWorker(t *testing.T) {
	var mu sync.Mutex
	var got [][]string
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Tags []string }
		if json.NewDecoder(r.Body).Decode(&body) != nil || r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, body.Tags)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	w := NewWorker(WorkerConfig{URL: srv.URL, Token: "tok"})
	tags := strings.Fields(strings.Repeat("t ", 31))
	require.NoError(t, w.Work(context.Background(), &river.Job[PurgeArgs]{Args: PurgeArgs{Tags: tags}}))
	require.Len(t, got, 2)
	require.Len(t, got[0], 30)
	require.Len(t, got[1], 1)

	mu.Lock()
	status = http.StatusForbidden
	mu.Unlock()
	require.ErrorContains(t, w.Work(context.Background(), &river.Job[PurgeArgs]{Args: PurgeArgs{Tags: tags[:1]}}), "403")
}
