package sharing

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// DataCodes name what data about a child may leave its unit; a
// disclosure's What and an agreement's Data use them.
var DataCodes = []string{"identity", "contact", "guardians", "location", "risk", "callback", "reason", "case_summary",
	"assessment", "plan", "documents"}

// Purposes of sharing.
var Purposes = []string{"crisis", "referral", "meeting", "child_protection", "follow_up"}

// LegalBases of an agreement (PIPL art. 13): a duty in law, protecting a
// life or health in an emergency, a public duty, or the consent of those
// concerned.
var LegalBases = []string{"legal_duty", "vital_interests", "public_duty", "consent"}

// Agreement is a sharing agreement between two units, kept by the unit
// that sends (From).
type Agreement struct {
	ID          int64
	From, To    UnitName
	Data        []string
	Purpose     string
	LegalBasis  string
	LegalRef    string
	ValidFrom   time.Time
	ValidTo     time.Time
	DocumentRef string
	CreatedBy   int64
	CreatedAt   time.Time
	EndedAt     time.Time // zero unless ended early
	Mine        bool      // the caller keeps it (sharing.manage at From)
}

// InForce reports whether the agreement covers time t.
func (a Agreement) InForce(t time.Time) bool {
	return a.EndedAt.IsZero() && !t.Before(a.ValidFrom) && t.Before(a.ValidTo)
}

// NewAgreement is an agreement as a coordinator enters it.
type NewAgreement struct {
	FromUnit, ToUnit int64
	Data             []string
	Purpose          string
	LegalBasis       string
	LegalRef         string
	ValidFrom        time.Time
	ValidTo          time.Time
	DocumentRef      string
}

func (n *NewAgreement) check() map[string]string {
	bad := map[string]string{}
	n.LegalRef, n.DocumentRef = strings.TrimSpace(n.LegalRef), strings.TrimSpace(n.DocumentRef)
	if !allOf(n.Data, DataCodes) {
		bad["data"] = "sharing.data_required"
	}
	if !slices.Contains(Purposes, n.Purpose) {
		bad["purpose"] = "sharing.bad_value"
	}
	if !slices.Contains(LegalBases, n.LegalBasis) {
		bad["legal_basis"] = "sharing.bad_value"
	}
	if utf8.RuneCountInString(n.LegalRef) > 300 {
		bad["legal_ref"] = "sharing.too_long"
	}
	if utf8.RuneCountInString(n.DocumentRef) > 100 {
		bad["document_ref"] = "sharing.too_long"
	}
	if n.ValidFrom.IsZero() || n.ValidTo.IsZero() || !n.ValidTo.After(n.ValidFrom) {
		bad["valid_to"] = "sharing.bad_period"
	}
	if n.ToUnit == n.FromUnit {
		bad["to_unit"] = "sharing.same_unit"
	}
	return bad
}

// CreateAgreement records an agreement. The caller needs sharing.manage at
// the from-unit; the to-unit is any active unit of the network.
func (s *Service) CreateAgreement(ctx context.Context, p access.Principal, n NewAgreement) (int64, error) {
	if bad := n.check(); len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var from string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, n.FromUnit).Scan(&from); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"from_unit": "sharing.bad_unit"})
		}
		m, ok := p.At(access.SharingManage, from)
		if !ok {
			return apperr.Invalid("form.invalid", map[string]string{"from_unit": "sharing.bad_unit"})
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM org_units WHERE id = ? AND active = 1`, n.ToUnit).Scan(&one); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"to_unit": "sharing.bad_unit"})
		}
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO sharing_agreements (from_unit, to_unit, data, purpose, legal_basis, legal_ref, valid_from, valid_to,
			document_ref, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.FromUnit, n.ToUnit, strings.Join(n.Data, " "),
			n.Purpose, n.LegalBasis, n.LegalRef, db.Micro(n.ValidFrom), db.Micro(n.ValidTo), n.DocumentRef, p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "agreement.create", "sharing_agreement", id,
			"from="+itoa(n.FromUnit)+" to="+itoa(n.ToUnit)+" purpose="+n.Purpose+" data="+strings.Join(n.Data, ","))
	})
	return id, err
}

// EndAgreement ends an agreement early, from now. The caller needs
// sharing.manage at its from-unit; ending an ended one changes nothing.
func (s *Service) EndAgreement(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var from string
		var ended int64
		if err := tx.QueryRow(ctx, `SELECT o.path, a.ended_at FROM sharing_agreements a JOIN org_units o ON o.id = a.from_unit WHERE a.id = ?`,
			id).Scan(&from, &ended); err != nil {
			return err
		}
		m, ok := p.At(access.SharingManage, from)
		if !ok {
			return apperr.NotFound()
		}
		if ended != 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE sharing_agreements SET ended_at = ?, ended_by = ? WHERE id = ?`, db.Micro(s.now()), p.UserID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "agreement.end", "sharing_agreement", id, "")
	})
}

const agreementColumns = `a.id, a.from_unit, fo.name, fo.name_en, a.to_unit, tu.name, tu.name_en, a.data, a.purpose, a.legal_basis, a.legal_ref,
	a.valid_from, a.valid_to, a.document_ref, a.created_by, a.created_at, a.ended_at, fo.path`

// Agreements lists the agreements whose from-unit or to-unit lies where
// the caller holds sharing.manage, newest first. The read is audited.
func (s *Service) Agreements(ctx context.Context, p access.Principal) ([]Agreement, error) {
	m, ok := p.Grant(access.SharingManage)
	if !ok {
		return nil, apperr.Forbidden()
	}
	fromScope, fargs := p.Scope(access.SharingManage, "fo.path")
	toScope, targs := p.Scope(access.SharingManage, "tu.path")
	var out []Agreement
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+agreementColumns+` FROM sharing_agreements a JOIN org_units fo ON fo.id = a.from_unit
			JOIN org_units tu ON tu.id = a.to_unit WHERE (`+fromScope+` OR `+toScope+`) ORDER BY a.id DESC LIMIT 500`, append(fargs, targs...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Agreement
			var data, fromPath string
			var vf, vt, created, ended int64
			if err := rows.Scan(&a.ID, &a.From.ID, &a.From.Name, &a.From.NameEn, &a.To.ID, &a.To.Name, &a.To.NameEn, &data, &a.Purpose,
				&a.LegalBasis, &a.LegalRef, &vf, &vt, &a.DocumentRef, &a.CreatedBy, &created, &ended, &fromPath); err != nil {
				return apperr.Internal(err)
			}
			a.Data = strings.Fields(data)
			a.ValidFrom, a.ValidTo, a.CreatedAt = db.FromMicro(vf), db.FromMicro(vt), db.FromMicro(created)
			if ended != 0 {
				a.EndedAt = db.FromMicro(ended)
			}
			_, a.Mine = p.At(access.SharingManage, fromPath)
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.record(ctx, tx, p, m, "agreement.list", "sharing_agreement", 0, "count="+itoa(int64(len(out))))
	})
	return out, err
}

// AgreementFor returns the agreement in force at time at under which data
// what may go from unit from to unit to for purpose, or 0 if none: an
// agreement of from or a unit above it, with to or a unit above it (an
// agreement with a police headquarters covers its stations), for the same
// purpose, covering every code of what. Other services call it in their
// transaction tx to choose the basis "agreement" of a Disclosure.
func (s *Service) AgreementFor(ctx context.Context, tx *db.Tx, from, to int64, what []string, purpose string, at time.Time) (int64, error) {
	var fromPath, toPath string
	if err := tx.QueryRow(ctx, `SELECT f.path, t.path FROM org_units f, org_units t WHERE f.id = ? AND t.id = ?`, from, to).Scan(&fromPath, &toPath); err != nil {
		return 0, err
	}
	t := db.Micro(at)
	rows, err := tx.Query(ctx, `SELECT a.id, a.data FROM sharing_agreements a JOIN org_units fo ON fo.id = a.from_unit JOIN org_units tu ON tu.id = a.to_unit
		WHERE ? LIKE fo.path || '%' AND ? LIKE tu.path || '%' AND a.purpose = ? AND a.valid_from <= ? AND a.valid_to > ? AND a.ended_at = 0
		ORDER BY a.id`, fromPath, toPath, purpose, t, t)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			return 0, apperr.Internal(err)
		}
		codes := strings.Fields(data)
		covered := true
		for _, w := range what {
			covered = covered && slices.Contains(codes, w)
		}
		if covered {
			return id, nil
		}
	}
	return 0, apperr.Internal(rows.Err())
}
