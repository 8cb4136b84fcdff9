package student

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

func noteAAD(id int64) string { return "risk_factors:" + strconv.FormatInt(id, 10) + ":note" }

// AddRiskFactor records a risk factor with a sealed note. since is a date
// (YYYY-MM-DD) or empty.
func (s *Service) AddRiskFactor(ctx context.Context, p access.Principal, studentID int64, kind, note, since string) error {
	note, since = strings.TrimSpace(note), strings.TrimSpace(since)
	problems := map[string]string{}
	if !oneOf(kind, RiskFactorKinds) {
		problems["kind"] = "student.risk_kind_unknown"
	}
	if since != "" {
		if _, err := time.Parse("2006-01-02", since); err != nil {
			problems["since"] = "student.date_format"
		}
	}
	if len([]rune(note)) > 2000 {
		problems["note"] = "student.note_too_long"
	}
	if len(problems) > 0 {
		return apperr.Invalid("error.invalid", problems)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := reachable(ctx, tx, p, access.RecordWrite, studentID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		id, err := tx.InsertID(ctx, `INSERT INTO risk_factors (student_id, kind, since, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)`,
			studentID, kind, since, p.UserID, now)
		if err != nil {
			return err
		}
		if note != "" {
			sealed, err := s.Seal.Seal([]byte(note), noteAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE risk_factors SET note = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, studentID, now, p.UserID, st.SchoolID, "risk_factor_added", "kind="+kind); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "student.risk_factor_add", studentID, "kind="+kind)
	})
}

// EndRiskFactor marks a risk factor as no longer present; it stays in the record.
func (s *Service) EndRiskFactor(ctx context.Context, p access.Principal, studentID, factorID int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := reachable(ctx, tx, p, access.RecordWrite, studentID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		res, err := tx.Exec(ctx, `UPDATE risk_factors SET ended_at = ? WHERE id = ? AND student_id = ? AND ended_at = 0`, now, factorID, studentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound()
		}
		if err := addEvent(ctx, tx, studentID, now, p.UserID, st.SchoolID, "risk_factor_ended", "id="+strconv.FormatInt(factorID, 10)); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "student.risk_factor_end", studentID, "id="+strconv.FormatInt(factorID, 10))
	})
}

// findRiskFactors loads a student's risk factors, opening sealed notes. A
// note that fails to open (tampered) is refused, not shown: the whole read
// fails with an internal error.
func (s *Service) findRiskFactors(ctx context.Context, tx *db.Tx, studentID int64) ([]RiskFactor, error) {
	rows, err := tx.Query(ctx, `SELECT id, kind, note, since, recorded_by, recorded_at, ended_at FROM risk_factors
		WHERE student_id = ? ORDER BY recorded_at DESC, id DESC`, studentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RiskFactor
	for rows.Next() {
		var f RiskFactor
		var note []byte
		var at, ended int64
		if err := rows.Scan(&f.ID, &f.Kind, &note, &f.Since, &f.RecordedBy, &at, &ended); err != nil {
			return nil, apperr.Internal(err)
		}
		if len(note) > 0 {
			plain, err := s.Seal.Open(note, noteAAD(f.ID))
			if err != nil {
				return nil, apperr.Internal(err)
			}
			f.Note = string(plain)
		}
		f.RecordedAt, f.EndedAt = db.FromMicro(at), db.FromMicro(ended)
		out = append(out, f)
	}
	return out, apperr.Internal(rows.Err())
}
