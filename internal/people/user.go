// Package people holds staff accounts, their roles in the network, and
// sign-in: argon2id passwords, lockout, TOTP second factor, server-side
// sessions and personal API tokens.
package people

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
)

// User is a staff account. Secrets never leave this package.
type User struct {
	ID                 int64
	Username           string
	DisplayName        string
	Email              string
	Locale             string // "zh-CN" or "en"
	MustChangePassword bool
	TOTPEnabled        bool
	Active             bool
	LockedUntil        time.Time
	CreatedAt          time.Time
	Memberships        []MembershipView
}

// MembershipView is a membership with its unit's names, for display.
type MembershipView struct {
	ID        int64
	OrgID     int64
	OrgName   string
	OrgNameEn string
	OrgPath   string
	Role      string
}

// NewUser is the input for creating an account.
type NewUser struct {
	Username    string
	DisplayName string
	Email       string
	Locale      string
}

// UserFilter selects accounts for the users page.
type UserFilter struct {
	ID    int64 // only this account
	Query string
	Limit int
}

// Locales the interface speaks; the first is the default.
var Locales = []string{"zh-CN", "en"}

// ValidLocale reports whether l is a supported locale.
func ValidLocale(l string) bool {
	for _, x := range Locales {
		if x == l {
			return true
		}
	}
	return false
}

func memberships(views []MembershipView) []access.Membership {
	out := make([]access.Membership, len(views))
	for i, v := range views {
		out[i] = access.Membership{OrgID: v.OrgID, OrgPath: v.OrgPath, Role: v.Role}
	}
	return out
}

// PrincipalOf is the caller that userID is now, for work done later on
// their behalf (a background export, a research extract): the roles they
// hold today in active units, none when the account is inactive. The work
// is then scoped and audited as theirs.
func PrincipalOf(ctx context.Context, tx *db.Tx, userID int64) (access.Principal, error) {
	a, err := findAccount(ctx, tx, userID)
	if err != nil {
		return access.Principal{}, err
	}
	p := access.Principal{UserID: userID, Username: a.Username}
	if a.Active {
		p.Memberships = memberships(a.Memberships)
	}
	return p, nil
}
