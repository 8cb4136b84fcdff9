package family

import (
	"context"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
)

// Child is what a guardian sees of their child: who, where, and the
// guardian's own row. Never answers, scores, tiers, alerts or notes.
type Child struct {
	StudentID    int64
	Name         string
	SchoolID     int64
	SchoolName   string
	SchoolNameEn string
	SchoolPath   string
	DistrictID   int64 // the school's parent unit
	Grade        int
	ClassName    string
	GuardianID   int64
	GuardianName string
	Relation     string
}

// CampaignConsent is an open screening campaign that targets the child,
// with the guardian's latest decision ("" when none is recorded).
type CampaignConsent struct {
	CampaignID  int64
	Name        string
	ConsentRule string
	ConsentText string
	EndsAt      int64
	Decision    string
	DecidedAt   int64
}

const childColumns = `st.id, st.name, o.id, o.name, o.name_en, o.path, COALESCE(o.parent_id, 0), st.grade, st.class_name, g.id, g.name, g.relation`

func scanChild(sc interface{ Scan(...any) error }) (Child, error) {
	var c Child
	err := sc.Scan(&c.StudentID, &c.Name, &c.SchoolID, &c.SchoolName, &c.SchoolNameEn, &c.SchoolPath, &c.DistrictID, &c.Grade,
		&c.ClassName, &c.GuardianID, &c.GuardianName, &c.Relation)
	return c, err
}

// child loads one of the session's children; any other student, and an
// inactive one, is not found.
func (s *Service) child(ctx context.Context, tx *db.Tx, se *Session, studentID int64) (*Child, error) {
	if se == nil || se.Phone == "" {
		return nil, apperr.NotFound()
	}
	c, err := scanChild(tx.QueryRow(ctx, `SELECT `+childColumns+` FROM guardians g JOIN students st ON st.id = g.student_id
		JOIN org_units o ON o.id = st.school_id WHERE g.student_id = ? AND g.phone = ? AND st.status = 'active'
		ORDER BY g.id LIMIT 1`, studentID, se.Phone))
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// children loads every child of the session's phone.
func (s *Service) children(ctx context.Context, tx *db.Tx, se *Session) ([]Child, error) {
	if se == nil || se.Phone == "" {
		return nil, apperr.NotFound()
	}
	rows, err := tx.Query(ctx, `SELECT `+childColumns+` FROM guardians g JOIN students st ON st.id = g.student_id
		JOIN org_units o ON o.id = st.school_id WHERE g.phone = ? AND st.status = 'active'
		AND g.id = (SELECT MIN(g2.id) FROM guardians g2 WHERE g2.student_id = g.student_id AND g2.phone = g.phone)
		ORDER BY st.id`, se.Phone)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Child
	for rows.Next() {
		c, err := scanChild(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, c)
	}
	return out, apperr.Internal(rows.Err())
}

// Children lists the guardian's children; each read is audited.
func (s *Service) Children(ctx context.Context, se *Session) ([]Child, error) {
	var out []Child
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if out, err = s.children(ctx, tx, se); err != nil {
			return err
		}
		for _, c := range out {
			if err := s.recordGuardian(ctx, tx, c.GuardianID, c.SchoolID, "family.child_read", "student", c.StudentID, "list"); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ChildView is one child's page: the child and the consents asked for.
type ChildView struct {
	Child     Child
	Campaigns []CampaignConsent
}

// FindChild returns one of the guardian's children with the open
// campaigns that target them and the latest consent decision of each;
// the read is audited. Another family's child is not found.
func (s *Service) FindChild(ctx context.Context, se *Session, studentID int64) (*ChildView, error) {
	var v ChildView
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.child(ctx, tx, se, studentID)
		if err != nil {
			return err
		}
		v.Child = *c
		rows, err := tx.Query(ctx, `SELECT c.id, c.name, c.consent_rule, c.consent_text, c.ends_at,
			COALESCE((SELECT k.decision FROM consents k WHERE k.campaign_id = c.id AND k.student_id = cs.student_id ORDER BY k.at DESC, k.id DESC LIMIT 1), ''),
			COALESCE((SELECT k.at FROM consents k WHERE k.campaign_id = c.id AND k.student_id = cs.student_id ORDER BY k.at DESC, k.id DESC LIMIT 1), 0)
			FROM campaign_students cs JOIN campaigns c ON c.id = cs.campaign_id
			WHERE cs.student_id = ? AND c.status = 'open' AND c.ends_at > ? ORDER BY c.starts_at, c.id`, studentID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		for rows.Next() {
			var cc CampaignConsent
			if err := rows.Scan(&cc.CampaignID, &cc.Name, &cc.ConsentRule, &cc.ConsentText, &cc.EndsAt, &cc.Decision, &cc.DecidedAt); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			v.Campaigns = append(v.Campaigns, cc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.recordGuardian(ctx, tx, c.GuardianID, c.SchoolID, "family.child_read", "student", c.StudentID, "consents")
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// SetConsent gives, refuses or withdraws the guardian's consent for their
// child in an open campaign (method online, in the screening package's own
// rules): a withdrawal excludes the child from the campaign at once.
func (s *Service) SetConsent(ctx context.Context, se *Session, studentID, campaignID int64, decision string) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.child(ctx, tx, se, studentID)
		if err != nil {
			return err
		}
		return s.Screening.RecordGuardianConsent(ctx, campaignID, studentID, screening.GuardianConsent{GuardianID: c.GuardianID,
			Phone: se.Phone, Decision: decision, GivenBy: c.GuardianName, Relation: c.Relation})
	})
}
