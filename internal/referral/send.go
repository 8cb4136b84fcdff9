package referral

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/sharing"
)

// NewReferral is what a sender fills in.
type NewReferral struct {
	Source   string // case, plan, incident
	SourceID int64  // the case (case, plan) or the crisis incident
	// StudentID, for an incident, names a student the caller may refer;
	// 0 for a child without a record, described by Child.
	StudentID int64
	Child     Identity // an incident's child without a record: what is known (Age is required)
	// FromUnit, for an incident, is the unit the caller refers for (where
	// they hold referral.manage); 0 takes their first such unit. Case and
	// plan referrals come from the student's school.
	FromUnit      int64
	ToUnit        int64 // a hospital or an agency
	Urgency       string
	Reason        string // sealed
	ShareGuardian bool   // send the guardian's contact (a student's first guardian)
	Consent       Consent
	Documents     []Document
}

// checkNew tidies n and returns its problems by field, except those that
// depend on the child (consent for an under-14, which needs the record).
func checkNew(n *NewReferral) map[string]string {
	fields := map[string]string{}
	n.Reason = strings.TrimSpace(n.Reason)
	if !slices.Contains(Sources, n.Source) {
		fields["source"] = "referral.source_unknown"
	}
	if n.SourceID <= 0 {
		fields["source_id"] = "form.required"
	}
	if n.ToUnit <= 0 {
		fields["to_unit"] = "form.required"
	}
	if !slices.Contains(Urgencies, n.Urgency) {
		fields["urgency"] = "referral.urgency_unknown"
	}
	switch {
	case n.Reason == "":
		fields["reason"] = "form.required"
	case len([]rune(n.Reason)) > 4000:
		fields["reason"] = "form.too_long"
	}
	if n.Source == SourceIncident && n.StudentID == 0 {
		n.Child.Name = strings.TrimSpace(n.Child.Name)
		if n.Child.Gender == "" {
			n.Child.Gender = "unknown"
		}
		switch {
		case len([]rune(n.Child.Name)) > 100:
			fields["child_name"] = "form.too_long"
		case !slices.Contains(Genders, n.Child.Gender):
			fields["child_gender"] = "referral.gender_unknown"
		case n.Child.Age < 1 || n.Child.Age > 17:
			fields["child_age"] = "referral.age_bad"
		}
	}
	if key := checkDocuments(n.Documents, 0); key != "" {
		fields["documents"] = key
	}
	return fields
}

// checkConsent checks c for a child (under14) and an urgency, adding
// problems to fields, and returns the basis of the disclosure: consent,
// or emergency for an urgent referral sent before consent could be had
// (the personal information law's exception for protecting a life; the
// consent is then to be had and recorded afterwards).
func checkConsent(c *Consent, under14 bool, urgency string, now time.Time, fields map[string]string) string {
	c.Version = strings.TrimSpace(c.Version)
	if !c.Given {
		if c.Detail {
			fields["consent_detail"] = "referral.detail_needs_consent"
		}
		if urgency != Urgent {
			fields["consent_given"] = "referral.consent_required"
		}
		*c = Consent{}
		return "emergency"
	}
	switch {
	case !slices.Contains(ConsentBy, c.By):
		fields["consent_by"] = "referral.consent_by_unknown"
	case under14 && c.By == "self":
		fields["consent_by"] = "referral.consent_guardian_needed"
	}
	switch {
	case c.At.IsZero():
		fields["consent_at"] = "form.required"
	case c.At.After(now.Add(5*time.Minute)) || c.At.Before(now.AddDate(-1, 0, 0)):
		fields["consent_at"] = "referral.consent_at_bad"
	}
	if !slices.Contains(ConsentHow, c.How) {
		fields["consent_how"] = "referral.consent_how_unknown"
	}
	switch {
	case c.Version == "":
		fields["consent_version"] = "form.required"
	case len(c.Version) > 40:
		fields["consent_version"] = "form.too_long"
	}
	return "consent"
}

// ageOn is the age in whole years on day now (China time) of someone born
// on birth (YYYY-MM-DD); ok is false for a date that does not parse.
func ageOn(birth string, now time.Time) (int, bool) {
	b, err := time.Parse("2006-01-02", birth)
	if err != nil {
		return 0, false
	}
	n := now.In(cst)
	age := n.Year() - b.Year()
	if n.Month() < b.Month() || (n.Month() == b.Month() && n.Day() < b.Day()) {
		age--
	}
	return age, true
}

var cst = time.FixedZone("CST", 8*3600)

// Send sends a referral, with its documents, and records the disclosure
// in the same transaction. A case or plan referral needs a case the caller
// may see, not closed, of a student over whose school the caller holds
// referral.manage; anything else is ENotFound. An incident referral needs
// an incident the caller handles, co-signs or refers for. The receiving unit must be an active hospital or
// agency. Consent is required (a guardian's for a child under 14) except
// for an urgent referral, which may go on the emergency basis. The
// hospital's liaisons are told, and the timer of acceptance starts.
func (s *Service) Send(ctx context.Context, p access.Principal, n NewReferral) (int64, error) {
	if fields := checkNew(&n); len(fields) > 0 {
		return 0, apperr.Invalid("form.invalid", fields)
	}
	if !p.Can(access.ReferralManage) {
		return 0, apperr.Forbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := s.now()
		r := &Referral{Source: n.Source, SourceID: n.SourceID, Urgency: n.Urgency, State: Sent, SentAt: now, SenderID: p.UserID, ToUnit: n.ToUnit}
		m, err := s.resolveChild(ctx, tx, p, &n, r)
		if err != nil {
			return err
		}
		if err := s.receivingUnit(ctx, tx, r); err != nil {
			return err
		}
		fields := map[string]string{}
		r.Under14 = r.Child.Age < 14
		r.Basis = checkConsent(&n.Consent, r.Under14, n.Urgency, now, fields)
		if len(fields) > 0 {
			return apperr.Invalid("form.invalid", fields)
		}
		r.Consent = n.Consent
		r.Shares = []string{"identity", "reason"}
		if r.Child.Guardian != nil {
			r.Shares = append(r.Shares, "guardian_contact")
		}
		if len(n.Documents) > 0 {
			r.Shares = append(r.Shares, "documents")
		}
		if r.ID, err = tx.InsertID(ctx, `INSERT INTO referrals (source_type, source_id, plan_version, case_id, student_id, from_unit, to_unit,
			sender_id, urgency, state, identity, reason, shares, basis, under14, consent_given, consent_by, consent_at, consent_how,
			consent_version, consent_detail, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Source, r.SourceID, r.PlanVersion, r.CaseID, r.StudentID, r.FromUnit, r.ToUnit, r.SenderID, r.Urgency, Sent, []byte{},
			[]byte{}, strings.Join(r.Shares, " "), r.Basis, db.Bool(r.Under14), db.Bool(r.Consent.Given), r.Consent.By, db.Micro(r.Consent.At),
			r.Consent.How, r.Consent.Version, db.Bool(r.Consent.Detail), db.Micro(now)); err != nil {
			return err
		}
		id = r.ID
		if err := s.sealTexts(ctx, tx, r, n.Reason); err != nil {
			return err
		}
		if err := s.addDocuments(ctx, tx, p, r.ID, n.Documents); err != nil {
			return err
		}
		detail := "urgency=" + r.Urgency + " to=" + itoa(r.ToUnit) + " basis=" + r.Basis + " documents=" + strconv.Itoa(len(n.Documents))
		if err := s.event(ctx, tx, p, m, r, "sent", "", Sent, detail, ""); err != nil {
			return err
		}
		if err := s.restartDue(ctx, tx, r); err != nil {
			return err
		}
		if err := s.Sharing.Record(ctx, tx, p, sharing.Disclosure{StudentID: r.StudentID, FromUnit: r.FromUnit, ToUnit: r.ToUnit,
			What: r.Shares, Purpose: "referral", Basis: r.Basis, RefType: "referral", RefID: r.ID}); err != nil {
			return err
		}
		kind := "referral.received"
		if r.Urgency == Urgent {
			kind = "referral.received_urgent"
		}
		if err := s.tellReceivers(ctx, tx, r, notify.Note{Kind: kind, RefType: "referral_in", RefID: r.ID}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.send", r.ID, "student="+itoa(r.StudentID)+" source="+r.Source+":"+itoa(r.SourceID)+" "+detail)
	})
	return id, err
}

// resolveChild fills r's child, sending unit, case and student from the
// source, checking that p may refer them, and returns the membership
// through which p refers.
func (s *Service) resolveChild(ctx context.Context, tx *db.Tx, p access.Principal, n *NewReferral, r *Referral) (access.Membership, error) {
	studentID := n.StudentID
	if n.Source == SourceIncident {
		// The incident must exist and be one the caller works on: a referral
		// names its source, and the source must be real.
		var path string
		err := tx.QueryRow(ctx, `SELECT o.path FROM incidents i JOIN org_units o ON o.id = i.unit_id WHERE i.id = ?`, n.SourceID).Scan(&path)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return access.Membership{}, apperr.NotFound()
		}
		if err != nil {
			return access.Membership{}, err
		}
		_, handles := p.At(access.CrisisHandle, path)
		_, signs := p.At(access.CrisisCosign, path)
		_, refers := p.At(access.ReferralManage, path)
		if !handles && !signs && !refers {
			return access.Membership{}, apperr.NotFound()
		}
	}
	if n.Source != SourceIncident {
		c, err := s.Care.FindCase(ctx, p, n.SourceID)
		if err != nil {
			return access.Membership{}, err
		}
		if c.State == care.CaseClosed {
			return access.Membership{}, apperr.New(apperr.EConflict, "referral.case_closed")
		}
		if n.Source == SourcePlan {
			if len(c.Plans) == 0 {
				return access.Membership{}, apperr.Invalid("form.invalid", map[string]string{"source_id": "referral.no_plan"})
			}
			r.PlanVersion = c.Plans[0].Version
		}
		r.CaseID, studentID = c.ID, c.StudentID
	}
	if studentID == 0 {
		r.Child = n.Child
		r.Child.Guardian = nil
		return s.incidentUnit(ctx, tx, p, n.FromUnit, r)
	}
	var path, schoolEn string
	err := tx.QueryRow(ctx, `SELECT st.name, st.gender, st.birth_date, st.grade, st.school_id, o.name, o.name_en, o.path FROM students st
		JOIN org_units o ON o.id = st.school_id WHERE st.id = ?`, studentID).Scan(&r.Child.Name, &r.Child.Gender, &r.Child.BirthDate,
		&r.Child.Grade, &r.FromUnit, &r.Child.School, &schoolEn, &path)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return access.Membership{}, apperr.NotFound()
	}
	if err != nil {
		return access.Membership{}, err
	}
	m, ok := p.At(access.ReferralManage, path)
	if !ok {
		return m, apperr.NotFound()
	}
	r.StudentID = studentID
	age, ok := ageOn(r.Child.BirthDate, s.now())
	if !ok {
		age = 0 // an unreadable birth date counts as under 14: a guardian must consent
	}
	r.Child.Age = age
	if n.ShareGuardian {
		var g Guardian
		err := tx.QueryRow(ctx, `SELECT name, relation, phone FROM guardians WHERE student_id = ? ORDER BY position LIMIT 1`, studentID).Scan(
			&g.Name, &g.Relation, &g.Phone)
		switch apperr.CodeOf(err) {
		case "":
			r.Child.Guardian = &g
		case apperr.ENotFound:
		default:
			return m, err
		}
	}
	return m, nil
}

// incidentUnit sets the sending unit of an incident referral for a child
// without a record: the unit named (where p holds referral.manage), or p's
// first such unit.
func (s *Service) incidentUnit(ctx context.Context, tx *db.Tx, p access.Principal, unit int64, r *Referral) (access.Membership, error) {
	if unit == 0 {
		m, _ := p.Grant(access.ReferralManage)
		r.FromUnit = m.OrgID
		return m, nil
	}
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, unit).Scan(&path); err != nil {
		if apperr.CodeOf(err) == apperr.ENotFound {
			return access.Membership{}, apperr.Invalid("form.invalid", map[string]string{"from_unit": "referral.from_unit_bad"})
		}
		return access.Membership{}, err
	}
	m, ok := p.At(access.ReferralManage, path)
	if !ok {
		return m, apperr.Invalid("form.invalid", map[string]string{"from_unit": "referral.from_unit_bad"})
	}
	r.FromUnit = unit
	return m, nil
}

// receivingUnit checks that r's receiving unit is an active hospital or agency.
func (s *Service) receivingUnit(ctx context.Context, tx *db.Tx, r *Referral) error {
	var kind string
	var active int
	err := tx.QueryRow(ctx, `SELECT kind, active FROM org_units WHERE id = ?`, r.ToUnit).Scan(&kind, &active)
	if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
		return err
	}
	if err != nil || active != 1 || (kind != "hospital" && kind != "agency") {
		return apperr.Invalid("form.invalid", map[string]string{"to_unit": "referral.to_unit_bad"})
	}
	return nil
}

// sealTexts seals the child's identity and the reason into r's row.
func (s *Service) sealTexts(ctx context.Context, tx *db.Tx, r *Referral, reason string) error {
	plain, err := json.Marshal(r.Child)
	if err != nil {
		return apperr.Internal(err)
	}
	identity, err := s.Seal.Seal(plain, identityAAD(r.ID))
	if err != nil {
		return apperr.Internal(err)
	}
	sealed, err := s.Seal.Seal([]byte(reason), reasonAAD(r.ID))
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = tx.Exec(ctx, `UPDATE referrals SET identity = ?, reason = ? WHERE id = ?`, identity, sealed, r.ID)
	return err
}

// tellReceivers notifies every active holder of referral.hospital at the
// receiving unit or a unit above it.
func (s *Service) tellReceivers(ctx context.Context, tx *db.Tx, r *Referral, note notify.Note) error {
	var roles []any
	for _, name := range access.RoleNames() {
		if access.Has(name, access.ReferralHospital) {
			roles = append(roles, name)
		}
	}
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, r.ToUnit).Scan(&path); err != nil {
		return err
	}
	units := ancestors(path)
	if len(roles) == 0 || len(units) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_unit_id IN (`+marks(len(units))+`) AND m.role IN (`+marks(len(roles))+`) AND u.active = 1 ORDER BY m.user_id`,
		append(units, roles...)...)
	if err != nil {
		return err
	}
	var users []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return apperr.Internal(err)
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Internal(err)
	}
	for _, u := range users {
		if err := s.Notify.Send(ctx, tx, u, note); err != nil {
			return err
		}
	}
	return nil
}
