package family

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"math/big"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/notify"
)

// The rules of sign-in.
const (
	CodeLifetime = 5 * time.Minute  // a code works this long
	CodeTries    = 5                // wrong tries that end a code
	CodesPerHour = 5                // codes sent to one phone in an hour
	CodeGap      = 60 * time.Second // between two codes to one phone
	WrongPerDay  = 10               // wrong codes one phone may send in 24 hours, across its codes
	IdleTimeout  = 30 * time.Minute // a session unused this long ends
	MaxSession   = 12 * time.Hour   // and every session ends after this
)

// Session is a signed-in guardian: the phone reaches the students whose
// guardian rows carry it.
type Session struct {
	ID         int64
	Phone      string
	GuardianID int64
}

func (s *Service) mac(parts ...string) string {
	h := hmac.New(sha256.New, s.Key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Service) phoneHash(phone string) string { return s.mac("phone", phone) }

func (s *Service) codeHash(phoneHash, code string) string { return s.mac("code", phoneHash, code) }

func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		panic(err)
	}
	return leftPad(n.String())
}

func leftPad(s string) string {
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

var errNoKey = errors.New("family: no key for codes")

// RequestCode sends a one-time code to phone when at least one active
// student has a guardian with that phone. It answers the same way whether
// or not the phone is known (a code row is stored either way, so the
// per-phone limits apply alike); only a malformed number is refused, and a
// phone asked for too often gets ETooMany. lang is the SMS's language.
func (s *Service) RequestCode(ctx context.Context, raw, lang string) error {
	phone, ok := NormalizePhone(raw)
	if !ok {
		return apperr.Invalid("family.phone_invalid", map[string]string{"phone": "family.phone_invalid"})
	}
	if len(s.Key) == 0 {
		return apperr.Internal(errNoKey)
	}
	ph := s.phoneHash(phone)
	code := newCode()
	var known bool
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Serialize(ctx, "family-code:"+ph); err != nil {
			return err
		}
		now := s.now()
		var sent, last int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(created_at), 0) FROM family_codes WHERE phone_hash = ? AND created_at > ?`,
			ph, db.Micro(now.Add(-time.Hour))).Scan(&sent, &last); err != nil {
			return err
		}
		if sent >= CodesPerHour || (last > 0 && now.Sub(db.FromMicro(last)) < CodeGap) {
			return &apperr.Error{Code: apperr.ETooMany, Message: "family.too_many"}
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM guardians g JOIN students st ON st.id = g.student_id
			WHERE g.phone = ? AND st.status = 'active'`, phone).Scan(&n); err != nil {
			return err
		}
		known = n > 0
		// Earlier codes of this phone stop working: only the newest counts.
		if _, err := tx.Exec(ctx, `UPDATE family_codes SET used_at = ? WHERE phone_hash = ? AND used_at = 0`, db.Micro(now), ph); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO family_codes (phone_hash, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			ph, s.codeHash(ph, code), db.Micro(now), db.Micro(now.Add(CodeLifetime)))
		return err
	})
	if err != nil || !known {
		return err
	}
	if s.SMS == nil {
		return apperr.Internal(errors.New("family: no SMS gateway"))
	}
	msg := notify.Message{To: phone, Body: i18n.T(lang, "family.sms_code", code)}
	if !s.SendAsync {
		if err := s.SMS.SendSMS(ctx, msg); err != nil {
			return apperr.Internal(err)
		}
		return nil
	}
	// A real gateway answers slowly or fails: sent apart from the request,
	// so that neither its time nor its failure tells a known phone from
	// an unknown one. A code that did not go out is asked for again.
	go func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := s.SMS.SendSMS(sctx, msg); err != nil && s.Log != nil {
			s.Log.Warn("family: a one-time code was not sent", "err", err)
		}
	}()
	return nil
}

// errBadCode is the one answer to a wrong, expired, used or unknown code.
func errBadCode() error {
	return &apperr.Error{Code: apperr.EUnauthorized, Message: "family.code_wrong"}
}

// SignIn checks phone and code and opens a session; it returns the
// session's token (for the cookie; only its SHA-256 is stored). A wrong
// code counts against the newest code of the phone; the fifth wrong try
// ends it. Wrong, expired, used and unknown: one answer.
func (s *Service) SignIn(ctx context.Context, raw, code string) (string, error) {
	phone, ok := NormalizePhone(raw)
	if !ok || len(code) != 6 || len(s.Key) == 0 {
		return "", errBadCode()
	}
	ph := s.phoneHash(phone)
	token := newToken()
	var bad bool
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Serialize(ctx, "family-code:"+ph); err != nil {
			return err
		}
		now := db.Micro(s.now())
		var wrong int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(tries), 0) FROM family_codes WHERE phone_hash = ? AND created_at > ?`,
			ph, db.Micro(s.now().Add(-24*time.Hour))).Scan(&wrong); err != nil {
			return err
		}
		if wrong >= WrongPerDay {
			bad = true
			return nil
		}
		var id, tries int64
		var hash string
		err := tx.QueryRow(ctx, `SELECT id, code_hash, tries FROM family_codes WHERE phone_hash = ? AND used_at = 0 AND expires_at > ?
			ORDER BY created_at DESC, id DESC LIMIT 1`, ph, now).Scan(&id, &hash, &tries)
		if apperr.CodeOf(err) == apperr.ENotFound {
			bad = true
			return nil
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(hash), []byte(s.codeHash(ph, code))) != 1 {
			bad = true
			if tries+1 >= CodeTries {
				_, err = tx.Exec(ctx, `UPDATE family_codes SET tries = tries + 1, used_at = ? WHERE id = ?`, now, id)
			} else {
				_, err = tx.Exec(ctx, `UPDATE family_codes SET tries = tries + 1 WHERE id = ?`, id)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE family_codes SET used_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		var gid, schoolID int64
		err = tx.QueryRow(ctx, `SELECT g.id, st.school_id FROM guardians g JOIN students st ON st.id = g.student_id
			WHERE g.phone = ? AND st.status = 'active' ORDER BY g.id LIMIT 1`, phone).Scan(&gid, &schoolID)
		if apperr.CodeOf(err) == apperr.ENotFound {
			bad = true
			return nil
		}
		if err != nil {
			return err
		}
		sid, err := tx.InsertID(ctx, `INSERT INTO family_sessions (token_hash, phone, guardian_id, created_at, seen_at) VALUES (?, ?, ?, ?, ?)`,
			tokenHash(token), phone, gid, now, now)
		if err != nil {
			return err
		}
		return s.recordGuardian(ctx, tx, gid, schoolID, "family.signin", "family_session", sid, "")
	})
	if err != nil {
		return "", err
	}
	if bad {
		if err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: GuardianRole, Action: "family.signin", ObjectType: "family_session",
				Outcome: audit.Failure, Detail: "code"})
		}); err != nil {
			return "", err
		}
		return "", errBadCode()
	}
	return token, nil
}

func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the live session of token and marks it used. An
// unknown, ended, idle or too old session is EUnauthorized, as is one
// whose phone no longer reaches any active student.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, error) {
	if len(token) != 64 {
		return nil, &apperr.Error{Code: apperr.EUnauthorized, Message: "family.signin_again"}
	}
	var out Session
	expired := false
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := s.now()
		var created, seen int64
		err := tx.QueryRow(ctx, `SELECT id, phone, guardian_id, created_at, seen_at FROM family_sessions WHERE token_hash = ? AND ended_at = 0`,
			tokenHash(token)).Scan(&out.ID, &out.Phone, &out.GuardianID, &created, &seen)
		if err != nil {
			if apperr.CodeOf(err) == apperr.ENotFound {
				return &apperr.Error{Code: apperr.EUnauthorized, Message: "family.signin_again"}
			}
			return err
		}
		if now.Sub(db.FromMicro(seen)) > IdleTimeout || now.Sub(db.FromMicro(created)) > MaxSession {
			expired = true
			_, err := tx.Exec(ctx, `UPDATE family_sessions SET ended_at = ? WHERE id = ?`, db.Micro(now), out.ID)
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM guardians g JOIN students st ON st.id = g.student_id
			WHERE g.phone = ? AND st.status = 'active'`, out.Phone).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errExpired
		}
		_, err = tx.Exec(ctx, `UPDATE family_sessions SET seen_at = ? WHERE id = ?`, db.Micro(now), out.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, errExpired
	}
	return &out, nil
}

var errExpired = &apperr.Error{Code: apperr.EUnauthorized, Message: "family.signin_again"}

// SignOut ends the session of token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE family_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at = 0`, db.Micro(s.now()), tokenHash(token))
		return err
	})
}
