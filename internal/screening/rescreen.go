package screening

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// OfferRescreen gives a student whose response was flagged (too fast,
// straight-lining, a validity item) a new attempt in the same campaign, with
// a new one-time code. The flagged response is kept; the next submission is
// recorded beside it as the next attempt and sets the tier again.
func (s *Service) OfferRescreen(ctx context.Context, p access.Principal, campaignID, studentID int64) (string, error) {
	var code string
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path, state string
		var attempt int
		err := tx.QueryRow(ctx, `SELECT o.path, cs.state, cs.attempt FROM campaign_students cs JOIN students st ON st.id = cs.student_id
			JOIN org_units o ON o.id = st.school_id WHERE cs.campaign_id = ? AND cs.student_id = ?`, campaignID, studentID).Scan(&path, &state, &attempt)
		if err != nil {
			return err
		}
		m, ok := p.At(access.RecordWrite, path)
		if !ok {
			return apperr.NotFound()
		}
		var flagged int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM responses WHERE campaign_id = ? AND student_id = ? AND attempt = ? AND flags <> ''`,
			campaignID, studentID, attempt).Scan(&flagged); err != nil {
			return err
		}
		if state != Completed || flagged == 0 {
			return apperr.Invalid("rescreen.not_flagged", nil)
		}
		code = newCode()
		sealed, err := s.Seal.Seal([]byte(code), codeAAD(campaignID, studentID))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE campaign_students SET state = ?, attempt = ?, code_hash = ?, code_sealed = ?, code_used_at = 0,
			started_at = 0, completed_at = 0 WHERE campaign_id = ? AND student_id = ?`, Invited, attempt+1, hashCode(code), sealed,
			campaignID, studentID); err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, detail) VALUES (?, ?, 'rescreen_offered', ?, ?)`,
			studentID, now, p.UserID, "campaign="+itoa(campaignID)); err != nil {
			return err
		}
		return s.audited(ctx, tx, p, m, "screening.rescreen", "student", studentID, "campaign="+itoa(campaignID))
	})
	return code, err
}
