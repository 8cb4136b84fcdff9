package app_test

import (
	"database/sql"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/people"
)

var (
	installPassword = regexp.MustCompile(`One-time password:\s+(\S+)`)
	rootOrg         = regexp.MustCompile(`--org (\d+)`)
	userAddPassword = regexp.MustCompile(`^created ([a-z.]+) \(([a-z_]+)\)\. One-time password, shown only now: (\S+)\n$`)
)

// checkPassword asserts that username's stored hash accepts pw and that
// the password must be changed at first sign-in.
func checkPassword(t *testing.T, d *sql.DB, username, pw string) {
	t.Helper()
	var hash string
	var must int
	if err := d.QueryRow(`SELECT password_hash, must_change_password FROM users WHERE username = $1`, username).Scan(&hash, &must); err != nil {
		t.Fatalf("read %s: %v", username, err)
	}
	if !people.CheckPassword(hash, pw) {
		t.Errorf("the printed one-time password of %s does not match its stored hash", username)
	}
	if must != 1 {
		t.Errorf("%s need not change the one-time password", username)
	}
}

// TestFreshInstallLifecycle walks one installation through its commands:
// first start, user add, restart, audit verify, tampering, backup.
func TestFreshInstallLifecycle(t *testing.T) {
	in := newInstall(t)

	first := in.serve(t)
	out := first.out.String()
	m := installPassword.FindStringSubmatch(out)
	org := rootOrg.FindStringSubmatch(out)
	if m == nil || org == nil || strings.Count(out, "One-time password") != 1 {
		t.Fatalf("first start did not print one admin password and the root id:\n%s", out)
	}
	if strings.Contains(out, "demo") {
		t.Errorf("a start without --demo mentions the demo:\n%s", out)
	}
	if err := first.stop(t); err != nil {
		t.Fatalf("graceful shutdown: Run returned %v, want nil", err)
	}
	if c, err := net.Dial("tcp", first.addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after shutdown", first.addr)
	}
	d := in.openDB(t)
	checkPassword(t, d, "admin", m[1])

	stdout, _, err := in.run(t, "user", "add", "--username", "ops.reader", "--name", "Ops Reader", "--role", "researcher", "--org", org[1])
	um := userAddPassword.FindStringSubmatch(stdout)
	if err != nil || um == nil || um[1] != "ops.reader" || um[2] != "researcher" {
		t.Fatalf("user add: %v %q", err, stdout)
	}
	checkPassword(t, d, "ops.reader", um[3])
	if um[3] == m[1] {
		t.Error("user add printed the administrator's password")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"taken username", []string{"--username", "ops.reader", "--name", "Again", "--role", "researcher", "--org", org[1]}},
		{"unknown role", []string{"--username", "someone", "--name", "S", "--role", "overlord", "--org", org[1]}},
		{"missing org", []string{"--username", "someone", "--name", "S", "--role", "researcher"}},
		{"bad username", []string{"--username", "No Spaces!", "--name", "S", "--role", "researcher", "--org", org[1]}},
	} {
		if stdout, _, err := in.run(t, append([]string{"user", "add"}, tc.args...)...); err == nil || strings.Contains(stdout, "password") {
			t.Errorf("user add, %s: err %v, stdout %q", tc.name, err, stdout)
		}
	}

	second := in.serve(t)
	if out := second.out.String(); strings.Contains(out, "One-time password") || strings.Contains(out, m[1]) {
		t.Errorf("second start printed a password again:\n%s", out)
	}
	if err := second.stop(t); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	var admins int
	if err := d.QueryRow(`SELECT COUNT(*) FROM users WHERE username = 'admin'`).Scan(&admins); err != nil || admins != 1 {
		t.Errorf("admins after a restart: %d (%v)", admins, err)
	}

	stdout, _, err = in.run(t, "audit", "verify")
	if err != nil || !regexp.MustCompile(`^audit trail intact: [1-9]\d* entries verified\n$`).MatchString(stdout) {
		t.Fatalf("audit verify on a fresh install: %v %q", err, stdout)
	}

	tamper(t, in, d)
	stdout, _, err = in.run(t, "audit", "verify")
	var p *audit.Problem
	if !errors.As(err, &p) || p.Seq != 2 || !strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("audit verify after tampering with entry 2: err %v", err)
	}
	if !strings.Contains(stdout, "BROKEN") || !strings.Contains(stdout, "#2") {
		t.Errorf("audit verify output does not name entry 2: %q", stdout)
	}

	backupLifecycle(t, in)
}

// tamper shows the append-only guard refuses an UPDATE, then removes the
// guard as an attacker with database access would, and alters entry 2.
func tamper(t *testing.T, in *install, d *sql.DB) {
	t.Helper()
	const alter = `UPDATE audit_log SET detail = 'tampered' WHERE seq = 2`
	if _, err := d.Exec(alter); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("the audit guard let an UPDATE through: %v", err)
	}
	drop := []string{`DROP TRIGGER audit_log_no_update`}
	if in.postgres() {
		drop = []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`}
	}
	for _, q := range append(drop, alter) {
		if _, err := d.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func backupLifecycle(t *testing.T, in *install) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "snap.db")
	stdout, _, err := in.run(t, "backup", "--out", out)
	if in.postgres() {
		if err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("backup on PostgreSQL: %v, want an error naming pg_dump", err)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Error("backup on PostgreSQL wrote a file")
		}
		return
	}
	if err != nil || stdout != "backup written to "+out+"\n" {
		t.Fatalf("backup: %v %q", err, stdout)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	snap, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	rows, err := snap.Query(`SELECT username FROM users ORDER BY username`)
	if err != nil {
		t.Fatalf("snapshot is not a careloop SQLite database: %v", err)
	}
	var names []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	if strings.Join(names, ",") != "admin,ops.reader" {
		t.Errorf("snapshot users: %v", names)
	}
	if _, _, err := in.run(t, "backup", "--out", out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	stdout, _, err = in.run(t, "backup")
	dir := filepath.Join(in.env["CARELOOP_DATA"], "backups")
	if err != nil || !strings.HasPrefix(stdout, "backup written to "+dir+string(filepath.Separator)+"careloop-") {
		t.Errorf("backup to the default folder: %v %q", err, stdout)
	}
}

func TestMigrateTwice(t *testing.T) {
	in := newInstall(t)
	stdout, _, err := in.run(t, "migrate")
	m := regexp.MustCompile(`^applied (\d+) migrations: \S`).FindStringSubmatch(stdout)
	if err != nil || m == nil {
		t.Fatalf("first migrate: %v %q", err, stdout)
	}
	if n, _ := strconv.Atoi(m[1]); n < 4 {
		t.Errorf("applied %d migrations, want at least 4", n)
	}
	for range 2 {
		if stdout, _, err := in.run(t, "migrate"); err != nil || stdout != "database is up to date\n" {
			t.Errorf("migrate again: %v %q", err, stdout)
		}
	}
}
