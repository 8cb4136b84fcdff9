package screening

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// GuardianConsent is a decision a guardian gives themselves, online in the
// parent portal (internal/family), rather than one a member of staff
// records from paper.
type GuardianConsent struct {
	GuardianID int64  // the guardians row the portal matched (for the audit trail)
	Phone      string // the guardian's signed-in phone: it must be a guardian phone of the student
	Decision   string // given, refused, withdrawn
	GivenBy    string // the guardian's name from the roster
	Relation   string
}

// RecordGuardianConsent stores a guardian's own decision for their child in
// an open campaign, in the consents history like RecordConsent (method
// "online", the campaign's consent text version). A refusal or withdrawal
// excludes the child from the campaign at once: exclusion reads the latest
// decision. The guardian must be one of the student's guardians on the
// roster; anything else is not found. Nothing about the screening itself
// is returned.
func (s *Service) RecordGuardianConsent(ctx context.Context, campaignID, studentID int64, g GuardianConsent) error {
	if !oneOf(g.Decision, Decisions) || strings.TrimSpace(g.Phone) == "" || strings.TrimSpace(g.GivenBy) == "" {
		return apperr.Invalid("error.invalid", map[string]string{"decision": "consent.decision_unknown"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCampaign(ctx, tx, campaignID)
		if err != nil {
			return err
		}
		if c.Status != "open" || !s.now().Before(c.EndsAt) {
			return apperr.NotFound()
		}
		var schoolID, guardianID int64
		err = tx.QueryRow(ctx, `SELECT st.school_id, g.id FROM campaign_students cs JOIN students st ON st.id = cs.student_id
			JOIN guardians g ON g.student_id = st.id
			WHERE cs.campaign_id = ? AND cs.student_id = ? AND st.status = 'active' AND g.phone = ? ORDER BY g.id LIMIT 1`,
			campaignID, studentID, g.Phone).Scan(&schoolID, &guardianID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO consents (campaign_id, student_id, decision, given_by, relation, method, text_version, at,
			recorded_by) VALUES (?, ?, ?, ?, ?, 'online', ?, ?, 0)`, campaignID, studentID, g.Decision, strings.TrimSpace(g.GivenBy),
			g.Relation, c.ConsentText, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, org_unit_id, detail)
			VALUES (?, ?, ?, ?, ?)`, studentID, now, "consent_"+g.Decision, c.OrgUnitID,
			"campaign="+itoa(campaignID)+" guardian="+itoa(guardianID)+" method=online"); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: guardianID, ActorRole: "guardian", ActorOrgID: schoolID,
			Action: "consent.guardian", ObjectType: "student", ObjectID: itoa(studentID), Outcome: audit.Success,
			Detail: "campaign=" + itoa(campaignID) + " decision=" + g.Decision})
	})
}
