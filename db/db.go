// Package db holds Atrium's schema: the SQL migrations, embedded into the binary.
package db

import "embed"

// Migrations are the goose migrations, applied in order at start-up.
//
//go:embed migrations/*.sql
var Migrations embed.FS
