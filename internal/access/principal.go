package access

import (
	"strings"
)

// Membership is a role held in one org unit; it reaches that unit's subtree.
type Membership struct {
	OrgID   int64
	OrgPath string // materialized path of the unit, e.g. "/1/5/"
	Role    string
}

// Principal is the authenticated caller of a service. The zero Principal
// may do nothing.
type Principal struct {
	UserID      int64
	Username    string
	Memberships []Membership
	// Limit, when non-nil, narrows the caller to these permissions (an API
	// token's scopes). A nil Limit means an interactive session.
	Limit []Permission
}

func (p Principal) limited(perm Permission) bool {
	if p.Limit == nil {
		return false
	}
	for _, l := range p.Limit {
		if l == perm {
			return false
		}
	}
	return true
}

// Can reports whether the caller holds perm anywhere. Routes check this;
// which rows it reaches is decided by Scope or At.
func (p Principal) Can(perm Permission) bool {
	_, ok := p.Grant(perm)
	return ok
}

// Grant returns the first membership through which the caller holds perm.
func (p Principal) Grant(perm Permission) (Membership, bool) {
	if p.UserID == 0 || p.limited(perm) {
		return Membership{}, false
	}
	for _, m := range p.Memberships {
		if Has(m.Role, perm) {
			return m, true
		}
	}
	return Membership{}, false
}

// At returns the membership through which the caller holds perm over the
// unit at orgPath (the unit itself or a descendant of the membership's unit).
func (p Principal) At(perm Permission, orgPath string) (Membership, bool) {
	if p.UserID == 0 || p.limited(perm) || orgPath == "" {
		return Membership{}, false
	}
	for _, m := range p.Memberships {
		if Has(m.Role, perm) && m.OrgPath != "" && strings.HasPrefix(orgPath, m.OrgPath) {
			return m, true
		}
	}
	return Membership{}, false
}

// Inside reports whether the caller holds perm over some unit strictly
// inside the unit at orgPath (through a membership below it).
func (p Principal) Inside(perm Permission, orgPath string) bool {
	if p.UserID == 0 || p.limited(perm) || orgPath == "" {
		return false
	}
	for _, m := range p.Memberships {
		if Has(m.Role, perm) && len(m.OrgPath) > len(orgPath) && strings.HasPrefix(m.OrgPath, orgPath) {
			return true
		}
	}
	return false
}

// Roles returns the distinct role names the caller holds.
func (p Principal) Roles() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range p.Memberships {
		if !seen[m.Role] {
			seen[m.Role] = true
			out = append(out, m.Role)
		}
	}
	return out
}

// NeedsSecondFactor reports whether any of the caller's roles requires TOTP.
func NeedsSecondFactor(ms []Membership) bool {
	for _, m := range ms {
		if Roles[m.Role].SecondFactor {
			return true
		}
	}
	return false
}
