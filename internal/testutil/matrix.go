package testutil

import (
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
)

// Matrix counts the cells of an authorization matrix over a service: each
// cell is one principal trying one action on one object, expected allowed
// or denied from the role table and the org tree alone.
type Matrix struct {
	T                                          *testing.T
	cells, allows, wantAllows, unexpAllow, bad int
}

// Cell records one outcome. denied says whether err is the refusal the
// action gives (Refused, unless the action says otherwise); any other
// error is a failure of the test's setup, reported as such.
func (m *Matrix) Cell(who, action string, want bool, err error, denied func(error) bool) {
	m.T.Helper()
	m.cells++
	if want {
		m.wantAllows++
	}
	got := err == nil
	if err != nil && !denied(err) {
		m.bad++
		m.T.Errorf("%s %s: unexpected error %v (want allowed=%v)", who, action, err, want)
		return
	}
	if got {
		m.allows++
	}
	switch {
	case got && !want:
		m.unexpAllow++
		m.T.Errorf("UNEXPECTED ALLOW: %s %s", who, action)
	case !got && want:
		m.bad++
		m.T.Errorf("unexpected deny: %s %s: %v", who, action, err)
	}
}

// Report logs the matrix's counts; a matrix that expects every cell
// allowed, or none, tests nothing and fails.
func (m *Matrix) Report(name string) {
	m.T.Helper()
	m.T.Logf("%s matrix: %d cells, %d allowed (expected %d), %d unexpected allows, %d unexpected denies or errors",
		name, m.cells, m.allows, m.wantAllows, m.unexpAllow, m.bad)
	if m.wantAllows == 0 || m.wantAllows == m.cells {
		m.T.Errorf("degenerate matrix: %d of %d cells allowed", m.wantAllows, m.cells)
	}
}

// Refused reports whether err is a refusal: not found or forbidden.
func Refused(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.ENotFound || c == apperr.EForbidden
}

// Found turns a list's membership test into a cell outcome.
func Found(ok bool, err error) error {
	if err == nil && !ok {
		return apperr.NotFound()
	}
	return err
}

// Tree answers "is unit u at or below home" from parent links (child id →
// parent id), not from paths.
type Tree map[int64]int64

// Within reports whether u is home or below it.
func (tr Tree) Within(u, home *org.Unit) bool {
	for id := u.ID; id != 0; id = tr[id] {
		if id == home.ID {
			return true
		}
	}
	return false
}

// Holds: role holds perm at home, through v, and home covers u.
func (tr Tree) Holds(v Variant, role string, home *org.Unit, perm access.Permission, u *org.Unit) bool {
	return u != nil && v.Can(role, perm) && tr.Within(u, home)
}

// Variant is how a user holding a role calls: interactively, or through an
// API token whose scopes leave out every permission the services check.
type Variant struct {
	Name  string
	Limit []access.Permission
}

// Variants are the two ways of calling.
var Variants = []Variant{{"", nil}, {" via token(org.read)", []access.Permission{access.OrgRead, access.TokenOwn}}}

// Can: the role holds perm and the token, if any, lets it through.
func (v Variant) Can(role string, perm access.Permission) bool {
	return access.Has(role, perm) && (v.Limit == nil || slices.Contains(v.Limit, perm))
}
