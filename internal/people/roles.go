package people

import (
	"context"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// GrantRole gives a user a role in a unit; the caller must hold RoleAssign
// over that unit.
func (s *Service) GrantRole(ctx context.Context, p access.Principal, userID, orgID int64, role string) error {
	if _, ok := access.Roles[role]; !ok {
		return apperr.Invalid("error.invalid", map[string]string{"role": "user.role_unknown"})
	}
	if userID == p.UserID {
		// Separation of duties: nobody widens their own powers.
		return apperr.Invalid("user.not_self_grant", map[string]string{"role": "user.not_self_grant"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, orgID).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.RoleAssign, path)
		if !ok {
			return apperr.Forbidden()
		}
		if _, err := findAccount(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, org_unit_id, role, created_at) VALUES (?, ?, ?, ?)`,
			userID, orgID, role, db.Micro(s.now())); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "user.grant_role", userID, audit.Success, "role="+role+" org="+strconv.FormatInt(orgID, 10))
	})
}

// RevokeRole removes a membership; the user's sessions end so the change
// takes effect at once.
func (s *Service) RevokeRole(ctx context.Context, p access.Principal, membershipID int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var userID int64
		var role, path string
		if err := tx.QueryRow(ctx, `SELECT m.user_id, m.role, o.path FROM memberships m JOIN org_units o ON o.id = m.org_unit_id
			WHERE m.id = ?`, membershipID).Scan(&userID, &role, &path); err != nil {
			return err
		}
		m, ok := p.At(access.RoleAssign, path)
		if !ok {
			return apperr.Forbidden()
		}
		if _, err := tx.Exec(ctx, `DELETE FROM memberships WHERE id = ?`, membershipID); err != nil {
			return err
		}
		if err := revokeSessions(ctx, tx, userID, db.Micro(s.now())); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "user.revoke_role", userID, audit.Success, "role="+role)
	})
}

// SetUserActive deactivates (ending every session and token) or reactivates
// an account. Nothing is deleted.
func (s *Service) SetUserActive(ctx context.Context, p access.Principal, id int64, active bool) error {
	m, ok := p.Grant(access.UserManage)
	if !ok {
		return apperr.Forbidden()
	}
	if id == p.UserID {
		return apperr.Invalid("user.not_self", nil)
	}
	if _, err := s.FindUserByID(ctx, p, id); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE users SET active = ? WHERE id = ?`, db.Bool(active), id); err != nil {
			return err
		}
		if !active {
			if err := revokeSessions(ctx, tx, id, now); err != nil {
				return err
			}
			if err := revokeTokens(ctx, tx, id, now); err != nil {
				return err
			}
		}
		action := map[bool]string{true: "user.reactivate", false: "user.deactivate"}[active]
		return s.record(ctx, tx, p, m, action, id, audit.Success, "")
	})
}

// ResetPassword gives an account a new one-time password (returned once)
// and ends its sessions.
func (s *Service) ResetPassword(ctx context.Context, p access.Principal, id int64) (string, error) {
	m, ok := p.Grant(access.UserManage)
	if !ok {
		return "", apperr.Forbidden()
	}
	u, err := s.FindUserByID(ctx, p, id)
	if err != nil {
		return "", err
	}
	pw := GeneratePassword(u.Username)
	hash, err := HashPassword(pw)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return pw, s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = 1,
			failed_logins = 0, locked_until = 0 WHERE id = ?`, hash, now, id); err != nil {
			return err
		}
		if err := revokeSessions(ctx, tx, id, now); err != nil {
			return err
		}
		// A reset follows a lost or exposed password: tokens made with it end too.
		if err := revokeTokens(ctx, tx, id, now); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "user.reset_password", id, audit.Success, "")
	})
}

// ResetSecondFactor clears a user's TOTP so they enrol again at next sign-in.
func (s *Service) ResetSecondFactor(ctx context.Context, p access.Principal, id int64) error {
	m, ok := p.Grant(access.RoleAssign)
	if !ok {
		return apperr.Forbidden()
	}
	if _, err := s.FindUserByID(ctx, p, id); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = 0 WHERE id = ?`, id); err != nil {
			return err
		}
		if err := revokeSessions(ctx, tx, id, now); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "user.reset_second_factor", id, audit.Success, "")
	})
}

// SetLocale stores the caller's interface language.
func (s *Service) SetLocale(ctx context.Context, p access.Principal, locale string) error {
	if !ValidLocale(locale) {
		return apperr.Invalid("error.invalid", map[string]string{"locale": "user.locale_unknown"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET locale = ? WHERE id = ?`, locale, p.UserID); err != nil {
			return err
		}
		return s.audited(ctx, tx, p.UserID, "user.set_locale", audit.Success, "locale="+locale)
	})
}
