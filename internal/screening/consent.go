package screening

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
)

// Consent decisions and how they were given.
var (
	Decisions      = []string{"given", "refused", "withdrawn"}
	ConsentMethods = []string{"paper", "online", "phone", "in_person"}
)

// NewConsent records a guardian's decision for one student and campaign.
type NewConsent struct {
	Decision string
	GivenBy  string // the guardian's name
	Relation string
	Method   string
}

// RecordConsent stores a consent decision; nothing is overwritten, so the
// history of consents and withdrawals stays.
func (s *Service) RecordConsent(ctx context.Context, p access.Principal, campaignID, studentID int64, n NewConsent) error {
	n.GivenBy = strings.TrimSpace(n.GivenBy)
	problems := map[string]string{}
	if !oneOf(n.Decision, Decisions) {
		problems["decision"] = "consent.decision_unknown"
	}
	if !oneOf(n.Method, ConsentMethods) {
		problems["method"] = "consent.method_unknown"
	}
	if n.GivenBy == "" {
		problems["given_by"] = "consent.given_by_required"
	}
	if len(problems) > 0 {
		return apperr.Invalid("error.invalid", problems)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCampaign(ctx, tx, campaignID)
		if err != nil {
			return err
		}
		var path string
		err = tx.QueryRow(ctx, `SELECT o.path FROM campaign_students cs JOIN students st ON st.id = cs.student_id
			JOIN org_units o ON o.id = st.school_id WHERE cs.campaign_id = ? AND cs.student_id = ?`, campaignID, studentID).Scan(&path)
		if err != nil {
			return err
		}
		m, ok := p.At(access.RecordWrite, path)
		if !ok {
			return apperr.NotFound()
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO consents (campaign_id, student_id, decision, given_by, relation, method, text_version, at,
			recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, campaignID, studentID, n.Decision, n.GivenBy, n.Relation, n.Method,
			c.ConsentText, now, p.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail)
			VALUES (?, ?, ?, ?, ?, ?)`, studentID, now, "consent_"+n.Decision, p.UserID, c.OrgUnitID, "campaign="+itoa(campaignID)); err != nil {
			return err
		}
		return s.audited(ctx, tx, p, m, "consent.record", "student", studentID, "campaign="+itoa(campaignID)+" decision="+n.Decision)
	})
}

// exclusion says why a student may not be screened in c ("" if they may):
// a guardian's refusal or withdrawal always excludes; under the campaign's
// rule a missing consent excludes; so does no instrument fitting the age.
func (s *Service) exclusion(c *Campaign, birthDate, latestDecision string) string {
	if latestDecision == "refused" || latestDecision == "withdrawn" {
		return "consent_" + latestDecision
	}
	age := student.AgeOn(birthDate, c.StartsAt)
	switch c.ConsentRule {
	case ConsentAll:
		if latestDecision != "given" {
			return "consent_missing"
		}
	case ConsentUnder14:
		if age < 14 && latestDecision != "given" {
			return "consent_missing_under14"
		}
	}
	if len(s.battery(c.Instruments, age)) == 0 {
		return "age_range"
	}
	return ""
}
