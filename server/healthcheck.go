package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/savannah-commerce/savannah/internal/config"
)

// healthcheck asks the server running beside it (in the same container)
// whether it is ready, for orchestrators that probe by running a command:
// the image is built on scratch and has no shell or curl. It GETs /readyz
// (or --path) on the port of HTTP_ADDR and fails unless the answer is 200.
//
//	savannah healthcheck                  # readiness
//	savannah healthcheck --path /healthz  # liveness
func healthcheck(ctx context.Context, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	path := fs.String("path", "/readyz", "the path to probe: /readyz or /healthz")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*path, "/") {
		return fmt.Errorf("healthcheck: --path %q must start with /", *path)
	}
	target, err := probeURL(cfg.HTTPAddr, *path)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", target, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// probeURL turns the listen address into a URL this machine can reach: a
// wildcard or empty host (":8080", "0.0.0.0:8080", "[::]:8080") is probed
// on loopback.
func probeURL(listen, path string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return "", fmt.Errorf("HTTP_ADDR %q has no port", listen)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
