package student

import (
	"context"
	"github.com/careloop/careloop/internal/seal"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Service manages student records. Reads of identified data and every write
// are audited in the same transaction.
type Service struct {
	DB    *db.DB
	Audit *audit.Log
	Seal  seal.Sealer
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, studentID int64, detail string) error {
	return s.Audit.Record(ctx, tx, auditEntry(p, m, action, "student", studentID, detail))
}

func auditEntry(p access.Principal, m access.Membership, action, objType string, id int64, detail string) audit.Entry {
	return audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: strconv.FormatInt(id, 10), Outcome: audit.Success, Detail: detail}
}

// reachable loads a student and the membership through which p holds perm
// over the student's school; outside the scope the student is not found.
func reachable(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, id int64) (*Student, access.Membership, error) {
	st, err := findStudent(ctx, tx, id)
	if err != nil {
		return nil, access.Membership{}, err
	}
	m, ok := p.At(perm, st.SchoolPath)
	if !ok {
		return nil, m, apperr.NotFound()
	}
	return st, m, nil
}

// FindRecord returns a student's whole record (identity, guardians, risk
// factors with their sealed notes opened, timeline) and audits the read.
func (s *Service) FindRecord(ctx context.Context, p access.Principal, id int64) (*Record, error) {
	var out *Record
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := reachable(ctx, tx, p, access.RecordRead, id)
		if err != nil {
			return err
		}
		rec := &Record{Student: *st}
		if rec.RiskFactors, err = s.findRiskFactors(ctx, tx, id); err != nil {
			return err
		}
		if rec.Timeline, err = findEvents(ctx, tx, id); err != nil {
			return err
		}
		out = rec
		return s.record(ctx, tx, p, m, "student.read", id, "")
	})
	return out, err
}

// FindStudents lists students in the caller's scope; the list holds
// identified data, so it is audited with the number of rows returned.
func (s *Service) FindStudents(ctx context.Context, p access.Principal, f StudentFilter) ([]Student, error) {
	m, ok := p.Grant(access.RecordRead)
	if !ok {
		return nil, apperr.Forbidden()
	}
	var out []Student
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if out, err = findStudents(ctx, tx, p, access.RecordRead, f); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
			Action: "student.search", ObjectType: "student", Outcome: audit.Success, Detail: "rows=" + strconv.Itoa(len(out))})
	})
	return out, err
}

// Transfer moves a student to another school: the record follows the child
// and the new school becomes its owner. The caller must hold RecordWrite
// over the current school; the target must be an active school.
func (s *Service) Transfer(ctx context.Context, p access.Principal, id, toSchoolID int64, grade int, className string) error {
	className = strings.TrimSpace(className)
	if grade < 1 || grade > 12 || className == "" {
		return apperr.Invalid("error.invalid", map[string]string{"grade": "student.grade_range", "class": "student.class_required"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := reachable(ctx, tx, p, access.RecordWrite, id)
		if err != nil {
			return err
		}
		var kind string
		var active int
		err = tx.QueryRow(ctx, `SELECT kind, active FROM org_units WHERE id = ?`, toSchoolID).Scan(&kind, &active)
		if apperr.CodeOf(err) == apperr.ENotFound || (err == nil && (kind != "school" || active != 1)) {
			return apperr.Invalid("error.invalid", map[string]string{"school": "student.school_unknown"})
		}
		if err != nil {
			return err
		}
		if toSchoolID == st.SchoolID {
			return apperr.Invalid("error.invalid", map[string]string{"school": "student.same_school"})
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE students SET school_id = ?, grade = ?, class_name = ?, updated_at = ? WHERE id = ?`,
			toSchoolID, grade, className, now, id); err != nil {
			return err
		}
		from, to := strconv.FormatInt(st.SchoolID, 10), strconv.FormatInt(toSchoolID, 10)
		if err := addEvent(ctx, tx, id, now, p.UserID, st.SchoolID, "transferred_out", "to="+to); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, p.UserID, toSchoolID, "transferred_in", "from="+from); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "student.transfer", id, "from="+from+" to="+to)
	})
}

// SetStatus graduates, archives or reactivates one record.
func (s *Service) SetStatus(ctx context.Context, p access.Principal, id int64, status string) error {
	if !oneOf(status, []string{Active, Graduated, Archived}) {
		return apperr.Invalid("error.invalid", map[string]string{"status": "student.status_unknown"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := reachable(ctx, tx, p, access.RecordWrite, id)
		if err != nil {
			return err
		}
		if st.Status == status {
			return nil
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE students SET status = ?, updated_at = ? WHERE id = ?`, status, now, id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, p.UserID, st.SchoolID, "status_"+status, ""); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "student.status", id, "status="+status)
	})
}

// Promote moves every active student of a school up one grade at year end,
// in one transaction; students in finalGrade graduate instead. It returns
// how many were promoted and how many graduated.
func (s *Service) Promote(ctx context.Context, p access.Principal, schoolID int64, finalGrade int) (promoted, graduated int, err error) {
	if finalGrade < 1 || finalGrade > 12 {
		return 0, 0, apperr.Invalid("error.invalid", map[string]string{"final_grade": "student.grade_range"})
	}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path, kind string
		if err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ?`, schoolID).Scan(&path, &kind); err != nil {
			return err
		}
		m, ok := p.At(access.RecordWrite, path)
		if !ok || kind != "school" {
			return apperr.NotFound()
		}
		now := db.Micro(s.now())
		ids, err := activeIDs(ctx, tx, schoolID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE students SET status = ?, updated_at = ? WHERE school_id = ? AND status = ? AND grade >= ?`,
			Graduated, now, schoolID, Active, finalGrade)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		graduated = int(n)
		if res, err = tx.Exec(ctx, `UPDATE students SET grade = grade + 1, updated_at = ? WHERE school_id = ? AND status = ? AND grade < ?`,
			now, schoolID, Active, finalGrade); err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		promoted = int(n)
		for _, id := range ids {
			if err := addEvent(ctx, tx, id, now, p.UserID, schoolID, "year_end", "final_grade="+strconv.Itoa(finalGrade)); err != nil {
				return err
			}
			if err := s.record(ctx, tx, p, m, "student.promote", id, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return promoted, graduated, err
}

func activeIDs(ctx context.Context, tx *db.Tx, schoolID int64) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM students WHERE school_id = ? AND status = ?`, schoolID, Active)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, apperr.Internal(err)
		}
		ids = append(ids, id)
	}
	return ids, apperr.Internal(rows.Err())
}

// ExportStudents streams every student matching f in the caller's
// record.read scope (no limit), for a background export. One audited read,
// in the same transaction, with the number of rows.
func (s *Service) ExportStudents(ctx context.Context, p access.Principal, f StudentFilter, emit func(*Student) error) error {
	m, ok := p.Grant(access.RecordRead)
	if !ok {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		n := 0
		if err := eachStudent(ctx, tx, p, access.RecordRead, f, 0, func(st *Student) error {
			n++
			return emit(st)
		}); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
			Action: "student.export", ObjectType: "student", Outcome: audit.Success, Detail: "rows=" + strconv.Itoa(n)})
	})
}
