package people

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// APIToken describes a personal API token; the secret is shown only once,
// at creation, and stored as a SHA-256 hash.
type APIToken struct {
	ID          int64
	Name        string
	Permissions []access.Permission
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastUsedAt  time.Time
	Revoked     bool
}

// CreateToken makes a token for the caller, limited to perms (each must be
// one the caller holds) and valid for ttl (at most a year).
func (s *Service) CreateToken(ctx context.Context, p access.Principal, name string, perms []access.Permission, ttl time.Duration) (string, error) {
	m, ok := p.Grant(access.TokenOwn)
	if !ok || p.Limit != nil {
		return "", apperr.Forbidden()
	}
	name = strings.TrimSpace(name)
	problems := map[string]string{}
	if name == "" || len([]rune(name)) > 80 {
		problems["name"] = "token.name_required"
	}
	if len(perms) == 0 {
		problems["permissions"] = "token.permissions_required"
	}
	var names []string
	for _, perm := range perms {
		if !p.Can(perm) {
			problems["permissions"] = "token.permission_not_held"
		}
		names = append(names, string(perm))
	}
	if ttl <= 0 || ttl > 366*24*time.Hour {
		problems["ttl"] = "token.ttl_range"
	}
	if len(problems) > 0 {
		return "", apperr.Invalid("error.invalid", problems)
	}
	secret, hash := newToken("clt_")
	now := s.now()
	return secret, s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		id, err := tx.InsertID(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, permissions, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.UserID, name, hash, strings.Join(names, " "), db.Micro(now), db.Micro(now.Add(ttl)))
		if err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
			Action: "token.create", ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10), Outcome: audit.Success})
	})
}

// FindTokens lists the caller's own tokens.
func (s *Service) FindTokens(ctx context.Context, p access.Principal) ([]APIToken, error) {
	var out []APIToken
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, permissions, created_at, expires_at, last_used_at, revoked_at
			FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC`, p.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t APIToken
			var perms string
			var c, e, l, r int64
			if err := rows.Scan(&t.ID, &t.Name, &perms, &c, &e, &l, &r); err != nil {
				return apperr.Internal(err)
			}
			for _, x := range strings.Fields(perms) {
				t.Permissions = append(t.Permissions, access.Permission(x))
			}
			t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.Revoked = db.FromMicro(c), db.FromMicro(e), db.FromMicro(l), r != 0
			out = append(out, t)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// RevokeToken revokes one of the caller's tokens.
func (s *Service) RevokeToken(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at = 0`,
			db.Micro(s.now()), id, p.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound()
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, Action: "token.revoke", ObjectType: "api_token",
			ObjectID: strconv.FormatInt(id, 10), Outcome: audit.Success})
	})
}

// AuthenticateToken resolves a bearer token to a principal limited to the
// token's permissions. Expired, revoked or unknown tokens are EUnauthorized.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*SessionInfo, error) {
	var info *SessionInfo
	var tokenID int64
	now := s.now()
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var userID, expires, revoked int64
		var perms string
		err := tx.QueryRow(ctx, `SELECT id, user_id, permissions, expires_at, revoked_at FROM api_tokens WHERE token_hash = ?`,
			hashToken(secret)).Scan(&tokenID, &userID, &perms, &expires, &revoked)
		if err != nil || revoked != 0 || db.Micro(now) >= expires {
			return apperr.New(apperr.EUnauthorized, "token.invalid")
		}
		a, err := findAccount(ctx, tx, userID)
		if err != nil || !a.Active {
			return apperr.New(apperr.EUnauthorized, "token.invalid")
		}
		limit := []access.Permission{}
		for _, x := range strings.Fields(perms) {
			limit = append(limit, access.Permission(x))
		}
		info = &SessionInfo{User: a.User, Stage: StageFull, Principal: access.Principal{
			UserID: a.ID, Username: a.Username, Memberships: memberships(a.Memberships), Limit: limit}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?`,
			db.Micro(now), tokenID, db.Micro(now.Add(-time.Minute)))
		return err
	})
	return info, err
}
