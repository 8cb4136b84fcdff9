package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/config"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/people"
)

// openDB parses a subcommand's settings and opens its database (without
// migrating it).
func openDB(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) (*db.DB, error) {
	cfg, _, err := config.Parse(name, args, getenv, stderr)
	if err != nil {
		return nil, err
	}
	return db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	d, err := openDB(ctx, "migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	}
	fmt.Fprintf(stdout, "applied %d migrations: %s\n", len(applied), strings.Join(applied, ", "))
	return nil
}

// userAdd creates an account with a role, as the operator of the system. The
// one-time password is printed once and must be changed at first sign-in.
func userAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var username, name, role, locale string
	var orgID int64
	cfg, _, err := config.Parse("user add", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "login name (lower case)")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&role, "role", "", "role held in the unit")
		fs.Int64Var(&orgID, "org", 0, "id of the org unit where the role is held")
		fs.StringVar(&locale, "locale", "zh-CN", "interface language: zh-CN or en")
	})
	if err != nil {
		return err
	}
	if username == "" || name == "" || role == "" || orgID == 0 {
		return fmt.Errorf("--username, --name, --role and --org are required")
	}
	e, err := open(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	_, pw, err := e.people.Bootstrap(ctx, people.NewUser{Username: username, DisplayName: name, Locale: locale}, "", orgID, role)
	if err != nil {
		return fmt.Errorf("add user: %w", err)
	}
	fmt.Fprintf(stdout, "created %s (%s). One-time password, shown only now: %s\n", username, role, pw)
	return nil
}

func auditVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	d, err := openDB(ctx, "audit verify", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	good, problem, err := audit.Verify(ctx, d)
	if err != nil {
		return err
	}
	if problem != nil {
		fmt.Fprintf(stdout, "audit trail BROKEN: first bad entry is #%d: %s (%d entries before it verified)\n", problem.Seq, problem.Reason, good)
		return problem
	}
	fmt.Fprintf(stdout, "audit trail intact: %d entries verified\n", good)
	return nil
}

// backup writes a consistent snapshot of the SQLite database with VACUUM
// INTO while the server may keep running. PostgreSQL is backed up with
// pg_dump or PITR (see docs/deployment.md).
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var out string
	cfg, _, err := config.Parse("backup", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "snapshot file (default DATA/backups/careloop-UTCTIME.db)")
	})
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		return fmt.Errorf("backup of PostgreSQL: use pg_dump or continuous archiving (see docs/deployment.md)")
	}
	if out == "" {
		out = filepath.Join(cfg.DataDir, "backups", "careloop-"+time.Now().UTC().Format("20060102T150405Z")+".db")
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists; choose another --out", out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return err
	}
	d, err := db.Open(ctx, "", cfg.DataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Exec(ctx, `VACUUM INTO ?`, out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Chmod(out, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s\n", out)
	return nil
}
