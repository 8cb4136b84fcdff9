package referral

import (
	"context"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Filter selects referrals for a list.
type Filter struct {
	Open  bool  // only referrals not closed or declined
	After int64 // keyset: referrals with id below this (newest first)
	Limit int
	// Incident: only the referrals sent from this crisis incident.
	Incident int64
}

// Detail is one referral as a side sees it: its timeline, documents and
// feedback, and the actions the side may take now.
type Detail struct {
	Referral
	Side      string
	Events    []Event
	Documents []DocumentInfo
	Feedback  []Feedback
	Actions   []string
}

// FindSent lists the referrals the caller follows (referral.manage over the
// sending unit, or sent by them), newest first, with the child's name and
// whether the awaited step is overdue. The read is audited (one entry).
func (s *Service) FindSent(ctx context.Context, p access.Principal, f Filter) ([]Referral, error) {
	cond, args := senderVisible(p)
	return s.list(ctx, p, f, cond, args, access.ReferralManage, "referral.list")
}

// FindIncoming lists the referrals sent to the caller's units (referral.hospital
// over the receiving unit), newest first. The read is audited.
func (s *Service) FindIncoming(ctx context.Context, p access.Principal, f Filter) ([]Referral, error) {
	cond, args := hospitalVisible(p)
	return s.list(ctx, p, f, cond, args, access.ReferralHospital, "referral.incoming")
}

func (s *Service) list(ctx context.Context, p access.Principal, f Filter, cond string, args []any, perm access.Permission, action string) ([]Referral, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := `SELECT ` + referralColumns + ` WHERE ` + cond
	if f.Open {
		q += ` AND r.state NOT IN ('closed', 'declined')`
	}
	if f.Incident > 0 {
		q += ` AND r.source_type = 'incident' AND r.source_id = ?`
		args = append(args, f.Incident)
	}
	if f.After > 0 {
		q += ` AND r.id < ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY r.id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []Referral
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rs, err := s.scanAll(ctx, tx, q, args)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := s.open(r, false); err != nil {
				return err
			}
			if perm == access.ReferralHospital {
				r.forHospital()
			}
			out = append(out, *r)
		}
		m, _ := p.Grant(perm)
		return s.record(ctx, tx, p, m, action, 0, "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// scanAll runs a query over referralColumns and marks overdue ones.
func (s *Service) scanAll(ctx context.Context, tx *db.Tx, q string, args []any) ([]*Referral, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.now()
	var out []*Referral
	for rows.Next() {
		r, err := scanReferral(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		r.Overdue = r.DueStep != "" && !now.Before(r.DueAt)
		out = append(out, r)
	}
	return out, apperr.Internal(rows.Err())
}

// Sent returns a referral on the sender's side, with everything it
// carries and the hospital's feedback (the detailed note only while the
// consent to detailed sharing stands). The read is audited.
func (s *Service) Sent(ctx context.Context, p access.Principal, id int64) (*Detail, error) {
	return s.detail(ctx, p, id, SideSender)
}

// Received returns a referral on the receiving unit's side: what the
// referral carries (the child as sent, the reason, consent, documents),
// its timeline and feedback, nothing of the child's record. The read is
// audited.
func (s *Service) Received(ctx context.Context, p access.Principal, id int64) (*Detail, error) {
	return s.detail(ctx, p, id, SideHospital)
}

func (s *Service) detail(ctx context.Context, p access.Principal, id int64, side string) (*Detail, error) {
	var d Detail
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := loadReferral(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := grantFor(p, r, side)
		if !ok {
			return apperr.NotFound()
		}
		r.Overdue = r.DueStep != "" && !s.now().Before(r.DueAt)
		if err := s.open(r, true); err != nil {
			return err
		}
		studentID := r.StudentID
		if side == SideHospital {
			r.forHospital()
		}
		d = Detail{Referral: *r, Side: side, Actions: Actions(r.State, side)}
		if d.Events, err = s.events(ctx, tx, id); err != nil {
			return err
		}
		if d.Documents, err = s.documents(ctx, tx, id); err != nil {
			return err
		}
		if d.Feedback, err = s.feedbackOf(ctx, tx, r, side); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.read", id, "student="+itoa(studentID)+" side="+side)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// forHospital clears what links the referral to the child's record at
// the sending unit: the receiving side sees only what the referral carries.
func (r *Referral) forHospital() {
	r.CaseID, r.StudentID, r.SourceID, r.PlanVersion = 0, 0, 0, 0
}

// Due returns the referrals that need the caller now, for the work list,
// oldest deadline first: those they follow (or that escalated to them)
// whose awaited step is overdue, and emergency referrals whose consent is
// still to be recorded. A referral that only escalated to the caller,
// who does not follow it, comes without the child's identity. The read is
// audited (one entry).
func (s *Service) Due(ctx context.Context, p access.Principal) ([]Referral, error) {
	cond, args := senderVisible(p)
	now := db.Micro(s.now())
	q := `SELECT ` + referralColumns + ` WHERE (` + cond + ` OR EXISTS (SELECT 1 FROM referral_escalations x WHERE x.referral_id = r.id
		AND x.to_user_id = ?)) AND ((r.due_step <> '' AND r.due_at <= ? AND r.state NOT IN ('closed', 'declined'))
		OR (r.basis = 'emergency' AND r.consent_given = 0)) ORDER BY CASE WHEN r.due_step <> '' THEN r.due_at ELSE r.sent_at END, r.id LIMIT 200`
	args = append(args, p.UserID, now)
	var out []Referral
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rs, err := s.scanAll(ctx, tx, q, args)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if _, ok := senderGrant(p, r); ok {
				if err := s.open(r, false); err != nil {
					return err
				}
			}
			out = append(out, *r)
		}
		m, _ := p.Grant(access.ReferralManage)
		return s.record(ctx, tx, p, m, "referral.due", 0, "count="+strconv.Itoa(len(out)))
	})
	return out, err
}
