package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/config"
)

func TestProbeURL(t *testing.T) {
	t.Parallel()
	for listen, want := range map[string]string{
		":8080":           "http://127.0.0.1:8080/readyz",
		"0.0.0.0:8080":    "http://127.0.0.1:8080/readyz",
		"[::]:8080":       "http://127.0.0.1:8080/readyz",
		"127.0.0.1:18480": "http://127.0.0.1:18480/readyz",
		"[::1]:9000":      "http://[::1]:9000/readyz",
		"api.local:8080":  "http://api.local:8080/readyz",
	} {
		got, err := probeURL(listen, "/readyz")
		require.NoError(t, err, listen)
		require.Equal(t, want, got, listen)
	}
	_, err := probeURL("8080", "/readyz")
	require.ErrorContains(t, err, "HTTP_ADDR")
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	var paths atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path)
		if r.URL.Path == "/healthz" || ready.Load() {
			_, _ = w.Write([]byte(`{"status":"ok"}`))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"draining"}`))
	}))
	t.Cleanup(srv.Close)
	cfg := config.Config{HTTPAddr: strings.TrimPrefix(srv.URL, "http://")}
	ctx := context.Background()

	err := healthcheck(ctx, cfg, nil)
	require.ErrorContains(t, err, "503")
	require.ErrorContains(t, err, "draining", "the body says why")
	require.Equal(t, "/readyz", paths.Load())

	require.NoError(t, healthcheck(ctx, cfg, []string{"--path", "/healthz"}))
	require.Equal(t, "/healthz", paths.Load())

	ready.Store(true)
	require.NoError(t, healthcheck(ctx, cfg, nil))

	require.Error(t, healthcheck(ctx, cfg, []string{"--path", "healthz"}))
	srv.Close()
	require.Error(t, healthcheck(ctx, cfg, nil), "nothing listening")
}
