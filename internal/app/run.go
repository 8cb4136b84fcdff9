// Package app wires careloop together: configuration, database, keys,
// services, the HTTP surfaces and the subcommands. main only calls Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

const usage = `careloop: mental-health services for minors

Usage:
  careloop serve [--demo] [--addr HOST:PORT] [--data DIR] [--database-url URL]
  careloop migrate                  apply database migrations
  careloop user add --username NAME --name "Display Name" --role ROLE --org ORG_ID
  careloop audit verify             check the audit trail's hash chain
  careloop backup [--out FILE]      consistent SQLite snapshot (VACUUM INTO)

Every flag also reads CARELOOP_<FLAG> from the environment (CARELOOP_ADDR,
CARELOOP_DATA, CARELOOP_DATABASE_URL, CARELOOP_DEMO, ...). Run a subcommand
with -h for all its flags.
`

// Run runs one careloop command. It returns an error instead of exiting,
// so that tests can drive the whole program.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			return errors.New("usage: careloop user add --username NAME --name NAME --role ROLE --org ORG_ID")
		}
		return userAdd(ctx, rest[1:], getenv, stdout, stderr)
	case "audit":
		if len(rest) == 0 || rest[0] != "verify" {
			return errors.New("usage: careloop audit verify")
		}
		return auditVerify(ctx, rest[1:], getenv, stdout, stderr)
	case "backup":
		return backup(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", strings.TrimSpace(cmd))
}
