package app

import (
	"context"
	"fmt"
	"io"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/people"
)

// install prepares an empty database on first start: with --demo it loads
// the demo network and prints its accounts; otherwise it creates only the
// top unit and a first system administrator whose one-time password is
// printed once.
func install(ctx context.Context, e *env, stdout io.Writer) error {
	var users int
	err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&users)
	})
	if err != nil {
		return err
	}
	if users > 0 {
		return e.defaultRules(ctx)
	}
	if e.cfg.Demo {
		return loadDemo(ctx, e, stdout)
	}
	root, err := e.org.CreateRoot(ctx, "本市", "The city")
	if err != nil {
		return err
	}
	_, pw, err := e.people.Bootstrap(ctx, people.NewUser{Username: "admin", DisplayName: "系统管理员 Administrator"}, "", root.ID, access.SysAdmin)
	if err != nil {
		return err
	}
	if err := e.defaultRules(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `
careloop: a fresh installation.
  First administrator: admin
  One-time password:   %s
  This password is shown only now; it must be changed at first sign-in.
  The administrator runs the system and manages accounts, but cannot read children's records.
  Create the security administrator and the auditor with:
    careloop user add --username security --name "Security" --role %s --org %d
    careloop user add --username auditor --name "Auditor" --role %s --org %d

`, pw, access.SecurityAdmin, root.ID, access.Auditor, root.ID)
	return nil
}

// defaultRules gives the top unit the warning rules careloop ships that it
// does not have yet.
func (e *env) defaultRules(ctx context.Context) error {
	var root int64
	err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&root)
	})
	if err != nil {
		return err
	}
	return e.warn.InstallDefaults(ctx, root)
}
