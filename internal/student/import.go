package student

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Import validates a roster and, unless dryRun, writes it all or nothing:
// new student numbers create records, known ones update them (re-importing
// the same file changes nothing). Rows naming a student whose record
// belongs to a school outside the caller's scope are refused: that is a
// transfer. progress, if not nil, is called as rows are written.
func (s *Service) Import(ctx context.Context, p access.Principal, rows []RosterRow, dryRun bool, progress func(done, total int)) (*ImportReport, error) {
	m, ok := p.Grant(access.RecordWrite)
	if !ok {
		return nil, apperr.Forbidden()
	}
	rep := &ImportReport{DryRun: dryRun, Rows: len(rows)}
	if len(rows) == 0 {
		return nil, apperr.Invalid("student.roster_empty", nil)
	}
	if len(rows) > 200000 {
		return nil, apperr.Invalid("student.roster_too_large", nil)
	}
	if dryRun {
		// A dry run only reads, so it never holds the single writer.
		err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := s.validate(ctx, tx, p, rows, rep)
			return err
		})
		if err != nil {
			return nil, err
		}
		return rep, nil
	}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		valid, err := s.validate(ctx, tx, p, rows, rep)
		if err != nil || !rep.OK() {
			return err
		}
		existing, err := findExisting(ctx, tx, valid)
		if err != nil {
			return err
		}
		return s.write(ctx, tx, p, m, valid, existing, progress)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// validate checks every row and counts what an import would create, update
// or leave unchanged, appending problems to rep. It returns the valid rows.
func (s *Service) validate(ctx context.Context, tx *db.Tx, p access.Principal, rows []RosterRow, rep *ImportReport) ([]normalized, error) {
	schools, err := writableSchools(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	valid := make([]normalized, 0, len(rows))
	seen := make(map[string]int, len(rows))
	for _, row := range rows {
		n, ok := check(row, schools, now, rep)
		if first, dup := seen[n.student.StudentNo]; dup && n.student.StudentNo != "" {
			rep.Problems = append(rep.Problems, RowProblem{Line: row.Line, Field: "student_no",
				Problem: "student.duplicate_in_file", Other: first})
			ok = false
		}
		if _, dup := seen[n.student.StudentNo]; !dup {
			seen[n.student.StudentNo] = row.Line
		}
		if ok {
			valid = append(valid, n)
		}
	}
	existing, err := findExisting(ctx, tx, valid)
	if err != nil {
		return nil, err
	}
	for _, n := range valid {
		e, ok := existing[n.student.StudentNo]
		switch {
		case !ok:
			rep.Created++
		case !inScope(p, e):
			rep.Problems = append(rep.Problems, RowProblem{Line: n.line, Field: "student_no", Problem: "student.exists_elsewhere"})
		case same(e, n):
			rep.Unchanged++
		default:
			rep.Updated++
		}
	}
	return valid, nil
}

func inScope(p access.Principal, e *Student) bool {
	_, ok := p.At(access.RecordWrite, e.SchoolPath)
	return ok
}

// writableSchools maps the names and codes of the active schools the caller
// may write to onto their ids; a name shared by two schools maps to 0.
func writableSchools(ctx context.Context, tx *db.Tx, p access.Principal) (map[string]int64, error) {
	scope, args := p.Scope(access.RecordWrite, "path")
	rows, err := tx.Query(ctx, `SELECT id, name, name_en, code FROM org_units WHERE kind = 'school' AND active = 1 AND `+scope, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id int64
		var name, en, code string
		if err := rows.Scan(&id, &name, &en, &code); err != nil {
			return nil, apperr.Internal(err)
		}
		for _, k := range []string{name, en, code} {
			if k == "" {
				continue
			}
			if _, dup := out[k]; dup {
				out[k] = 0
			} else {
				out[k] = id
			}
		}
	}
	// A name shared by two schools maps to 0: ambiguous, the file must
	// use the school's code.
	return out, apperr.Internal(rows.Err())
}

// findExisting loads the records (with guardians) of the rows' student
// numbers, 500 at a time.
func findExisting(ctx context.Context, tx *db.Tx, rows []normalized) (map[string]*Student, error) {
	out := make(map[string]*Student, len(rows))
	for start := 0; start < len(rows); start += 500 {
		end := min(start+500, len(rows))
		args := make([]any, 0, end-start)
		for _, n := range rows[start:end] {
			args = append(args, n.student.StudentNo)
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")
		rs, err := tx.Query(ctx, `SELECT `+studentColumns+studentFrom+` WHERE s.student_no IN (`+marks+`)`, args...)
		if err != nil {
			return nil, err
		}
		byID := map[int64]*Student{}
		for rs.Next() {
			st, err := scanStudent(rs)
			if err != nil {
				rs.Close()
				return nil, apperr.Internal(err)
			}
			out[st.StudentNo], byID[st.ID] = st, st
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, apperr.Internal(err)
		}
		if err := loadGuardians(ctx, tx, byID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadGuardians(ctx context.Context, tx *db.Tx, byID map[int64]*Student) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	rs, err := tx.Query(ctx, `SELECT student_id, name, relation, phone FROM guardians WHERE student_id IN (`+
		strings.Join(ids, ",")+`) ORDER BY student_id, position`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var g Guardian
		if err := rs.Scan(&id, &g.Name, &g.Relation, &g.Phone); err != nil {
			return apperr.Internal(err)
		}
		byID[id].Guardians = append(byID[id].Guardians, g)
	}
	return apperr.Internal(rs.Err())
}

func same(e *Student, n normalized) bool {
	a, b := n.student, *e
	if a.Name != b.Name || a.Gender != b.Gender || a.BirthDate != b.BirthDate || a.SchoolID != b.SchoolID ||
		a.Grade != b.Grade || a.ClassName != b.ClassName || len(n.guardians) != len(b.Guardians) {
		return false
	}
	for i := range n.guardians {
		if n.guardians[i] != b.Guardians[i] {
			return false
		}
	}
	return true
}
