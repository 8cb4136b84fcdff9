package warning

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Flagged is a student a draft rule would flag.
type Flagged struct {
	StudentID   int64
	StudentName string
	SchoolName  string
	At          time.Time
}

// PreviewResult is what a draft rule would have done over recent data.
type PreviewResult struct {
	Screenings int // screenings judged
	Flagged    []Flagged
	Total      int // students flagged (Flagged holds at most 100)
	Errors     int // screenings on which the rule failed to run (it would fire on them)
}

// Preview runs a draft rule over the latest screening of each student of
// the unit's subtree in the last days and shows whom it would flag. It
// writes nothing but an audit entry (it shows names). Critical items are
// known per instrument only ("phq-a.critical") in stored results.
func (s *Service) Preview(ctx context.Context, p access.Principal, unitID int64, expr string, days int) (*PreviewResult, error) {
	prg, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	if days <= 0 || days > 366 {
		days = 90
	}
	res := &PreviewResult{}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, unitID).Scan(&path); err != nil {
			return notFound(err)
		}
		m, ok := p.At(access.RuleManage, path)
		if !ok {
			return apperr.Forbidden()
		}
		since := db.Micro(s.now().AddDate(0, 0, -days))
		rows, err := tx.Query(ctx, `SELECT r.student_id, st.name, o.name, r.campaign_id, r.instrument_id, r.total, r.band, r.tier, r.critical,
			r.flags, r.submitted_at FROM responses r JOIN students st ON st.id = r.student_id JOIN org_units o ON o.id = st.school_id
			WHERE r.submitted_at >= ? AND o.path >= ? AND o.path < ? ORDER BY r.student_id, r.submitted_at`,
			since, path, access.SubtreeEnd(path))
		if err != nil {
			return err
		}
		type sitting struct {
			sig        Signal
			name, unit string
		}
		latest := map[int64]*sitting{}
		var order []int64
		for rows.Next() {
			var sid, campaign, at int64
			var name, school, inst, band, tier, flags string
			var total, critical int
			if err := rows.Scan(&sid, &name, &school, &campaign, &inst, &total, &band, &tier, &critical, &flags, &at); err != nil {
				rows.Close()
				return err
			}
			st := latest[sid]
			if st == nil || st.sig.SourceID != campaign {
				if st == nil {
					order = append(order, sid)
				}
				st = &sitting{sig: Signal{StudentID: sid, Source: "screening", SourceID: campaign, Scores: map[string]int{},
					Bands: map[string]string{}}, name: name, unit: school}
				latest[sid] = st
			}
			st.sig.At = db.FromMicro(at)
			st.sig.Scores[inst], st.sig.Bands[inst] = total, band
			if higherTier(tier, st.sig.Tier) {
				st.sig.Tier = tier
			}
			if critical == 1 {
				st.sig.Critical = append(st.sig.Critical, inst+".critical")
			}
			st.sig.Flags = append(st.sig.Flags, strings.Fields(flags)...)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, sid := range order {
			st := latest[sid]
			su, err := loadSubject(ctx, tx, sid, st.sig.At)
			if err != nil {
				return err
			}
			res.Screenings++
			ok, err := evalBool(prg, s.vars(st.sig, su))
			if err != nil {
				res.Errors++
				ok = true
			}
			if ok {
				res.Total++
				if len(res.Flagged) < 100 {
					res.Flagged = append(res.Flagged, Flagged{StudentID: sid, StudentName: st.name, SchoolName: st.unit, At: st.sig.At})
				}
			}
		}
		return s.audit(ctx, tx, p, m, "warning.rule.preview", 0, "unit="+itoa(unitID)+" flagged="+itoa(int64(res.Total)))
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

var tierOrder = map[string]int{"": 0, "green": 1, "yellow": 2, "orange": 3, "red": 4}

func higherTier(a, b string) bool { return tierOrder[a] > tierOrder[b] }
