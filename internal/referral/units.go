package referral

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Unit is a unit that may receive referrals: an active hospital or agency.
type Unit struct {
	ID           int64
	Kind         string
	Name, NameEn string
}

// Label is the unit's name in a locale.
func (u Unit) Label(locale string) string { return pick(locale, u.Name, u.NameEn) }

// ReceivingUnits lists every active hospital and agency of the network,
// hospitals first, for a sender choosing where to refer. Any holder of
// referral.manage may list them: they are partners of the whole network.
func (s *Service) ReceivingUnits(ctx context.Context, p access.Principal) ([]Unit, error) {
	if !p.Can(access.ReferralManage) {
		return nil, apperr.Forbidden()
	}
	var out []Unit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, kind, name, name_en FROM org_units WHERE kind IN ('hospital', 'agency') AND active = 1
			ORDER BY CASE kind WHEN 'hospital' THEN 0 ELSE 1 END, path`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u Unit
			if err := rows.Scan(&u.ID, &u.Kind, &u.Name, &u.NameEn); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, u)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}
