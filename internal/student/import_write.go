package student

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// write stores the rows in batches: new students a few hundred per INSERT,
// then their guardians, timeline events and audit entries in bulk.
func (s *Service) write(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, rows []normalized,
	existing map[string]*Student, progress func(done, total int)) error {
	now := db.Micro(s.now())
	var created, updated []normalized
	for _, n := range rows {
		e, known := existing[n.student.StudentNo]
		switch {
		case !known:
			created = append(created, n)
		case !same(e, n):
			n.student.ID = e.ID
			updated = append(updated, n)
		}
	}
	done := len(rows) - len(created) - len(updated)
	report := func(k int) {
		done += k
		if progress != nil {
			progress(done, len(rows))
		}
	}
	const chunk = 200
	for start := 0; start < len(created); start += chunk {
		part := created[start:min(start+chunk, len(created))]
		if err := insertStudents(ctx, tx, part, now); err != nil {
			return err
		}
		if err := s.saved(ctx, tx, p, m, part, now, "imported", "student.create"); err != nil {
			return err
		}
		report(len(part))
	}
	for start := 0; start < len(updated); start += chunk {
		part := updated[start:min(start+chunk, len(updated))]
		for _, n := range part {
			// The status is left as it is: an old roster re-imported after the
			// year end must not make graduated students active again.
			st := n.student
			if _, err := tx.Exec(ctx, `UPDATE students SET name = ?, name_initials = ?, gender = ?, birth_date = ?, school_id = ?,
				grade = ?, class_name = ?, updated_at = ? WHERE id = ?`, st.Name, st.Initials, st.Gender, st.BirthDate,
				st.SchoolID, st.Grade, st.ClassName, now, st.ID); err != nil {
				return err
			}
			if old := existing[st.StudentNo]; old.SchoolID != st.SchoolID {
				// A roster that moves a student to another school (in the
				// caller's scope) is a transfer: the timeline says so.
				if err := addEvent(ctx, tx, st.ID, now, p.UserID, old.SchoolID, "transferred_out", "to="+strconv.FormatInt(st.SchoolID, 10)); err != nil {
					return err
				}
				if err := addEvent(ctx, tx, st.ID, now, p.UserID, st.SchoolID, "transferred_in", "from="+strconv.FormatInt(old.SchoolID, 10)); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `DELETE FROM guardians WHERE student_id = ?`, st.ID); err != nil {
				return err
			}
		}
		if err := s.saved(ctx, tx, p, m, part, now, "updated", "student.update"); err != nil {
			return err
		}
		report(len(part))
	}
	if progress != nil && len(created)+len(updated) == 0 {
		progress(len(rows), len(rows))
	}
	return nil
}

// insertStudents inserts new students in one statement and sets their ids.
func insertStudents(ctx context.Context, tx *db.Tx, part []normalized, now int64) error {
	args := make([]any, 0, 11*len(part))
	for _, n := range part {
		st := n.student
		args = append(args, st.StudentNo, st.Name, st.Initials, st.Gender, st.BirthDate, st.SchoolID, st.Grade, st.ClassName, Active, now, now)
	}
	values := strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?),", len(part)), ",")
	rs, err := tx.Query(ctx, `INSERT INTO students (student_no, name, name_initials, gender, birth_date, school_id,
		grade, class_name, status, created_at, updated_at) VALUES `+values+` RETURNING id, student_no`, args...)
	if err != nil {
		return err
	}
	ids := make(map[string]int64, len(part))
	for rs.Next() {
		var id int64
		var no string
		if err := rs.Scan(&id, &no); err != nil {
			rs.Close()
			return apperr.Internal(err)
		}
		ids[no] = id
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return apperr.Internal(err)
	}
	for i := range part {
		part[i].student.ID = ids[part[i].student.StudentNo]
		if part[i].student.ID == 0 {
			return apperr.Internal(fmt.Errorf("insert returned no id for a student"))
		}
	}
	return nil
}

// saved finishes writing a batch of imported rows: their guardians,
// timeline events and audit entries, each in bulk.
func (s *Service) saved(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, part []normalized,
	now int64, event, action string) error {
	var gargs []any
	gcount := 0
	eargs := make([]any, 0, 6*len(part))
	entries := make([]audit.Entry, 0, len(part))
	for _, n := range part {
		for i, g := range n.guardians {
			gargs = append(gargs, n.student.ID, i+1, g.Name, g.Relation, g.Phone)
			gcount++
		}
		eargs = append(eargs, n.student.ID, now, event, p.UserID, n.student.SchoolID, "roster")
		entries = append(entries, auditEntry(p, m, action, "student", n.student.ID, fmt.Sprintf("school=%d", n.student.SchoolID)))
	}
	if gcount > 0 {
		values := strings.TrimSuffix(strings.Repeat("(?,?,?,?,?),", gcount), ",")
		if _, err := tx.Exec(ctx, `INSERT INTO guardians (student_id, position, name, relation, phone) VALUES `+values, gargs...); err != nil {
			return err
		}
	}
	values := strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?),", len(part)), ",")
	if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES `+values, eargs...); err != nil {
		return err
	}
	return s.Audit.RecordBatch(ctx, tx, entries)
}
