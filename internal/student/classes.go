package student

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// ClassAssignment is a class a head teacher (班主任) is responsible for.
type ClassAssignment struct {
	ID         int64
	UserID     int64
	Username   string
	SchoolID   int64
	SchoolName string
	Grade      int
	ClassName  string
}

// AssignClass makes a head teacher of the school (by username) responsible
// for a class. The caller must hold record.write over the school, and the
// user must hold the head_teacher role there.
func (s *Service) AssignClass(ctx context.Context, p access.Principal, username string, schoolID int64, grade int, className string) error {
	className = strings.TrimSpace(className)
	if grade < 1 || grade > 12 || className == "" {
		return apperr.Invalid("error.invalid", map[string]string{"class": "student.class_required"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND kind = 'school'`, schoolID).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.RecordWrite, path)
		if !ok {
			return apperr.NotFound()
		}
		var userID int64
		err := tx.QueryRow(ctx, `SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE u.username = ? AND m.org_unit_id = ? AND m.role = ?`, strings.ToLower(strings.TrimSpace(username)),
			schoolID, access.HeadTeacher).Scan(&userID)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return apperr.Invalid("error.invalid", map[string]string{"user": "student.not_head_teacher"})
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO class_assignments (user_id, school_id, grade, class_name) VALUES (?, ?, ?, ?)`,
			userID, schoolID, grade, className); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, auditEntry(p, m, "class.assign", "user", userID,
			"school="+strconv.FormatInt(schoolID, 10)+" grade="+strconv.Itoa(grade)))
	})
}

// FindClassAssignments lists the head teachers' classes of the schools the
// caller may write to, with the head teachers of those schools.
func (s *Service) FindClassAssignments(ctx context.Context, p access.Principal) ([]ClassAssignment, error) {
	var out []ClassAssignment
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.RecordWrite, "o.path")
		rows, err := tx.Query(ctx, `SELECT a.id, a.user_id, u.username, a.school_id, o.name, a.grade, a.class_name
			FROM class_assignments a JOIN users u ON u.id = a.user_id JOIN org_units o ON o.id = a.school_id
			WHERE `+scope+` ORDER BY o.path, a.grade, a.class_name`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a ClassAssignment
			if err := rows.Scan(&a.ID, &a.UserID, &a.Username, &a.SchoolID, &a.SchoolName, &a.Grade, &a.ClassName); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, a)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}
