package training

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// MaxImportRows bounds an attendance file.
const MaxImportRows = 5000

// ImportRow is one line of an attendance file: a username, or a staff
// name with the name of their unit.
type ImportRow struct {
	Line     int
	Username string
	Name     string
	Unit     string
}

// ImportProblem is why a line cannot be imported (an i18n key).
type ImportProblem struct {
	Line    int
	Problem string
}

// ImportReport is the row-by-row result of an attendance import.
type ImportReport struct {
	Rows      int
	ToMark    int // attendances to record
	Already   int // already recorded
	NewPlaces int // of ToMark, persons not enrolled before
	Problems  []ImportProblem
	Imported  bool
}

// OK reports whether the file has no problem.
func (r *ImportReport) OK() bool { return len(r.Problems) == 0 }

var importHeaders = map[string]string{
	"username": "username", "用户名": "username", "账号": "username", "帐号": "username", "account": "username",
	"name": "name", "姓名": "name", "staff name": "name",
	"unit": "unit", "单位": "unit", "学校": "unit", "school": "unit",
}

// ParseAttendance reads the first sheet of an XLSX attendance file. The
// first row names the columns: 用户名/username, or 姓名/name with 单位/unit.
func ParseAttendance(r io.Reader) ([]ImportRow, error) {
	bad := func(key string) error { return apperr.Invalid(key, map[string]string{"file": key}) }
	raw, err := io.ReadAll(io.LimitReader(r, 32<<20))
	if err != nil {
		return nil, bad("training.file_unreadable")
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: 256 << 20})
	if err != nil {
		return nil, bad("training.file_unreadable")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, bad("training.file_empty")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, bad("training.file_unreadable")
	}
	defer it.Close()
	cols := map[string]int{}
	var out []ImportRow
	for line := 1; it.Next(); line++ {
		rec, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, bad("training.file_unreadable")
		}
		if line == 1 {
			for i, h := range rec {
				if c, ok := importHeaders[strings.ToLower(strings.TrimSpace(h))]; ok {
					if _, dup := cols[c]; !dup {
						cols[c] = i
					}
				}
			}
			_, user := cols["username"]
			_, name := cols["name"]
			_, unit := cols["unit"]
			if !user && !(name && unit) {
				return nil, bad("training.file_columns")
			}
			continue
		}
		cell := func(c string) string {
			if i, ok := cols[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := ImportRow{Line: line, Username: cell("username"), Name: cell("name"), Unit: cell("unit")}
		if row.Username == "" && row.Name == "" && row.Unit == "" {
			continue
		}
		if len(out) == MaxImportRows {
			return nil, bad("training.file_too_long")
		}
		out = append(out, row)
	}
	if len(cols) == 0 {
		return nil, bad("training.file_empty")
	}
	return out, nil
}

// ImportAttendance records the attendance of a session the caller manages
// from the rows of a file. With dryRun nothing is written: every row is
// checked and the report says what would happen. Otherwise the import is
// all or nothing: any problem writes nothing.
func (s *Service) ImportAttendance(ctx context.Context, p access.Principal, sessionID int64, rows []ImportRow, dryRun bool) (*ImportReport, error) {
	if len(rows) > MaxImportRows {
		return nil, apperr.Invalid("form.invalid", map[string]string{"file": "training.file_too_long"})
	}
	rep := &ImportReport{Rows: len(rows)}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		m, err := managing(p, sess.CoursePath)
		if err != nil {
			return err
		}
		if s.now().Before(sess.StartsAt.Add(-attendFrom)) {
			return apperr.Invalid("training.not_started", nil)
		}
		var enrolled, capacity int
		if err := tx.QueryRow(ctx, `SELECT enrolled, capacity FROM training_sessions WHERE id = ?`, sessionID).Scan(&enrolled, &capacity); err != nil {
			return err
		}
		type todo struct {
			user, unit int64
			enrol      bool
		}
		var work []todo
		seen := map[int64]bool{}
		problem := func(r ImportRow, key string) {
			rep.Problems = append(rep.Problems, ImportProblem{Line: r.Line, Problem: key})
		}
		for _, r := range rows {
			userID, key, err := resolve(ctx, tx, r)
			if err != nil {
				return err
			}
			if key != "" {
				problem(r, key)
				continue
			}
			if _, dup := seen[userID]; dup {
				problem(r, "training.import_duplicate")
				continue
			}
			seen[userID] = true
			unit, err := traineeUnit(ctx, tx, userID, sess.CoursePath)
			if err != nil {
				problem(r, "training.import_not_offered")
				continue
			}
			var att int64
			err = tx.QueryRow(ctx, `SELECT attended FROM training_enrolments WHERE session_id = ? AND user_id = ?`, sessionID, userID).Scan(&att)
			switch {
			case err == nil && att == 1:
				rep.Already++
				continue
			case err == nil:
				work = append(work, todo{user: userID, unit: unit})
			case apperr.CodeOf(err) == apperr.ENotFound:
				if enrolled+rep.NewPlaces >= capacity {
					problem(r, "training.import_full")
					continue
				}
				rep.NewPlaces++
				work = append(work, todo{user: userID, unit: unit, enrol: true})
			default:
				return err
			}
			rep.ToMark++
		}
		if dryRun || !rep.OK() {
			return nil
		}
		for _, w := range work {
			if w.enrol {
				if _, err := s.enrolTx(ctx, tx, sess, w.user, w.unit, "import", p.UserID); err != nil {
					return err
				}
			}
			if _, err := s.markPresent(ctx, tx, sess, w.user, "import", p.UserID); err != nil {
				return err
			}
			if err := s.record(ctx, tx, p, m, "training.attendance", "training_session", sessionID, "user="+itoa(w.user)+" present=1 import"); err != nil {
				return err
			}
		}
		rep.Imported = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// resolve finds the active account of a row: by username, or by display
// name and the name of a unit where the person holds a role. key is the
// row's problem, if any.
func resolve(ctx context.Context, tx *db.Tx, r ImportRow) (int64, string, error) {
	var id int64
	if r.Username != "" {
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = ? AND active = 1`, r.Username).Scan(&id)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return 0, "training.import_unknown", nil
		}
		return id, "", err
	}
	if r.Name == "" || r.Unit == "" {
		return 0, "training.import_incomplete", nil
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT u.id FROM users u JOIN memberships m ON m.user_id = u.id JOIN org_units o ON o.id = m.org_unit_id
		WHERE u.active = 1 AND u.display_name = ? AND (o.name = ? OR o.name_en = ?) LIMIT 2`, r.Name, r.Unit, r.Unit)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return 0, "", apperr.Internal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, "", apperr.Internal(err)
	}
	switch len(ids) {
	case 0:
		return 0, "training.import_unknown", nil
	case 1:
		return ids[0], "", nil
	}
	return 0, "training.import_ambiguous", nil
}
