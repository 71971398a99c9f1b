// Command server runs the Savannah store: `server` (or `server serve`)
// serves GraphQL over HTTP; `server migrate`, `server seed --catalog FILE`
// `server create-admin --email E --password P` and `server backup --out
// FILE` are the operator's one-off tasks.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "savannah:", err)
		os.Exit(1)
	}
}
