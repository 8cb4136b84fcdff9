package people

import (
	"bytes"
	"context"
	"crypto/subtle"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Enrolment is what a user needs to add careloop to an authenticator app.
type Enrolment struct {
	Secret string // base32, for manual entry
	URL    string // otpauth:// URL
	QRPNG  []byte // PNG image of the QR code
}

func totpAAD(userID int64) string { return "users:" + strconv.FormatInt(userID, 10) + ":totp_secret" }

// pendingSession loads the first-stage session of token.
func (s *Service) pendingSession(ctx context.Context, tx *db.Tx, token string) (sessionID int64, a *account, err error) {
	var userID, expires, revoked int64
	var stage string
	err = tx.QueryRow(ctx, `SELECT id, user_id, stage, expires_at, revoked_at FROM sessions WHERE token_hash = ?`,
		hashToken(token)).Scan(&sessionID, &userID, &stage, &expires, &revoked)
	if err != nil || stage != StagePassword || revoked != 0 || db.Micro(s.now()) >= expires {
		return 0, nil, apperr.New(apperr.EUnauthorized, "signin.expired")
	}
	a, err = findAccount(ctx, tx, userID)
	if err != nil || !a.Active {
		return 0, nil, apperr.New(apperr.EUnauthorized, "signin.expired")
	}
	return sessionID, a, nil
}

// BeginEnrolment creates (or re-shows) a not-yet-confirmed TOTP secret for
// the user of a first-stage session.
func (s *Service) BeginEnrolment(ctx context.Context, token string) (*Enrolment, error) {
	var out *Enrolment
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, a, err := s.pendingSession(ctx, tx, token)
		if err != nil {
			return err
		}
		if a.TOTPEnabled {
			return apperr.New(apperr.EConflict, "totp.already_enrolled")
		}
		var key *otp.Key
		if len(a.TOTPSecret) > 0 {
			secret, err := s.Seal.Open(a.TOTPSecret, totpAAD(a.ID))
			if err != nil {
				return apperr.Internal(err)
			}
			key, err = otp.NewKeyFromURL(string(secret))
			if err != nil {
				return apperr.Internal(err)
			}
		} else {
			key, err = totp.Generate(totp.GenerateOpts{Issuer: "careloop", AccountName: a.Username})
			if err != nil {
				return apperr.Internal(err)
			}
			sealed, err := s.Seal.Seal([]byte(key.URL()), totpAAD(a.ID))
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ? WHERE id = ?`, sealed, a.ID); err != nil {
				return err
			}
		}
		img, err := key.Image(220, 220)
		if err != nil {
			return apperr.Internal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return apperr.Internal(err)
		}
		out = &Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}
		return nil
	})
	return out, err
}

// matchStep returns the 30-second step whose code equals code, within one
// step of now, or 0.
func matchStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0
	}
	for _, d := range []int64{-1, 0, 1} {
		t := now.Add(time.Duration(d) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / 30
		}
	}
	return 0
}

// VerifySecondFactor checks a TOTP code for a first-stage session. When
// enrolling is true the code confirms a new enrolment. On success the
// first-stage session is revoked and a new full session is returned (the
// token rotates at sign-in). A code is accepted once: a replay is refused.
func (s *Service) VerifySecondFactor(ctx context.Context, token, code string, enrolling bool) (string, error) {
	var full string
	var failure error
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sessionID, a, err := s.pendingSession(ctx, tx, token)
		if err != nil {
			return err
		}
		if a.LockedUntil.After(s.now()) {
			failure = apperr.New(apperr.ETooMany, "signin.locked")
			return s.audited(ctx, tx, a.ID, "user.second_factor", audit.Denied, "locked")
		}
		if len(a.TOTPSecret) == 0 || a.TOTPEnabled == enrolling {
			return apperr.New(apperr.EUnauthorized, "signin.expired")
		}
		raw, err := s.Seal.Open(a.TOTPSecret, totpAAD(a.ID))
		if err != nil {
			return apperr.Internal(err)
		}
		key, err := otp.NewKeyFromURL(string(raw))
		if err != nil {
			return apperr.Internal(err)
		}
		now := s.now()
		step := matchStep(key.Secret(), code, now)
		if step == 0 || step <= a.TOTPLastStep {
			failure = apperr.New(apperr.EUnauthorized, "totp.bad_code")
			fails, locked := a.FailedLogins+1, int64(0)
			if fails >= s.maxFailures() {
				fails, locked = 0, db.Micro(now.Add(s.lockFor()))
				if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ?`, db.Micro(now), sessionID); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?`, fails, locked, a.ID); err != nil {
				return err
			}
			return s.audited(ctx, tx, a.ID, "user.second_factor", audit.Failure, "bad_code")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_enabled = 1, totp_last_step = ?, failed_logins = 0, locked_until = 0 WHERE id = ?`, step, a.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ?`, db.Micro(now), sessionID); err != nil {
			return err
		}
		if full, err = s.openSession(ctx, tx, a.ID, StageFull, now); err != nil {
			return err
		}
		detail := "verified"
		if enrolling {
			detail = "enrolled"
		}
		return s.audited(ctx, tx, a.ID, "user.second_factor", audit.Success, detail)
	})
	if err != nil {
		return "", err
	}
	return full, failure
}
