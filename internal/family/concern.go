package family

import (
	"context"
	"slices"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/warning"
)

// Urgencies a guardian can choose for a concern.
var Urgencies = []string{"routine", "soon", "urgent"}

// GuardianSigns are the signs a guardian can tick (a subset of the
// warning package's concern signs, in words for families).
var GuardianSigns = []string{"self_harm", "suicide_talk", "low_mood", "withdrawal", "anxiety", "anger", "sleep_appetite",
	"school_refusal", "bullied", "family_conflict", "other"}

// NewConcern is what a guardian observed about their child.
type NewConcern struct {
	Signs       []string
	Urgency     string
	Description string // sealed
}

// ReportConcern files a guardian's concern about their child and raises
// the school's alert with an owner in the same transaction (the closed
// loop's rule: no signal is lost). Another family's child is not found.
// It returns the report's id.
func (s *Service) ReportConcern(ctx context.Context, se *Session, studentID int64, n NewConcern) (int64, error) {
	n.Description = strings.TrimSpace(n.Description)
	fields := map[string]string{}
	var signs []string
	for _, sg := range n.Signs {
		if slices.Contains(GuardianSigns, sg) && !slices.Contains(signs, sg) {
			signs = append(signs, sg)
		}
	}
	if len(signs) == 0 {
		fields["signs"] = "family.concern_signs_required"
	}
	if !slices.Contains(Urgencies, n.Urgency) {
		fields["urgency"] = "family.concern_urgency_required"
	}
	if len([]rune(n.Description)) > 2000 {
		fields["description"] = "family.too_long"
	}
	if len(fields) > 0 {
		return 0, apperr.Invalid("form.invalid", fields)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.child(ctx, tx, se, studentID)
		if err != nil {
			return err
		}
		now := s.now()
		if id, err = tx.InsertID(ctx, `INSERT INTO family_concerns (student_id, guardian_id, relation, signs, urgency, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, studentID, c.GuardianID, c.Relation, strings.Join(signs, " "), n.Urgency, db.Micro(now)); err != nil {
			return err
		}
		if n.Description != "" {
			sealed, err := s.Seal.Seal([]byte(n.Description), "family_concerns:"+itoa(id)+":description")
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE family_concerns SET description = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		alertID, err := s.Warning.RaiseGuardianConcern(ctx, tx, warning.GuardianConcern{StudentID: studentID, GuardianID: c.GuardianID,
			ReportID: id, Signs: signs, Urgency: n.Urgency, At: now})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE family_concerns SET alert_id = ? WHERE id = ?`, alertID, id)
		return err
	})
	return id, err
}
