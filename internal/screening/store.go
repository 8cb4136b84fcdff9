package screening

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

const campaignColumns = `c.id, c.org_unit_id, o.name, o.path, c.name, c.instruments, c.starts_at, c.ends_at, c.consent_rule,
	c.consent_text, c.status, c.created_by, c.created_at`

func scanCampaign(sc interface{ Scan(...any) error }) (*Campaign, error) {
	var c Campaign
	var inst string
	var st, en, cr int64
	if err := sc.Scan(&c.ID, &c.OrgUnitID, &c.OrgName, &c.OrgPath, &c.Name, &inst, &st, &en, &c.ConsentRule,
		&c.ConsentText, &c.Status, &c.CreatedBy, &cr); err != nil {
		return nil, err
	}
	c.Instruments = strings.Fields(inst)
	c.StartsAt, c.EndsAt, c.CreatedAt = db.FromMicro(st), db.FromMicro(en), db.FromMicro(cr)
	return &c, nil
}

// campaign returns a campaign, from memory after its first read: a
// campaign's definition does not change once it is created, and every
// questionnaire page needs it.
func (s *Service) campaign(ctx context.Context, tx *db.Tx, id int64) (*Campaign, error) {
	if c, ok := s.campaigns.Load(id); ok {
		return c.(*Campaign), nil
	}
	c, err := findCampaign(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	s.campaigns.Store(id, c)
	return c, nil
}

func findCampaign(ctx context.Context, tx *db.Tx, id int64) (*Campaign, error) {
	c, err := scanCampaign(tx.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns c JOIN org_units o ON o.id = c.org_unit_id
		WHERE c.id = ?`, id))
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT t.school_id, o.name, o.path, t.grade, t.class_name FROM campaign_targets t
		JOIN org_units o ON o.id = t.school_id WHERE t.campaign_id = ? ORDER BY o.path, t.grade, t.class_name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.SchoolID, &t.SchoolName, &t.SchoolPath, &t.Grade, &t.ClassName); err != nil {
			return nil, apperr.Internal(err)
		}
		c.Targets = append(c.Targets, t)
	}
	return c, apperr.Internal(rows.Err())
}

// FindCampaigns lists the campaigns owned by units in the caller's scope,
// newest first.
func (s *Service) FindCampaigns(ctx context.Context, p access.Principal) ([]Campaign, error) {
	var out []Campaign
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		// Campaigns are listed to those who read records and to those who
		// read reports (they see only the summary, small counts hidden).
		scope, args := p.Scope(access.RecordRead, "o.path")
		tscope, targs := p.Scope(access.RecordRead, "so.path")
		rscope, rargs := p.Scope(access.ReportRead, "o.path")
		rtscope, rtargs := p.Scope(access.ReportRead, "so.path")
		rows, err := tx.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns c JOIN org_units o ON o.id = c.org_unit_id
			WHERE `+scope+` OR `+rscope+` OR EXISTS (SELECT 1 FROM campaign_targets t JOIN org_units so ON so.id = t.school_id
			WHERE t.campaign_id = c.id AND (`+tscope+` OR `+rtscope+`)) ORDER BY c.starts_at DESC, c.id DESC LIMIT 200`,
			append(append(append(args, rargs...), targs...), rtargs...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCampaign(rows)
			if err != nil {
				return apperr.Internal(err)
			}
			out = append(out, *c)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// FindCampaignByID returns a campaign the caller may see.
func (s *Service) FindCampaignByID(ctx context.Context, p access.Principal, id int64) (*Campaign, error) {
	var out *Campaign
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCampaign(ctx, tx, id)
		if err != nil {
			return err
		}
		if !visible(p, c) {
			return apperr.NotFound()
		}
		out = c
		return nil
	})
	return out, err
}

// ProgressRow counts one school, grade and class of a campaign.
type ProgressRow struct {
	SchoolID   int64
	SchoolName string
	Grade      int
	ClassName  string
	Invited    int
	Consented  int // guardian consent given (latest decision)
	Excluded   int // not to be screened (no consent where needed, refusal, age)
	Started    int
	Completed  int
}

// Progress counts the campaign's students by school, grade and class, for
// the units inside the caller's scope.
func (s *Service) Progress(ctx context.Context, p access.Principal, id int64) ([]ProgressRow, error) {
	c, err := s.FindCampaignByID(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var out []ProgressRow
	err = s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.RecordRead, "o.path")
		rows, err := tx.Query(ctx, `SELECT st.school_id, o.name, st.grade, st.class_name, cs.state, st.birth_date,
			COALESCE((SELECT k.decision FROM consents k WHERE k.campaign_id = cs.campaign_id AND k.student_id = cs.student_id
			ORDER BY k.at DESC, k.id DESC LIMIT 1), '')
			FROM campaign_students cs JOIN students st ON st.id = cs.student_id JOIN org_units o ON o.id = st.school_id
			WHERE cs.campaign_id = ? AND `+scope+` ORDER BY o.path, st.grade, st.class_name`, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r ProgressRow
			var state, birth, decision string
			if err := rows.Scan(&r.SchoolID, &r.SchoolName, &r.Grade, &r.ClassName, &state, &birth, &decision); err != nil {
				return apperr.Internal(err)
			}
			n := len(out)
			if n == 0 || out[n-1].SchoolID != r.SchoolID || out[n-1].Grade != r.Grade || out[n-1].ClassName != r.ClassName {
				out = append(out, r)
				n++
			}
			row := &out[n-1]
			row.Invited++
			if decision == "given" {
				row.Consented++
			}
			if reason := s.exclusion(c, birth, decision); reason != "" && state != Completed {
				row.Excluded++
			}
			switch state {
			case Started:
				row.Started++
			case Completed:
				row.Completed++
			}
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// visible reports whether p may see campaign c: its owner unit, or one of
// its target schools, is in p's record.read scope (a school counsellor sees
// a district's campaign, limited to their school's rows).
func visible(p access.Principal, c *Campaign) bool {
	if _, ok := p.At(access.RecordRead, c.OrgPath); ok {
		return true
	}
	for _, t := range c.Targets {
		if _, ok := p.At(access.RecordRead, t.SchoolPath); ok {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ExcludedStudent is an invited student who may not be screened, and why.
type ExcludedStudent struct {
	StudentID int64
	Name      string
	Grade     int
	ClassName string
	Reason    string // consent_refused, consent_withdrawn, consent_missing, consent_missing_under14, age_range
}

// Excluded lists the campaign's students who may not be screened, with the
// reason, inside the caller's record.read scope; the list is audited.
func (s *Service) Excluded(ctx context.Context, p access.Principal, campaignID int64) ([]ExcludedStudent, error) {
	m, ok := p.Grant(access.RecordRead)
	if !ok {
		return nil, apperr.Forbidden()
	}
	var out []ExcludedStudent
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCampaign(ctx, tx, campaignID)
		if err != nil {
			return err
		}
		if !visible(p, c) {
			return apperr.NotFound()
		}
		scope, args := p.Scope(access.RecordRead, "o.path")
		rows, err := tx.Query(ctx, `SELECT st.id, st.name, st.grade, st.class_name, st.birth_date, cs.state,
			COALESCE((SELECT k.decision FROM consents k WHERE k.campaign_id = cs.campaign_id AND k.student_id = cs.student_id
			ORDER BY k.at DESC, k.id DESC LIMIT 1), '')
			FROM campaign_students cs JOIN students st ON st.id = cs.student_id JOIN org_units o ON o.id = st.school_id
			WHERE cs.campaign_id = ? AND `+scope+` ORDER BY o.path, st.grade, st.class_name, st.name`, append([]any{campaignID}, args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e ExcludedStudent
			var birth, state, decision string
			if err := rows.Scan(&e.StudentID, &e.Name, &e.Grade, &e.ClassName, &birth, &state, &decision); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			if e.Reason = s.exclusion(c, birth, decision); e.Reason != "" && state != Completed {
				out = append(out, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.audited(ctx, tx, p, m, "campaign.excluded", "campaign", campaignID, "rows="+itoa(int64(len(out))))
	})
	return out, err
}
