// Package migrations embeds the versioned SQL migrations, one folder per
// dialect. The files are generated from the ent schema by
// `go run ./internal/migrategen` and never edited by hand.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql (golang-migrate format) and
// atlas.sum, the checksum file atlas keeps beside them.
//
//go:embed postgres sqlite
var FS embed.FS
