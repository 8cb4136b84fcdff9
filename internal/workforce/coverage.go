package workforce

import (
	"context"
	"fmt"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// DistrictCoverage is one district's schools by their psychology teachers.
type DistrictCoverage struct {
	District UnitName
	Schools  int // active schools in the caller's scope
	Full     int // with at least one active full-time psychology teacher
	PartOnly int // with part-time ones only
	None     int // with neither
	Teachers int // active full- and part-time psychology teachers
}

// Covered is the number of schools with a full- or part-time teacher.
func (d DistrictCoverage) Covered() int { return d.Full + d.PartOnly }

// Met reports whether the share covered reaches CoverageTarget.
func (d DistrictCoverage) Met() bool {
	return d.Schools > 0 && d.Covered()*100 >= CoverageTarget*d.Schools
}

// Share is the share of schools covered, as a percentage with one decimal.
func (d DistrictCoverage) Share() string {
	if d.Schools == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(d.Covered())*100/float64(d.Schools))
}

// Coverage is the per-district table and its total.
type Coverage struct {
	Target    int // percent
	Districts []DistrictCoverage
	Total     DistrictCoverage
}

// School is a school and its psychology teachers.
type School struct {
	Unit     UnitName
	District UnitName
	Full     int
	Part     int
}

// coverageScope is where the caller reads coverage: report.read or
// workforce.manage over the school.
func coverageScope(p access.Principal, col string) (string, []any, bool) {
	r, rargs := p.Scope(access.ReportRead, col)
	w, wargs := p.Scope(access.WorkforceManage, col)
	ok := p.Can(access.ReportRead) || p.Can(access.WorkforceManage)
	return "(" + r + " OR " + w + ")", append(rargs, wargs...), ok
}

// schools returns the active schools in the caller's scope (of one
// district, if district is not 0) with their teachers, by district and name.
func (s *Service) schools(ctx context.Context, tx *db.Tx, p access.Principal, district int64) ([]School, error) {
	cond, args, _ := coverageScope(p, "sc.path")
	q := `SELECT sc.id, sc.name, sc.name_en, d.id, d.name, d.name_en,
		(SELECT COUNT(*) FROM workforce_people wp WHERE wp.org_unit_id = sc.id AND wp.active = 1 AND wp.kind = ?),
		(SELECT COUNT(*) FROM workforce_people wp WHERE wp.org_unit_id = sc.id AND wp.active = 1 AND wp.kind = ?)
		FROM org_units sc JOIN org_units d ON d.id = sc.parent_id WHERE sc.kind = 'school' AND sc.active = 1 AND ` + cond
	args = append([]any{KindTeacherFull, KindTeacherPart}, args...)
	if district != 0 {
		q += ` AND d.id = ?`
		args = append(args, district)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY d.path, sc.name, sc.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []School
	for rows.Next() {
		var sc School
		if err := rows.Scan(&sc.Unit.ID, &sc.Unit.Name, &sc.Unit.NameEn, &sc.District.ID, &sc.District.Name, &sc.District.NameEn,
			&sc.Full, &sc.Part); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, sc)
	}
	return out, apperr.Internal(rows.Err())
}

// Coverage counts, per district, the active schools in the caller's scope
// (report.read or workforce.manage) with a full-time psychology teacher,
// with part-time ones only, and with none, against the national target.
func (s *Service) Coverage(ctx context.Context, p access.Principal) (*Coverage, error) {
	m, ok := p.Grant(access.ReportRead)
	if !ok {
		if m, ok = p.Grant(access.WorkforceManage); !ok {
			return nil, apperr.Forbidden()
		}
	}
	out := Coverage{Target: CoverageTarget}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		list, err := s.schools(ctx, tx, p, 0)
		if err != nil {
			return err
		}
		idx := map[int64]int{}
		for _, sc := range list {
			i, ok := idx[sc.District.ID]
			if !ok {
				i = len(out.Districts)
				idx[sc.District.ID] = i
				out.Districts = append(out.Districts, DistrictCoverage{District: sc.District})
			}
			for _, d := range []*DistrictCoverage{&out.Districts[i], &out.Total} {
				d.Schools++
				d.Teachers += sc.Full + sc.Part
				switch {
				case sc.Full > 0:
					d.Full++
				case sc.Part > 0:
					d.PartOnly++
				default:
					d.None++
				}
			}
		}
		return s.record(ctx, tx, p, m, "workforce.coverage", "org_unit", 0, "schools="+itoa(int64(out.Total.Schools)))
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Uncovered lists the schools of a district (0: of the whole scope) in the
// caller's scope that have no psychology teacher.
func (s *Service) Uncovered(ctx context.Context, p access.Principal, district int64) ([]School, error) {
	m, ok := p.Grant(access.ReportRead)
	if !ok {
		if m, ok = p.Grant(access.WorkforceManage); !ok {
			return nil, apperr.Forbidden()
		}
	}
	var out []School
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		list, err := s.schools(ctx, tx, p, district)
		if err != nil {
			return err
		}
		for _, sc := range list {
			if sc.Full == 0 && sc.Part == 0 {
				out = append(out, sc)
			}
		}
		return s.record(ctx, tx, p, m, "workforce.uncovered", "org_unit", district, "count="+itoa(int64(len(out))))
	})
	return out, err
}
