package screening

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// Slip is one printable access slip.
type Slip struct {
	StudentName string
	Grade       int
	ClassName   string
	Code        string
	Excluded    string // why the student may not be screened, "" if they may
}

// Slips returns the access slips of one school of a campaign (unused codes
// only), for printing. Codes are credentials, so reading them is audited.
func (s *Service) Slips(ctx context.Context, p access.Principal, campaignID, schoolID int64) ([]Slip, error) {
	var out []Slip
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCampaign(ctx, tx, campaignID)
		if err != nil {
			return err
		}
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, schoolID).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.RecordWrite, path)
		if !ok {
			return apperr.NotFound()
		}
		rows, err := tx.Query(ctx, `SELECT st.id, st.name, st.grade, st.class_name, st.birth_date, cs.code_sealed,
			COALESCE((SELECT k.decision FROM consents k WHERE k.campaign_id = cs.campaign_id AND k.student_id = cs.student_id
			ORDER BY k.at DESC, k.id DESC LIMIT 1), '')
			FROM campaign_students cs JOIN students st ON st.id = cs.student_id
			WHERE cs.campaign_id = ? AND st.school_id = ? AND cs.code_used_at = 0
			ORDER BY st.grade, st.class_name, st.name`, campaignID, schoolID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sl Slip
			var id int64
			var birth, decision string
			var sealed []byte
			if err := rows.Scan(&id, &sl.StudentName, &sl.Grade, &sl.ClassName, &birth, &sealed, &decision); err != nil {
				return apperr.Internal(err)
			}
			code, err := s.Seal.Open(sealed, codeAAD(campaignID, id))
			if err != nil {
				return apperr.Internal(err)
			}
			sl.Code, sl.Excluded = string(code), s.exclusion(c, birth, decision)
			out = append(out, sl)
		}
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.audited(ctx, tx, p, m, "campaign.slips", "campaign", campaignID, "school="+itoa(schoolID))
	})
	return out, err
}

// ScreeningResult is one response as the record page shows it.
type ScreeningResult struct {
	CampaignID   int64
	CampaignName string
	Instrument   string
	Total        int
	Band         string
	BandLabel    instrument.Text // the band's name in both languages, from the definition
	Tier         string
	Critical     bool
	Flags        string
	SubmittedAt  time.Time
}

// StudentStatus is a student's current tier.
type StudentStatus struct {
	Tier     string
	Critical bool
	At       time.Time
}

// History returns a student's screening results, oldest first, and their
// current tier (nil if never screened), for a caller who may read the
// record; the read is audited.
func (s *Service) History(ctx context.Context, p access.Principal, studentID int64) ([]ScreeningResult, *StudentStatus, error) {
	var out []ScreeningResult
	var status *StudentStatus
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT o.path FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.id = ?`,
			studentID).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.RecordRead, path)
		if !ok {
			return apperr.NotFound()
		}
		rows, err := tx.Query(ctx, `SELECT r.campaign_id, c.name, r.instrument_id, r.total, r.band, r.tier, r.critical, r.flags,
			r.submitted_at FROM responses r JOIN campaigns c ON c.id = r.campaign_id WHERE r.student_id = ?
			ORDER BY r.submitted_at, r.id`, studentID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r ScreeningResult
			var crit int
			var at int64
			if err := rows.Scan(&r.CampaignID, &r.CampaignName, &r.Instrument, &r.Total, &r.Band, &r.Tier, &crit, &r.Flags, &at); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			r.Critical, r.SubmittedAt = crit == 1, db.FromMicro(at)
			if inst, ok := s.Instrument(r.Instrument); ok {
				for _, b := range inst.Bands {
					if b.Key == r.Band && b.Scale == "" {
						r.BandLabel = b.Label
					}
				}
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		var st StudentStatus
		var crit int
		var at int64
		err = tx.QueryRow(ctx, `SELECT tier, critical, at FROM student_tiers WHERE student_id = ?`, studentID).Scan(&st.Tier, &crit, &at)
		switch apperr.CodeOf(err) {
		case "":
			st.Critical, st.At = crit == 1, db.FromMicro(at)
			status = &st
		case apperr.ENotFound:
		default:
			return err
		}
		return s.audited(ctx, tx, p, m, "screening.history", "student", studentID, "")
	})
	return out, status, err
}

// TierCount is the number of students of one tier in one school, grade and class.
type TierCount struct {
	SchoolID   int64
	SchoolName string
	Grade      int
	ClassName  string
	Tier       string
	Critical   int
	Students   int
}

// TierDistribution counts the campaign's screened students by tier, per
// school, grade and class, inside the caller's scope. Counts are exact here;
// the surfaces hide small counts from roles that may not see identities.
func (s *Service) TierDistribution(ctx context.Context, p access.Principal, campaignID int64) ([]TierCount, error) {
	if _, err := s.FindCampaignByID(ctx, p, campaignID); err != nil {
		return nil, err
	}
	var out []TierCount
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.RecordRead, "o.path")
		rows, err := tx.Query(ctx, `SELECT st.school_id, o.name, st.grade, st.class_name, t.tier, SUM(t.critical), COUNT(*)
			FROM student_tiers t JOIN students st ON st.id = t.student_id JOIN org_units o ON o.id = st.school_id
			WHERE t.campaign_id = ? AND `+scope+` GROUP BY st.school_id, o.name, o.path, st.grade, st.class_name, t.tier
			ORDER BY o.path, st.grade, st.class_name, CASE t.tier WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END`, append([]any{campaignID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t TierCount
			if err := rows.Scan(&t.SchoolID, &t.SchoolName, &t.Grade, &t.ClassName, &t.Tier, &t.Critical, &t.Students); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, t)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// StudentTier is a student with their current tier, for the lists that
// those who may see identities use.
type StudentTier struct {
	StudentID  int64
	StudentNo  string
	SchoolName string
	Name       string
	Grade      int
	ClassName  string
	Tier       string
	Critical   bool
}

// StudentsByTier lists the campaign's screened students, critical and
// worst tier first, inside the caller's record.read scope; the list is audited.
func (s *Service) StudentsByTier(ctx context.Context, p access.Principal, campaignID int64) ([]StudentTier, error) {
	return s.studentsByTier(ctx, p, campaignID, "screening.list")
}

// ExportTiers is StudentsByTier for a spreadsheet export, audited as an export.
func (s *Service) ExportTiers(ctx context.Context, p access.Principal, campaignID int64) ([]StudentTier, error) {
	return s.studentsByTier(ctx, p, campaignID, "campaign.export")
}

func (s *Service) studentsByTier(ctx context.Context, p access.Principal, campaignID int64, action string) ([]StudentTier, error) {
	m, ok := p.Grant(access.RecordRead)
	if !ok {
		return nil, apperr.Forbidden()
	}
	if _, err := s.FindCampaignByID(ctx, p, campaignID); err != nil {
		return nil, err
	}
	var out []StudentTier
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.RecordRead, "o.path")
		rows, err := tx.Query(ctx, `SELECT st.id, st.student_no, o.name, st.name, st.grade, st.class_name, t.tier, t.critical FROM student_tiers t
			JOIN students st ON st.id = t.student_id JOIN org_units o ON o.id = st.school_id
			WHERE t.campaign_id = ? AND `+scope+` ORDER BY t.critical DESC,
			CASE t.tier WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END, o.path, st.grade, st.class_name, st.name
			LIMIT 2000`, append([]any{campaignID}, args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t StudentTier
			var crit int
			if err := rows.Scan(&t.StudentID, &t.StudentNo, &t.SchoolName, &t.Name, &t.Grade, &t.ClassName, &t.Tier, &crit); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			t.Critical = crit == 1
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.audited(ctx, tx, p, m, action, "campaign", campaignID, "rows="+itoa(int64(len(out))))
	})
	return out, err
}
