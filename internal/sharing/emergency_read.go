package sharing

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
)

// EmergencyView is what a grant shows of the one record: who the child is,
// whom to call, what puts them at risk, and who already looks after them.
// Nothing else of the record (no notes, answers or plans).
type EmergencyView struct {
	Grant       Grant
	Child       Child
	Gender      string
	Grade       int
	ClassName   string
	Guardians   []student.Guardian
	RiskFactors []RiskFactorCode
	AlertLevel  string // the open alert's level, or ""
	AlertOwner  string
	CaseOwner   string // the open case's owner, or ""
	Remaining   time.Duration
}

// RiskFactorCode is a current risk factor without its note.
type RiskFactorCode struct {
	Kind  string
	Since string
}

const grantColumns = `g.id, g.user_id, u.display_name, g.org_unit_id, gu.name, gu.name_en, g.role, g.student_id, st.student_no,
	st.school_id, so.name, so.name_en, g.reason, g.life_exception, g.task_id, g.started_at, g.expires_at, g.ended_at, g.end_kind, g.reads`

const grantFrom = ` FROM emergency_grants g JOIN users u ON u.id = g.user_id JOIN org_units gu ON gu.id = g.org_unit_id
	JOIN students st ON st.id = g.student_id JOIN org_units so ON so.id = st.school_id`

// scanGrant reads a grant; open says whether to open the reason.
func (s *Service) scanGrant(sc func(...any) error, open bool) (*Grant, error) {
	var g Grant
	var reason []byte
	var life int
	var started, expires, ended int64
	if err := sc(&g.ID, &g.UserID, &g.UserName, &g.Unit.ID, &g.Unit.Name, &g.Unit.NameEn, &g.Role, &g.StudentID, &g.StudentNo,
		&g.School.ID, &g.School.Name, &g.School.NameEn, &reason, &life, &g.TaskID, &started, &expires, &ended, &g.EndKind, &g.Reads); err != nil {
		return nil, err
	}
	g.LifeException = life != 0
	g.StartedAt, g.ExpiresAt = db.FromMicro(started), db.FromMicro(expires)
	if ended != 0 {
		g.EndedAt = db.FromMicro(ended)
	}
	if open {
		plain, err := s.Seal.Open(reason, reasonAAD(g.ID))
		if err != nil {
			return nil, apperr.Internal(err)
		}
		g.Reason = string(plain)
	}
	return &g, nil
}

// EmergencyRecord reads the record through the caller's own grant. The
// grant is checked on every read: it must be the caller's, not ended, not
// expired, and the caller must still hold record.emergency. A grant whose
// time is up is ended there and then (audited as its expiry) and the read
// is refused with emergency.ended. Every read is audited as a read of the
// student, naming the grant.
func (s *Service) EmergencyRecord(ctx context.Context, p access.Principal, id int64) (*EmergencyView, error) {
	m, ok := p.Grant(access.EmergencyAccess)
	if !ok {
		return nil, apperr.NotFound()
	}
	var v EmergencyView
	expired := false
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		g, err := s.scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+grantFrom+` WHERE g.id = ? AND g.user_id = ?`, id, p.UserID).Scan, true)
		if err != nil {
			return err
		}
		now := s.now()
		if !g.EndedAt.IsZero() {
			return apperr.New(apperr.EConflict, "emergency.ended")
		}
		if !now.Before(g.ExpiresAt) {
			expired = true
			_, err = s.expire(ctx, tx, id)
			return err
		}
		v.Grant, v.Remaining = *g, g.ExpiresAt.Sub(now)
		if err := s.readEmergency(ctx, tx, &v); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE emergency_grants SET reads = reads + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		v.Grant.Reads++
		return s.record(ctx, tx, p, m, "emergency.read", "student", g.StudentID, "grant="+itoa(id))
	})
	if err == nil && expired {
		err = apperr.New(apperr.EConflict, "emergency.ended")
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// readEmergency fills the view of the grant's student with plain SQL.
func (s *Service) readEmergency(ctx context.Context, tx *db.Tx, v *EmergencyView) error {
	c, err := scanChild(tx.QueryRow(ctx, `SELECT `+childColumns+` FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.id = ?`,
		v.Grant.StudentID))
	if err != nil {
		return err
	}
	v.Child = *c
	if err := tx.QueryRow(ctx, `SELECT gender, grade, class_name FROM students WHERE id = ?`, c.ID).Scan(&v.Gender, &v.Grade, &v.ClassName); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT name, relation, phone FROM guardians WHERE student_id = ? ORDER BY position`, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var g student.Guardian
		if err := rows.Scan(&g.Name, &g.Relation, &g.Phone); err != nil {
			rows.Close()
			return apperr.Internal(err)
		}
		v.Guardians = append(v.Guardians, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Internal(err)
	}
	rows, err = tx.Query(ctx, `SELECT kind, since FROM risk_factors WHERE student_id = ? AND ended_at = 0 ORDER BY recorded_at, id`, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var f RiskFactorCode
		if err := rows.Scan(&f.Kind, &f.Since); err != nil {
			rows.Close()
			return apperr.Internal(err)
		}
		v.RiskFactors = append(v.RiskFactors, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Internal(err)
	}
	err = tx.QueryRow(ctx, `SELECT a.level, u.display_name FROM alerts a JOIN users u ON u.id = a.owner_user_id
		WHERE a.student_id = ? AND a.closed_at = 0`, c.ID).Scan(&v.AlertLevel, &v.AlertOwner)
	if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
		return err
	}
	err = tx.QueryRow(ctx, `SELECT u.display_name FROM cases k JOIN users u ON u.id = k.owner_user_id
		WHERE k.student_id = ? AND k.state <> 'closed' ORDER BY k.id DESC LIMIT 1`, c.ID).Scan(&v.CaseOwner)
	if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
		return err
	}
	return nil
}

// MyGrants lists the caller's grants, newest first, without their
// reasons or the record. The caller needs record.emergency.
func (s *Service) MyGrants(ctx context.Context, p access.Principal) ([]Grant, error) {
	if !p.Can(access.EmergencyAccess) {
		return nil, apperr.Forbidden()
	}
	var out []Grant
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+grantColumns+grantFrom+` WHERE g.user_id = ? ORDER BY g.id DESC LIMIT 100`, p.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := s.scanGrant(rows.Scan, false)
			if err != nil {
				return apperr.Internal(err)
			}
			out = append(out, *g)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// ReviewGrant shows a grant to one of those alerted of it (the
// supervisors and school leaders recorded as its watchers): who broke the
// glass, when, why, for which student number, how often they read, and
// whether it has ended. Anyone else gets ENotFound. The review is audited.
func (s *Service) ReviewGrant(ctx context.Context, p access.Principal, id int64) (*Grant, error) {
	// Deny by default: a reviewer must still handle alerts (a token
	// without alert.handle, or a role changed since, reviews nothing).
	m, ok := p.Grant(access.AlertHandle)
	if !ok {
		return nil, apperr.NotFound()
	}
	var g *Grant
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var why string
		if err := tx.QueryRow(ctx, `SELECT why FROM emergency_watchers WHERE grant_id = ? AND user_id = ?`, id, p.UserID).Scan(&why); err != nil {
			return err
		}
		var err error
		if g, err = s.scanGrant(tx.QueryRow(ctx, `SELECT `+grantColumns+grantFrom+` WHERE g.id = ?`, id).Scan, true); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "emergency.review", "emergency_grant", id, "student="+itoa(g.StudentID)+" as="+why)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}
