package student

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

const studentColumns = `s.id, s.student_no, s.name, s.name_initials, s.gender, s.birth_date, s.school_id, o.name, o.name_en,
	o.path, s.grade, s.class_name, s.status, s.created_at, s.updated_at`

const studentFrom = ` FROM students s JOIN org_units o ON o.id = s.school_id`

func scanStudent(sc interface{ Scan(...any) error }) (*Student, error) {
	var s Student
	var c, u int64
	if err := sc.Scan(&s.ID, &s.StudentNo, &s.Name, &s.Initials, &s.Gender, &s.BirthDate, &s.SchoolID, &s.SchoolName,
		&s.SchoolNameEn, &s.SchoolPath, &s.Grade, &s.ClassName, &s.Status, &c, &u); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = db.FromMicro(c), db.FromMicro(u)
	return &s, nil
}

// findStudent loads one student without a scope check; callers check it.
func findStudent(ctx context.Context, tx *db.Tx, id int64) (*Student, error) {
	s, err := scanStudent(tx.QueryRow(ctx, `SELECT `+studentColumns+studentFrom+` WHERE s.id = ?`, id))
	if err != nil {
		return nil, err
	}
	s.Guardians, err = findGuardians(ctx, tx, id)
	return s, err
}

func findGuardians(ctx context.Context, tx *db.Tx, studentID int64) ([]Guardian, error) {
	rows, err := tx.Query(ctx, `SELECT name, relation, phone FROM guardians WHERE student_id = ? ORDER BY position`, studentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Guardian
	for rows.Next() {
		var g Guardian
		if err := rows.Scan(&g.Name, &g.Relation, &g.Phone); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, g)
	}
	return out, apperr.Internal(rows.Err())
}

// findStudents lists students of schools inside the caller's scope for perm.
func findStudents(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, f StudentFilter) ([]Student, error) {
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var out []Student
	err := eachStudent(ctx, tx, p, perm, f, limit, func(s *Student) error {
		out = append(out, *s)
		return nil
	})
	return out, err
}

// eachStudent streams the students of schools inside the caller's scope for
// perm that match f, in school, grade, class and name order, at most limit
// (0: all).
func eachStudent(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, f StudentFilter, limit int, emit func(*Student) error) error {
	scope, args := p.Scope(perm, "o.path")
	where := []string{scope}
	status := f.Status
	if status == "" {
		status = Active
	}
	where = append(where, "s.status = ?")
	args = append(args, status)
	if f.SchoolID != 0 {
		where = append(where, "s.school_id = ?")
		args = append(args, f.SchoolID)
	}
	if f.Grade != 0 {
		where = append(where, "s.grade = ?")
		args = append(args, f.Grade)
	}
	if f.ClassName != "" {
		where = append(where, "s.class_name = ?")
		args = append(args, f.ClassName)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like, prefix := strings.ToLower(db.Contains(q)), db.Prefix(strings.ToLower(q))
		where = append(where, `(LOWER(s.name) LIKE ? ESCAPE '\' OR s.name_initials LIKE ? ESCAPE '\' OR s.student_no = ?)`)
		args = append(args, like, prefix, q)
	}
	q := `SELECT ` + studentColumns + studentFrom + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY o.path, s.grade, s.class_name, s.name`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanStudent(rows)
		if err != nil {
			return apperr.Internal(err)
		}
		if err := emit(s); err != nil {
			return err
		}
	}
	return apperr.Internal(rows.Err())
}

func addEvent(ctx context.Context, tx *db.Tx, studentID, at, actor, orgID int64, kind, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, studentID, at, kind, actor, orgID, detail)
	return err
}

func findEvents(ctx context.Context, tx *db.Tx, studentID int64) ([]Event, error) {
	rows, err := tx.Query(ctx, `SELECT at, kind, actor_user_id, org_unit_id, detail FROM student_events
		WHERE student_id = ? ORDER BY at DESC, id DESC LIMIT 500`, studentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Kind, &e.ActorUserID, &e.OrgUnitID, &e.Detail); err != nil {
			return nil, apperr.Internal(err)
		}
		e.At = db.FromMicro(at)
		out = append(out, e)
	}
	return out, apperr.Internal(rows.Err())
}
