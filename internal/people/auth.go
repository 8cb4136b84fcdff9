package people

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Session stages: after the password, and after the second factor.
const (
	StagePassword = "password"
	StageFull     = "full"
)

// preAuthLifetime bounds the time between the password and the second factor.
const preAuthLifetime = 10 * time.Minute

// SignInResult tells the surface where the user goes next.
type SignInResult struct {
	Token        string // new session token (set as a cookie)
	Stage        string // StagePassword or StageFull
	NeedsEnrol   bool   // second factor required but not yet enrolled
	NeedsTOTP    bool   // second factor enrolled: ask for a code
	MustChangePW bool
}

// errBadCredentials is the one answer to a wrong username or password, so
// that the response never tells which was wrong.
func errBadCredentials() error {
	return apperr.New(apperr.EUnauthorized, "signin.bad_credentials")
}

func (s *Service) audited(ctx context.Context, tx *db.Tx, userID int64, action, outcome, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: userID, Action: action, ObjectType: "user",
		ObjectID: strconv.FormatInt(userID, 10), Outcome: outcome, Detail: detail})
}

// SignIn checks a username and password. On success it opens a session at
// the first stage (or the full stage when no second factor is required) and
// returns its token. Failures are audited and count towards the lockout.
func (s *Service) SignIn(ctx context.Context, username, password string) (*SignInResult, error) {
	var res *SignInResult
	var failure error
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, err := findAccountByUsername(ctx, tx, username)
		if apperr.CodeOf(err) == apperr.ENotFound {
			CheckPassword(dummyHash, password)
			failure = errBadCredentials()
			return s.audited(ctx, tx, 0, "user.signin", audit.Failure, "unknown_user")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if a.LockedUntil.After(now) {
			failure = apperr.New(apperr.ETooMany, "signin.locked")
			return s.audited(ctx, tx, a.ID, "user.signin", audit.Denied, "locked")
		}
		if !CheckPassword(a.PasswordHash, password) || !a.Active || len(a.Memberships) == 0 {
			failure = errBadCredentials()
			reason := "bad_password"
			if !a.Active {
				reason = "inactive"
			} else if len(a.Memberships) == 0 && CheckPassword(a.PasswordHash, password) {
				reason = "no_role"
			}
			fails, locked := a.FailedLogins+1, int64(0)
			if reason == "bad_password" && fails >= s.maxFailures() {
				locked = db.Micro(now.Add(s.lockFor()))
				reason = "bad_password_locked"
				fails = 0
			}
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?`, fails, locked, a.ID); err != nil {
				return err
			}
			return s.audited(ctx, tx, a.ID, "user.signin", audit.Failure, reason)
		}
		needs := access.NeedsSecondFactor(memberships(a.Memberships))
		if !needs {
			// Failures are forgotten only after the last factor succeeds, so
			// wrong TOTP codes keep counting across new password sign-ins.
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?`, a.ID); err != nil {
				return err
			}
		}
		res = &SignInResult{Stage: StageFull, MustChangePW: a.MustChangePassword}
		if needs {
			res.Stage = StagePassword
			res.NeedsTOTP = a.TOTPEnabled
			res.NeedsEnrol = !a.TOTPEnabled
		}
		res.Token, err = s.openSession(ctx, tx, a.ID, res.Stage, now)
		if err != nil {
			return err
		}
		detail := "password"
		if res.Stage == StageFull {
			detail = "complete"
		}
		return s.audited(ctx, tx, a.ID, "user.signin", audit.Success, detail)
	})
	if err != nil {
		return nil, err
	}
	return res, failure
}

func (s *Service) maxFailures() int {
	if s.MaxFailures > 0 {
		return s.MaxFailures
	}
	return 5
}

func (s *Service) lockFor() time.Duration {
	if s.LockFor > 0 {
		return s.LockFor
	}
	return 15 * time.Minute
}

func (s *Service) openSession(ctx context.Context, tx *db.Tx, userID int64, stage string, now time.Time) (string, error) {
	secret, hash := newToken("s_")
	expires := now.Add(s.MaxSession)
	if stage == StagePassword {
		expires = now.Add(preAuthLifetime)
	}
	_, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, hash, userID, stage, db.Micro(now), db.Micro(now), db.Micro(expires))
	return secret, err
}

// SessionInfo is what a surface knows about the caller of a request.
type SessionInfo struct {
	Principal access.Principal
	User      User
	Stage     string
}

// Authenticate resolves a session token. Expired (idle or absolute),
// revoked or unknown sessions, and sessions of deactivated accounts, are
// EUnauthorized. The idle clock is refreshed at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (*SessionInfo, error) {
	if token == "" {
		return nil, apperr.New(apperr.EUnauthorized, "signin.required")
	}
	var info *SessionInfo
	var refresh bool
	var sessionID int64
	now := s.now()
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var userID, lastSeen, expires, revoked int64
		var stage string
		err := tx.QueryRow(ctx, `SELECT id, user_id, stage, last_seen_at, expires_at, revoked_at FROM sessions WHERE token_hash = ?`,
			hashToken(token)).Scan(&sessionID, &userID, &stage, &lastSeen, &expires, &revoked)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return apperr.New(apperr.EUnauthorized, "signin.expired")
		}
		if err != nil {
			return err
		}
		nowUS := db.Micro(now)
		if revoked != 0 || nowUS >= expires || nowUS-lastSeen >= s.IdleTimeout.Microseconds() {
			return apperr.New(apperr.EUnauthorized, "signin.expired")
		}
		a, err := findAccount(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !a.Active {
			return apperr.New(apperr.EUnauthorized, "signin.expired")
		}
		refresh = nowUS-lastSeen > time.Minute.Microseconds()
		info = &SessionInfo{User: a.User, Stage: stage,
			Principal: access.Principal{UserID: a.ID, Username: a.Username, Memberships: memberships(a.Memberships)}}
		if stage != StageFull {
			info.Principal.Memberships = nil // a half-signed-in session may do nothing
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refresh {
		err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, db.Micro(now), sessionID)
			return err
		})
	}
	return info, err
}

// SignOut revokes the session of token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var id, userID int64
		err := tx.QueryRow(ctx, `SELECT id, user_id FROM sessions WHERE token_hash = ? AND revoked_at = 0`, hashToken(token)).Scan(&id, &userID)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ?`, db.Micro(s.now()), id); err != nil {
			return err
		}
		return s.audited(ctx, tx, userID, "user.signout", audit.Success, "")
	})
}

// ChangePassword sets a new password after checking the old one, and ends
// every session of the user; the caller receives a fresh full session.
func (s *Service) ChangePassword(ctx context.Context, p access.Principal, oldPW, newPW string) (string, error) {
	var token string
	var failure error
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, err := findAccount(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		if !CheckPassword(a.PasswordHash, oldPW) {
			failure = apperr.Invalid("error.invalid", map[string]string{"old_password": "password.old_wrong"})
			return s.audited(ctx, tx, a.ID, "user.change_password", audit.Failure, "bad_password")
		}
		if k := CheckPasswordPolicy(newPW, a.Username); k != "" {
			failure = apperr.Invalid("error.invalid", map[string]string{"new_password": k})
			return nil
		}
		if oldPW == newPW {
			failure = apperr.Invalid("error.invalid", map[string]string{"new_password": "password.same"})
			return nil
		}
		hash, err := HashPassword(newPW)
		if err != nil {
			return apperr.Internal(err)
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = 0 WHERE id = ?`,
			hash, db.Micro(now), a.ID); err != nil {
			return err
		}
		if err := revokeSessions(ctx, tx, a.ID, db.Micro(now)); err != nil {
			return err
		}
		if token, err = s.openSession(ctx, tx, a.ID, StageFull, now); err != nil {
			return err
		}
		return s.audited(ctx, tx, a.ID, "user.change_password", audit.Success, "")
	})
	if err != nil {
		return "", err
	}
	return token, failure
}
