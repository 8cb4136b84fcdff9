package testutil

import (
	"context"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
)

// StaffPassword is the password of accounts made by Staff.
const StaffPassword = "Test-Staff-Pass-2026"

// Unit creates a unit of kind under parent, as admin, or fails the test.
func Unit(tb testing.TB, ctx context.Context, o *org.Service, admin access.Principal, kind org.Kind, name string, parent *org.Unit) *org.Unit {
	tb.Helper()
	u, err := o.CreateUnit(ctx, admin, org.NewUnit{Kind: kind, Name: name, ParentID: parent.ID})
	if err != nil {
		tb.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

// Staff creates an account username holding role at unit and returns it
// as a caller, or fails the test.
func Staff(tb testing.TB, ctx context.Context, p *people.Service, username, role string, at *org.Unit) access.Principal {
	tb.Helper()
	id, _, err := p.Bootstrap(ctx, people.NewUser{Username: username, DisplayName: role + " " + username}, StaffPassword, at.ID, role)
	if err != nil {
		tb.Fatalf("Bootstrap %s: %v", role, err)
	}
	return access.Principal{UserID: id, Username: username, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

// Num runs a query returning one number, or fails the test.
func Num(tb testing.TB, d *db.DB, q string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}
