package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// graphql posts a query to a running server with an optional bearer token
// and returns its data, failing on any error.
func (r *running) graphql(t *testing.T, token, query string, vars map[string]any) json.RawMessage {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, r.base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Empty(t, out.Errors)
	return out.Data
}

const (
	backupAdmin    = "backup-admin@example.com"
	backupPassword = "correct horse battery"
	catalogueQuery = `{
		categoryTree { id slug name children { id slug name children { id slug } } }
		products(first: 100) { totalCount edges { cursor node { id slug name category { id }
			variants { id sku price { amount currencyCode } quantityAvailable } } } } }`
	ordersQuery = `query($after: Cursor) { orders(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node {
		id number status placedAt phone total { amount currencyCode } lines { sku quantity } } } } }`
)

// storeAnswers signs in as the admin and returns what the store answers
// for the catalogue and for its orders (by ID).
func storeAnswers(t *testing.T, r *running) (catalogue string, orders map[string]string) {
	t.Helper()
	var login struct {
		Login struct{ Token struct{ AccessToken string } }
	}
	require.NoError(t, json.Unmarshal(r.graphql(t, "", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { accessToken } } }`,
		map[string]any{"e": backupAdmin, "p": backupPassword}), &login))
	token := login.Login.Token.AccessToken
	require.NotEmpty(t, token)

	orders = map[string]string{}
	total := 0
	for after := any(nil); ; {
		var page struct {
			Orders struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node json.RawMessage }
			}
		}
		require.NoError(t, json.Unmarshal(r.graphql(t, token, ordersQuery, map[string]any{"after": after}), &page))
		for _, e := range page.Orders.Edges {
			var id struct{ ID string }
			require.NoError(t, json.Unmarshal(e.Node, &id))
			orders[id.ID] = string(e.Node)
		}
		total = page.Orders.TotalCount
		if !page.Orders.PageInfo.HasNextPage {
			break
		}
		after = page.Orders.PageInfo.EndCursor
	}
	require.Len(t, orders, total)
	return string(r.graphql(t, "", catalogueQuery, nil)), orders
}

// TestBackupUnderWriteLoadRestores: a backup taken while orders are being
// written restores into a fresh database whose store serves the same
// catalogue and exactly the orders committed before the backup's
// snapshot, and goes on taking orders. SQLite restores by copying the
// file `server backup` wrote; PostgreSQL by pg_restore of its dump.
func TestBackupUnderWriteLoadRestores(t *testing.T) {
	t.Parallel()
	for _, b := range dbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			var pgRestore string
			if b.Name == "postgres" {
				var err error
				if pgRestore, err = exec.LookPath("pg_restore"); err != nil {
					t.Skip("pg_dump and pg_restore are not installed")
				}
			}
			ctx := context.Background()
			// Unmetered: the test reads every order, page after page.
			env := map[string]string{"DATABASE_URL": b.URL, "SEED_DEMO": "false", "RATE_LIMIT_ENABLED": "false"}
			for _, args := range [][]string{
				{"migrate"},
				{"seed", "--catalog", "../internal/seed/demo.json"},
				{"create-admin", "--email", backupAdmin, "--password", backupPassword},
			} {
				require.NoError(t, run(ctx, args, envOf(env), io.Discard), "%v", args)
			}
			client := dbtest.Open(t, b.URL).Client()
			for range 3 {
				placeOrder(t, client, "+254700000001")
			}

			// Writers commit orders before, during and after the backup.
			var written atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := writeOrder(client, "+254700000002"); err != nil {
							errs <- err
							return
						}
						written.Add(1)
					}
				}()
			}
			waitFor := func(n int64) {
				require.Eventually(t, func() bool { return written.Load() >= n }, 30*time.Second, time.Millisecond)
			}
			waitFor(4)
			before := 3 + written.Load() // committed before the backup began

			dir := t.TempDir()
			file := filepath.Join(dir, "savannah.backup")
			require.NoError(t, run(ctx, []string{"backup", "--out", file}, envOf(env), io.Discard))
			err := run(ctx, []string{"backup", "--out", file}, envOf(env), io.Discard)
			require.ErrorIs(t, err, database.ErrBackupExists, "a backup never overwrites another")
			after := written.Load() + 4
			waitFor(after)
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}

			// Restore into a fresh database.
			var restored string
			if b.Name == "sqlite" {
				data, err := os.ReadFile(file)
				require.NoError(t, err)
				path := filepath.Join(dir, "restored.db")
				require.NoError(t, os.WriteFile(path, data, 0o600))
				restored = "sqlite://" + path
			} else {
				restored = dbtest.Backends(t)[1].URL
				out, err := exec.Command(pgRestore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+restored, file).CombinedOutput()
				require.NoError(t, err, "%s", out)
			}

			src := startServe(t, env, "--role", "api")
			dst := startServe(t, map[string]string{"DATABASE_URL": restored, "SEED_DEMO": "false", "RATE_LIMIT_ENABLED": "false"}, "--role", "api")
			srcCatalogue, srcOrders := storeAnswers(t, src)
			dstCatalogue, dstOrders := storeAnswers(t, dst)
			require.JSONEq(t, srcCatalogue, dstCatalogue, "the same catalogue")
			require.Contains(t, srcCatalogue, "quantityAvailable")
			require.GreaterOrEqual(t, int64(len(dstOrders)), before, "every order committed before the backup")
			require.Less(t, len(dstOrders), len(srcOrders), "and not those committed after it")
			require.GreaterOrEqual(t, int64(len(srcOrders)), 3+after)
			for id, order := range dstOrders {
				require.JSONEq(t, srcOrders[id], order, "order %s as the source has it", id)
			}

			// The restored database goes on taking orders (its sequences
			// were restored with the rows).
			placeOrder(t, dbtest.Open(t, restored).Client(), "+254700000003")
			_, again := storeAnswers(t, dst)
			require.Len(t, again, len(dstOrders)+1)
		})
	}
}
