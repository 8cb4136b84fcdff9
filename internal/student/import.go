package student

import (
	"context"
	"fmt"
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
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		schools, err := writableSchools(ctx, tx, p)
		if err != nil {
			return err
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
			return err
		}
		for _, n := range valid {
			if e, ok := existing[n.student.StudentNo]; ok {
				if _, in := p.At(access.RecordWrite, e.SchoolPath); !in {
					rep.Problems = append(rep.Problems, RowProblem{Line: n.line, Field: "student_no", Problem: "student.exists_elsewhere"})
				}
			}
		}
		for _, n := range valid {
			switch e, ok := existing[n.student.StudentNo]; {
			case !ok:
				rep.Created++
			case same(e, n):
				rep.Unchanged++
			default:
				rep.Updated++
			}
		}
		if dryRun || !rep.OK() {
			return nil
		}
		return s.write(ctx, tx, p, m, valid, existing, progress)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
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
	for k, v := range out {
		if v == 0 {
			delete(out, k) // ambiguous: the file must use the code
		}
	}
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
		a.Grade != b.Grade || a.ClassName != b.ClassName || b.Status != Active || len(n.guardians) != len(b.Guardians) {
		return false
	}
	for i := range n.guardians {
		if n.guardians[i] != b.Guardians[i] {
			return false
		}
	}
	return true
}

func (s *Service) write(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, rows []normalized,
	existing map[string]*Student, progress func(done, total int)) error {
	now := db.Micro(s.now())
	for i, n := range rows {
		st := n.student
		e, known := existing[st.StudentNo]
		switch {
		case !known:
			id, err := tx.InsertID(ctx, `INSERT INTO students (student_no, name, name_initials, gender, birth_date, school_id,
				grade, class_name, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				st.StudentNo, st.Name, st.Initials, st.Gender, st.BirthDate, st.SchoolID, st.Grade, st.ClassName, Active, now, now)
			if err != nil {
				return err
			}
			if err := s.saved(ctx, tx, p, m, id, st.SchoolID, n.guardians, now, "imported", "student.create"); err != nil {
				return err
			}
		case !same(e, n):
			if _, err := tx.Exec(ctx, `UPDATE students SET name = ?, name_initials = ?, gender = ?, birth_date = ?, school_id = ?,
				grade = ?, class_name = ?, status = ?, updated_at = ? WHERE id = ?`, st.Name, st.Initials, st.Gender, st.BirthDate,
				st.SchoolID, st.Grade, st.ClassName, Active, now, e.ID); err != nil {
				return err
			}
			if err := s.saved(ctx, tx, p, m, e.ID, st.SchoolID, n.guardians, now, "updated", "student.update"); err != nil {
				return err
			}
		}
		if progress != nil && ((i+1)%1000 == 0 || i+1 == len(rows)) {
			progress(i+1, len(rows))
		}
	}
	return nil
}

// saved finishes writing one imported row: guardians, timeline, audit.
func (s *Service) saved(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, id, schoolID int64,
	gs []Guardian, now int64, event, action string) error {
	if err := replaceGuardians(ctx, tx, id, gs); err != nil {
		return err
	}
	if err := addEvent(ctx, tx, id, now, p.UserID, schoolID, event, "roster"); err != nil {
		return err
	}
	return s.record(ctx, tx, p, m, action, id, fmt.Sprintf("school=%d", schoolID))
}
