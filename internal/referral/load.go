package referral

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

const referralColumns = `r.id, r.source_type, r.source_id, r.plan_version, r.case_id, r.student_id, r.from_unit, fu.name, fu.name_en, fu.path,
	r.to_unit, tu.name, tu.name_en, tu.path, r.sender_id, u.display_name, r.urgency, r.state, r.identity, r.reason, r.shares, r.basis, r.under14,
	r.consent_given, r.consent_by, r.consent_at, r.consent_how, r.consent_version, r.consent_detail, r.sent_at, r.accepted_at, r.appointment_at,
	r.seen_at, r.feedback_at, r.closed_at, r.decline_reason, r.close_reason, r.due_step, r.due_at, r.esc_level, r.chain_step, r.seq,
	(SELECT COUNT(*) FROM referral_escalations e WHERE e.referral_id = r.id)
	FROM referrals r JOIN org_units fu ON fu.id = r.from_unit JOIN org_units tu ON tu.id = r.to_unit JOIN users u ON u.id = r.sender_id`

func scanReferral(sc interface{ Scan(...any) error }) (*Referral, error) {
	r := &Referral{}
	var shares string
	var under14, given, detail int
	var consentAt, sent, accepted, appointment, seen, feedback, closed, due int64
	err := sc.Scan(&r.ID, &r.Source, &r.SourceID, &r.PlanVersion, &r.CaseID, &r.StudentID, &r.FromUnit, &r.FromName, &r.FromNameEn, &r.fromPath,
		&r.ToUnit, &r.ToName, &r.ToEn, &r.toPath, &r.SenderID, &r.SenderName, &r.Urgency, &r.State, &r.identity, &r.reason, &shares, &r.Basis,
		&under14, &given, &r.Consent.By, &consentAt, &r.Consent.How, &r.Consent.Version, &detail, &sent, &accepted, &appointment,
		&seen, &feedback, &closed, &r.DeclineReason, &r.CloseReason, &r.DueStep, &due, &r.escLevel, &r.chainStep, &r.seq, &r.Escalations)
	if err != nil {
		return nil, err
	}
	r.Shares = strings.Fields(shares)
	r.Under14, r.Consent.Given, r.Consent.Detail = under14 == 1, given == 1, detail == 1
	r.Consent.At, r.SentAt, r.AcceptedAt = db.FromMicro(consentAt), db.FromMicro(sent), db.FromMicro(accepted)
	r.AppointmentAt, r.SeenAt, r.FeedbackAt = db.FromMicro(appointment), db.FromMicro(seen), db.FromMicro(feedback)
	r.ClosedAt, r.DueAt = db.FromMicro(closed), db.FromMicro(due)
	r.ConsentPending = r.Basis == "emergency" && !r.Consent.Given
	return r, nil
}

// loadReferral reads one referral, sealed texts still sealed.
func loadReferral(ctx context.Context, tx *db.Tx, id int64) (*Referral, error) {
	r, err := scanReferral(tx.QueryRow(ctx, `SELECT `+referralColumns+` WHERE r.id = ?`, id))
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, apperr.NotFound()
	}
	return r, err
}

// senderGrant returns the membership through which p follows r: it holds
// referral.manage over the sending unit, or sent r and still holds
// referral.manage somewhere.
func senderGrant(p access.Principal, r *Referral) (access.Membership, bool) {
	if m, ok := p.At(access.ReferralManage, r.fromPath); ok {
		return m, true
	}
	if r.SenderID == p.UserID {
		return p.Grant(access.ReferralManage)
	}
	return access.Membership{}, false
}

// hospitalGrant returns the membership through which p receives r: it
// holds referral.hospital over the receiving unit.
func hospitalGrant(p access.Principal, r *Referral) (access.Membership, bool) {
	return p.At(access.ReferralHospital, r.toPath)
}

// grantFor returns the membership through which p acts on r for side.
func grantFor(p access.Principal, r *Referral, side string) (access.Membership, bool) {
	if side == SideHospital {
		return hospitalGrant(p, r)
	}
	return senderGrant(p, r)
}

// senderVisible is the SQL condition for referrals p follows.
func senderVisible(p access.Principal) (string, []any) {
	cond, args := p.Scope(access.ReferralManage, "fu.path")
	if !p.Can(access.ReferralManage) {
		return cond, args
	}
	return "(" + cond + " OR r.sender_id = ?)", append(args, p.UserID)
}

// hospitalVisible is the SQL condition for referrals p receives.
func hospitalVisible(p access.Principal) (string, []any) {
	return p.Scope(access.ReferralHospital, "tu.path")
}

func identityAAD(id int64) string { return "referrals:" + itoa(id) + ":identity" }
func reasonAAD(id int64) string   { return "referrals:" + itoa(id) + ":reason" }

// open opens the child's identity (and, with reason, the reason) of r.
func (s *Service) open(r *Referral, reason bool) error {
	plain, err := s.Seal.Open(r.identity, identityAAD(r.ID))
	if err != nil {
		return apperr.Internal(err)
	}
	if err := json.Unmarshal(plain, &r.Child); err != nil {
		return apperr.Internal(err)
	}
	if reason {
		plain, err := s.Seal.Open(r.reason, reasonAAD(r.ID))
		if err != nil {
			return apperr.Internal(err)
		}
		r.Reason = string(plain)
	}
	return nil
}
