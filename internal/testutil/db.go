// Package testutil gives tests a real, migrated database on the engine CI
// asks for: SQLite in a temporary folder by default, or a fresh PostgreSQL
// database when CARELOOP_TEST_DATABASE_URL is set.
package testutil

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/careloop/careloop/internal/db"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for creating test databases
)

// EnvPostgres names the variable that switches tests to PostgreSQL.
const EnvPostgres = "CARELOOP_TEST_DATABASE_URL"

// DatabaseURL returns a fresh, empty database URL for this test: "" for
// SQLite, or a new PostgreSQL database that is dropped when the test ends.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		return ""
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "careloop_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// DB returns a migrated database on the engine chosen by the environment,
// closed when the test ends.
func DB(tb testing.TB) *db.DB {
	tb.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, DatabaseURL(tb), filepath.Join(tb.TempDir(), "data"))
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return d
}
