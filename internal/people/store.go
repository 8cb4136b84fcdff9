package people

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// account is a user row with its secrets, used only inside this package.
type account struct {
	User
	PasswordHash string
	TOTPSecret   []byte
	TOTPLastStep int64
	FailedLogins int
}

const userColumns = `id, username, display_name, email, locale, must_change_password, totp_enabled, active,
	locked_until, created_at, password_hash, totp_secret, totp_last_step, failed_logins`

func scanAccount(s interface{ Scan(...any) error }) (*account, error) {
	var a account
	var must, totp, active int
	var locked, created int64
	if err := s.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Email, &a.Locale, &must, &totp, &active,
		&locked, &created, &a.PasswordHash, &a.TOTPSecret, &a.TOTPLastStep, &a.FailedLogins); err != nil {
		return nil, err
	}
	a.MustChangePassword, a.TOTPEnabled, a.Active = must == 1, totp == 1, active == 1
	a.LockedUntil, a.CreatedAt = db.FromMicro(locked), db.FromMicro(created)
	return &a, nil
}

func findAccount(ctx context.Context, tx *db.Tx, id int64) (*account, error) {
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	a.Memberships, err = findMemberships(ctx, tx, id)
	return a, err
}

func findAccountByUsername(ctx context.Context, tx *db.Tx, username string) (*account, error) {
	a, err := scanAccount(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
	if err != nil {
		return nil, err
	}
	a.Memberships, err = findMemberships(ctx, tx, a.ID)
	return a, err
}

// findMemberships lists a user's roles, only in active units.
func findMemberships(ctx context.Context, tx *db.Tx, userID int64) ([]MembershipView, error) {
	rows, err := tx.Query(ctx, `SELECT m.id, m.org_unit_id, o.name, o.name_en, o.path, m.role
		FROM memberships m JOIN org_units o ON o.id = m.org_unit_id
		WHERE m.user_id = ? AND o.active = 1 ORDER BY o.path, m.role`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MembershipView
	for rows.Next() {
		var v MembershipView
		if err := rows.Scan(&v.ID, &v.OrgID, &v.OrgName, &v.OrgNameEn, &v.OrgPath, &v.Role); err != nil {
			return nil, apperr.Internal(err)
		}
		if _, known := access.Roles[v.Role]; known {
			out = append(out, v)
		}
	}
	return out, apperr.Internal(rows.Err())
}

// findUsers lists accounts holding a role inside the caller's UserRead
// scope, plus, for callers who manage accounts, accounts with no role yet.
// Memberships are loaded in one more query, not one per user.
func findUsers(ctx context.Context, tx *db.Tx, p access.Principal, f UserFilter) ([]User, error) {
	scope, args := p.Scope(access.UserRead, "o.path")
	cond := `EXISTS (SELECT 1 FROM memberships m JOIN org_units o ON o.id = m.org_unit_id WHERE m.user_id = u.id AND ` + scope + `)`
	if p.Can(access.UserManage) || p.Can(access.RoleAssign) {
		cond = "(" + cond + ` OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id))`
	}
	where := []string{cond}
	if f.ID != 0 {
		where = append(where, "u.id = ?")
		args = append(args, f.ID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := strings.ToLower(db.Contains(q))
		where = append(where, `(LOWER(u.username) LIKE ? ESCAPE '\' OR LOWER(u.display_name) LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	rows, err := tx.Query(ctx, `SELECT `+prefixed("u.", userColumns)+` FROM users u WHERE `+strings.Join(where, " AND ")+
		` ORDER BY u.username LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	var out []User
	index := map[int64]int{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		index[a.ID] = len(out)
		out = append(out, a.User)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(out))
	for _, u := range out {
		ids = append(ids, strconv.FormatInt(u.ID, 10))
	}
	mrows, err := tx.Query(ctx, `SELECT m.user_id, m.id, m.org_unit_id, o.name, o.name_en, o.path, m.role
		FROM memberships m JOIN org_units o ON o.id = m.org_unit_id
		WHERE o.active = 1 AND m.user_id IN (`+strings.Join(ids, ",")+`) ORDER BY o.path, m.role`)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var uid int64
		var v MembershipView
		if err := mrows.Scan(&uid, &v.ID, &v.OrgID, &v.OrgName, &v.OrgNameEn, &v.OrgPath, &v.Role); err != nil {
			return nil, apperr.Internal(err)
		}
		if _, known := access.Roles[v.Role]; known {
			out[index[uid]].Memberships = append(out[index[uid]].Memberships, v)
		}
	}
	return out, apperr.Internal(mrows.Err())
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func revokeSessions(ctx context.Context, tx *db.Tx, userID, now int64) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0`, now, userID)
	return err
}

func revokeTokens(ctx context.Context, tx *db.Tx, userID, now int64) error {
	_, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0`, now, userID)
	return err
}
