package crisis

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// activeCase returns the known child's case that is not closed, and its
// owner (0, 0 when there is none).
func activeCase(ctx context.Context, tx *db.Tx, studentID int64) (int64, int64, error) {
	var id, owner int64
	err := tx.QueryRow(ctx, `SELECT id, owner_user_id FROM cases WHERE student_id = ? AND state IN ('open', 'close_requested')
		ORDER BY id DESC LIMIT 1`, studentID).Scan(&id, &owner)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return 0, 0, nil
	}
	return id, owner, err
}

// feedFollowUp carries the planned follow-up of a known child into the
// support plan, through package care in the same transaction: on the
// child's open case, or on a case the caller opens when they manage cases
// at the child's school. A caller who cannot (a hotline counsellor) tells
// the case's owner, or with no case the school's case workers, who see the
// incident through their crisis.handle over the school and plan it
// themselves. It returns codes for the step's detail.
func (s *Service) feedFollowUp(ctx context.Context, tx *db.Tx, p access.Principal, inc *Incident, in StepInput) (string, error) {
	if inc.StudentID == 0 || s.Care == nil {
		return "", nil
	}
	caseID, _, err := activeCase(ctx, tx, inc.StudentID)
	if err != nil {
		return "", err
	}
	opened := ""
	if _, ok := p.At(access.CaseManage, inc.schoolPath); caseID == 0 && ok {
		if caseID, err = s.Care.OpenCase(ctx, p, inc.StudentID, 0); err != nil {
			return "", err
		}
		opened = " case_opened=1"
	}
	if caseID != 0 {
		fid, err := s.Care.PlanFollowUp(ctx, p, caseID, in.FollowUpKind, in.FollowUpDue)
		switch apperr.CodeOf(err) {
		case "":
			return "case=" + itoa(caseID) + " follow_up=" + itoa(fid) + opened, nil
		case apperr.ENotFound, apperr.EForbidden:
		default:
			return "", err
		}
	}
	return "case=" + itoa(caseID) + " told_case_workers=1", s.tellCaseOwner(ctx, tx, inc, p.UserID, "incident.follow_up")
}

// tellCaseOwner tells the owner of the known child's open case about the
// incident (kind says what happened), or with no case the nearest case
// workers of the child's school.
func (s *Service) tellCaseOwner(ctx context.Context, tx *db.Tx, inc *Incident, except int64, kind string) error {
	if inc.StudentID == 0 || s.Notify == nil {
		return nil
	}
	_, owner, err := activeCase(ctx, tx, inc.StudentID)
	if err != nil {
		return err
	}
	users := []int64{owner}
	if owner == 0 {
		if users, err = holders(ctx, tx, access.CaseManage, inc.schoolPath, true); err != nil {
			return err
		}
	}
	for _, u := range users {
		if u == except {
			continue
		}
		if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: kind, RefType: "incident", RefID: inc.ID}); err != nil {
			return err
		}
	}
	return nil
}
