package station

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// reviewable are the caller types of a real conversation: silent calls,
// hang-ups, wrong numbers and pranks are counted, not reviewed.
const reviewable = `c.caller_type IN ('child_self', 'adult_about_child', 'repeat')`

// MaxSample is the largest sample a supervisor may draw at once.
const MaxSample = 50

// ContactRef is what the supervision pages show of a contact: no summary,
// only codes, times and who held it.
type ContactRef struct {
	ContactID      int64
	StationID      int64
	StationName    string
	StationEn      string
	Channel        string
	CounsellorID   int64
	CounsellorName string
	StartedAt      time.Time
	FinalisedAt    time.Time
	RiskLevel      string
	Categories     []string
}

// contactCols selects a ContactRef from contacts c, org_units o, users u.
const contactCols = `c.id, c.station_id, o.name, o.name_en, c.channel, c.counsellor_id, u.display_name, c.started_at, c.finalised_at, c.risk_level, c.categories`

type scanner interface{ Scan(dest ...any) error }

func scanRef(r scanner, extra ...any) (ContactRef, error) {
	var c ContactRef
	var started, finalised int64
	var cats string
	err := r.Scan(append([]any{&c.ContactID, &c.StationID, &c.StationName, &c.StationEn, &c.Channel, &c.CounsellorID, &c.CounsellorName,
		&started, &finalised, &c.RiskLevel, &cats}, extra...)...)
	c.StartedAt, c.FinalisedAt, c.Categories = db.FromMicro(started), db.FromMicro(finalised), strings.Fields(cats)
	return c, err
}

// Sample draws up to n random finished contacts of the station (and its
// branches) started in the period that nobody has reviewed yet: real
// conversations only, never the caller's own. The caller needs
// hotline.supervise there; the draw is audited with the contacts drawn.
func (s *Service) Sample(ctx context.Context, p access.Principal, stationID int64, per Period, n int) ([]ContactRef, error) {
	if n < 1 || n > MaxSample {
		return nil, apperr.Invalid("form.invalid", map[string]string{"n": "station.bad_sample"})
	}
	var out []ContactRef
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := s.station(ctx, tx, p, stationID, access.HotlineSupervise)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+contactCols+` FROM contacts c JOIN org_units o ON o.id = c.station_id JOIN users u ON u.id = c.counsellor_id
			WHERE c.state = 'final' AND `+reviewable+` AND c.started_at >= ? AND c.started_at < ? AND o.path >= ? AND o.path < ?
			AND c.counsellor_id <> ? AND NOT EXISTS (SELECT 1 FROM supervision_reviews r WHERE r.contact_id = c.id)
			ORDER BY random() LIMIT ?`, db.Micro(per.From), db.Micro(per.To), st.Path, access.SubtreeEnd(st.Path), p.UserID, n)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			c, err := scanRef(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
			ids = append(ids, itoa(c.ContactID))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "station.sample", "org_unit", stationID,
			"from="+per.First()+" to="+per.Last()+" n="+itoa(int64(n))+" drawn="+strings.Join(ids, ","))
	})
	return out, err
}

// NewReview is a supervisor's review of one contact.
type NewReview struct {
	ContactID int64
	Scores    map[string]int // by criterion code
	Comment   string         // sealed
}

// Review records a review of a finished contact against the rubric. The
// caller needs hotline.supervise at the contact's station and may not
// review a contact they held. A contact is reviewed once (EConflict
// station.already_reviewed).
func (s *Service) Review(ctx context.Context, p access.Principal, n NewReview) (int64, error) {
	ru := s.rubric()
	bad := ru.Check(n.Scores)
	if len(n.Comment) > 20000 {
		if bad == nil {
			bad = map[string]string{}
		}
		bad["comment"] = "form.too_long"
	}
	if bad != nil {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := s.finished(ctx, tx, p, n.ContactID)
		if err != nil {
			return err
		}
		var exists int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM supervision_reviews WHERE contact_id = ?`, c.ContactID).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return apperr.New(apperr.EConflict, "station.already_reviewed")
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO supervision_reviews (contact_id, station_id, counsellor_id, reviewer_id, rubric, scores, reviewed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ContactID, c.StationID, c.CounsellorID, p.UserID, ru.Version, ru.encodeScores(n.Scores),
			db.Micro(s.now())); err != nil {
			return err
		}
		if err := s.sealInto(ctx, tx, "supervision_reviews", "comment", id, n.Comment); err != nil {
			return err
		}
		total := 0
		for _, v := range n.Scores {
			total += v
		}
		return s.record(ctx, tx, p, m, "station.review", "contact", c.ContactID,
			"review="+itoa(id)+" rubric="+ru.Version+" total="+itoa(int64(total)))
	})
	return id, err
}

// finished loads a finished contact for supervision: the caller needs
// hotline.supervise at its station and must not be its counsellor.
func (s *Service) finished(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (ContactRef, access.Membership, error) {
	var path, state string
	c, err := scanRef(tx.QueryRow(ctx, `SELECT `+contactCols+`, o.path, c.state FROM contacts c JOIN org_units o ON o.id = c.station_id
		JOIN users u ON u.id = c.counsellor_id WHERE c.id = ?`, id), &path, &state)
	if err != nil {
		return c, access.Membership{}, apperr.NotFound()
	}
	m, ok := p.At(access.HotlineSupervise, path)
	switch {
	case !ok:
		return c, m, apperr.NotFound()
	case state != "final":
		return c, m, apperr.New(apperr.EConflict, "station.not_final")
	case c.CounsellorID == p.UserID:
		return c, m, apperr.New(apperr.EForbidden, "station.own_contact")
	}
	return c, m, nil
}

// sealInto seals text into table.column of row id ("" stays NULL).
func (s *Service) sealInto(ctx context.Context, tx *db.Tx, table, column string, id int64, text string) error {
	if text == "" {
		return nil
	}
	sealed, err := s.Seal.Seal([]byte(text), table+":"+itoa(id)+":"+column)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = tx.Exec(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ?`, sealed, id)
	return err
}

// open opens a sealed column of row id.
func (s *Service) open(table, column string, id int64, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	plain, err := s.Seal.Open(sealed, table+":"+itoa(id)+":"+column)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return string(plain), nil
}
