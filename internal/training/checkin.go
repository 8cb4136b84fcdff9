package training

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// CheckinCode makes a new check-in token for a session the caller
// manages; the page shows it as a QR code of /training/checkin/{token}.
// Only its SHA-256 is stored, so a token is shown once; earlier tokens of
// the session stay valid.
func (s *Service) CheckinCode(ctx context.Context, p access.Principal, sessionID int64) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", apperr.Internal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		m, err := managing(p, sess.CoursePath)
		if err != nil {
			return err
		}
		id, err := tx.InsertID(ctx, `INSERT INTO training_checkin_codes (session_id, token_hash, created_by, created_at) VALUES (?, ?, ?, ?)`,
			sessionID, hashToken(token), p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "training.checkin_code", "training_session", sessionID, "code="+itoa(id))
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Checkin is what the check-in page shows to the person at the door.
type Checkin struct {
	Session  Session
	Open     bool // the code is valid now: from 30 minutes before the start to the end
	Early    bool // not yet open
	Enrolled bool
	Attended bool
}

// findCheckin resolves a token to its session.
func (s *Service) findCheckin(ctx context.Context, tx *db.Tx, p access.Principal, token string) (Checkin, error) {
	var c Checkin
	if p.UserID == 0 || p.Limit != nil {
		return c, apperr.Forbidden()
	}
	if token == "" || len(token) > 100 {
		return c, apperr.NotFound()
	}
	if err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+sessionFrom+` JOIN training_checkin_codes c ON c.session_id = s.id
		WHERE c.token_hash = ? AND s.cancelled_at = 0 AND k.active = 1`, hashToken(token)), &c.Session); err != nil {
		return c, err
	}
	now := s.now()
	c.Early = now.Before(c.Session.StartsAt.Add(-attendFrom))
	c.Open = !c.Early && now.Before(c.Session.EndsAt)
	var att int64
	err := tx.QueryRow(ctx, `SELECT attended FROM training_enrolments WHERE session_id = ? AND user_id = ?`, c.Session.ID, p.UserID).Scan(&att)
	switch apperr.CodeOf(err) {
	case "":
		c.Enrolled, c.Attended = true, att == 1
	case apperr.ENotFound:
	default:
		return c, err
	}
	return c, nil
}

// FindCheckin returns the session of a check-in token for a signed-in
// person who opened its QR code.
func (s *Service) FindCheckin(ctx context.Context, p access.Principal, token string) (Checkin, error) {
	var c Checkin
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		c, err = s.findCheckin(ctx, tx, p, token)
		return err
	})
	return c, err
}

// CheckIn marks the caller present at the session of token while the code
// is valid. A person not enrolled walks in, taking a place while places
// last, if the course is offered to one of their units. Every check-in is
// audited.
func (s *Service) CheckIn(ctx context.Context, p access.Principal, token string) (Checkin, error) {
	var c Checkin
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if c, err = s.findCheckin(ctx, tx, p, token); err != nil {
			return err
		}
		if !c.Open {
			return apperr.New(apperr.EConflict, "training.checkin_closed")
		}
		if c.Attended {
			return nil
		}
		sess, err := loadSession(ctx, tx, c.Session.ID)
		if err != nil {
			return err
		}
		how := "enrolled"
		if !c.Enrolled {
			unit, err := traineeUnit(ctx, tx, p.UserID, sess.CoursePath)
			if err != nil {
				return apperr.New(apperr.EForbidden, "training.not_offered")
			}
			if _, err := s.enrolTx(ctx, tx, sess, p.UserID, unit, "walk_in", p.UserID); err != nil {
				return err
			}
			how = "walk_in"
		}
		if _, err := s.markPresent(ctx, tx, sess, p.UserID, "qr", p.UserID); err != nil {
			return err
		}
		c.Enrolled, c.Attended = true, true
		return s.record(ctx, tx, p, own(p), "training.checkin", "training_session", sess.ID, "user="+itoa(p.UserID)+" "+how)
	})
	return c, err
}
