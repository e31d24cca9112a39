// Package postgres opens Atrium's database, runs transactions, applies the migrations
// and maps PostgreSQL errors to application errors.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"atrium/db"
	"atrium/internal/apperr"
)

// Open connects to dsn and checks the connection. It adds binary_parameters=yes (one
// round trip per parameterised statement instead of two) unless dsn already sets it.
func Open(ctx context.Context, dsn string) (*sqlx.DB, error) {
	dsn = withBinaryParameters(dsn)
	d, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	d.SetMaxOpenConns(32)
	d.SetMaxIdleConns(16)
	d.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.PingContext(pingCtx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return d, nil
}

func withBinaryParameters(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if strings.Contains(dsn, "?") {
			return dsn + "&binary_parameters=yes"
		}
		return dsn + "?binary_parameters=yes"
	}
	return dsn + " binary_parameters=yes"
}

// migrationLockID is the advisory lock that serialises migrations across servers
// starting together ("atrium" in ASCII).
const migrationLockID = 0x61747269756d

// Migrate applies every pending migration under a PostgreSQL advisory lock, so several
// servers can start at once. It is safe to run any number of times.
func Migrate(ctx context.Context, d *sql.DB, log *slog.Logger) error {
	fsys, err := fs.Sub(db.Migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, d, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	if log != nil {
		for _, r := range results {
			log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
		}
	}
	return nil
}

// InTx runs fn in a transaction, committing when it returns nil and rolling back
// otherwise. Exported service methods own their transactions; helpers take sqlx.ExtContext.
func InTx(ctx context.Context, d *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", MapError(err))
	}
	return nil
}

// PostgreSQL error codes Atrium reacts to.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
	notNullViolation    = "23502"
	serializationFail   = "40001"
)

// IsUniqueViolation reports whether err is a unique violation, on constraint when given.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != uniqueViolation {
		return false
	}
	return constraint == "" || pe.Constraint == constraint
}

// IsCheckViolation reports whether err is a CHECK violation, on constraint when given.
func IsCheckViolation(err error, constraint string) bool {
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != checkViolation {
		return false
	}
	return constraint == "" || pe.Constraint == constraint
}

// MapError turns constraint violations into application errors (a duplicate becomes
// Conflict, a missing reference Invalid) and leaves other errors as they are. Services
// usually check the specific constraint themselves to give a precise message; this is the
// fallback so that no raw database error reaches a user.
func MapError(err error) error {
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return err
	}
	switch string(pe.Code) {
	case uniqueViolation:
		return &apperr.Error{Code: apperr.CodeConflict, Message: "this already exists", Reason: "DUPLICATE", Err: err}
	case foreignKeyViolation:
		return &apperr.Error{Code: apperr.CodeInvalid, Message: "a referenced record does not exist", Err: err}
	case checkViolation, notNullViolation:
		return &apperr.Error{Code: apperr.CodeInvalid, Message: "a value is out of range", Err: err}
	case serializationFail:
		return &apperr.Error{Code: apperr.CodeConflict, Message: "the record changed at the same time; try again", Err: err}
	}
	return err
}

// NotFound returns apperr.NotFound when err is sql.ErrNoRows and err otherwise.
func NotFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		e := apperr.NotFound(format, args...)
		e.Err = err
		return e
	}
	return err
}

// IsForeignKeyViolation reports whether err is a foreign key violation.
func IsForeignKeyViolation(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == foreignKeyViolation
}
