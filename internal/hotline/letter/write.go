package letter

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
)

// Station is a hotline station a letter can be written to.
type Station struct {
	ID     int64
	Name   string
	NameEn string
	Depth  int
}

// DisplayName is the station's name in lang.
func (st Station) DisplayName(lang string) string { return pick(lang, st.Name, st.NameEn) }

// Stations lists the active hotline stations, the top one (the city
// station) first: the public letter page offers them. Station names are
// public; nothing is audited.
func (s *Service) Stations(ctx context.Context) ([]Station, error) {
	var out []Station
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, name_en, depth FROM org_units WHERE kind = 'hotline_station' AND active = 1
			ORDER BY depth, id LIMIT 200`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st Station
			if err := rows.Scan(&st.ID, &st.Name, &st.NameEn, &st.Depth); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, st)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// NewLetter is a letter written on the public page. StationID 0 means the
// top station.
type NewLetter struct {
	StationID int64
	AgeBand   string
	Text      string
}

// Written is what the writer is told once: the reading code (never
// stored; only its keyed hash is) and when to come back.
type Written struct {
	ID    int64
	Code  string
	DueAt time.Time
}

// Write takes a letter from the public page. It needs no account: the
// writer keeps the code to read the reply. Problems are EInvalid with
// fields station, age_band and text.
func (s *Service) Write(ctx context.Context, n NewLetter) (*Written, error) {
	text := strings.TrimSpace(n.Text)
	bad := map[string]string{}
	switch {
	case text == "":
		bad["text"] = "letter.text_required"
	case utf8.RuneCountInString(text) > MaxText:
		bad["text"] = "letter.too_long"
	}
	if n.AgeBand != "" && !slices.Contains(hotline.AgeBands, n.AgeBand) {
		bad["age_band"] = "letter.bad_value"
	}
	if len(bad) > 0 {
		return nil, apperr.Invalid("form.invalid", bad)
	}
	code, err := newCode()
	if err != nil {
		return nil, apperr.Internal(err)
	}
	hash, err := s.keyHash("code", normalizeCode(code))
	if err != nil {
		return nil, err
	}
	flags := s.flags(text)
	var out *Written
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		station, path, err := s.publicStation(ctx, tx, n.StationID)
		if err != nil {
			return err
		}
		now := s.now()
		due, err := s.deadline(ctx, tx, path, len(flags) > 0, now)
		if err != nil {
			return err
		}
		id, err := tx.InsertID(ctx, `INSERT INTO letters (station_id, source, age_band, flags, code_hash, received_at, due_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, station, SourceWeb, n.AgeBand, strings.Join(flags, " "), hash, db.Micro(now), db.Micro(due))
		if err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(text), bodyAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE letters SET body = ? WHERE id = ?`, sealed, id); err != nil {
			return err
		}
		out = &Written{ID: id, Code: code, DueAt: db.FromMicro(db.Micro(due))}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "writer", ActorOrgID: station, Action: "letter.write", ObjectType: "letter",
			ObjectID: itoa(id), Outcome: audit.Success, Detail: "source=web flags=" + strings.Join(flags, ",")})
	})
	return out, err
}

// publicStation is the station a public letter goes to: the one chosen,
// if it is an active hotline station, else (0) the top one.
func (s *Service) publicStation(ctx context.Context, tx *db.Tx, id int64) (int64, string, error) {
	var path string
	var err error
	if id == 0 {
		err = tx.QueryRow(ctx, `SELECT id, path FROM org_units WHERE kind = 'hotline_station' AND active = 1 ORDER BY depth, id LIMIT 1`).
			Scan(&id, &path)
	} else {
		err = tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND kind = 'hotline_station' AND active = 1`, id).Scan(&path)
	}
	if apperr.CodeOf(err) == apperr.ENotFound {
		return 0, "", apperr.Invalid("form.invalid", map[string]string{"station": "letter.bad_station"})
	}
	return id, path, err
}

// ReadByCode shows the writer their letter and its replies. A wrong code
// is ENotFound (letter.code_unknown); the caller limits attempts. The
// read is recorded on the letter (staff see that the writer came back)
// and audited.
func (s *Service) ReadByCode(ctx context.Context, code string) (*Letter, error) {
	c := normalizeCode(code)
	if len(c) != CodeLength || strings.Trim(c, codeAlphabet) != "" {
		return nil, apperr.New(apperr.ENotFound, "letter.code_unknown")
	}
	hash, err := s.keyHash("code", c)
	if err != nil {
		return nil, err
	}
	var l *Letter
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM letters WHERE code_hash = ?`, hash).Scan(&id); err != nil {
			if apperr.CodeOf(err) == apperr.ENotFound {
				return apperr.New(apperr.ENotFound, "letter.code_unknown")
			}
			return err
		}
		var err error
		if l, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		if err := s.open(ctx, tx, l, false); err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE letters SET writer_read_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "writer", ActorOrgID: l.StationID, Action: "letter.writer_read",
			ObjectType: "letter", ObjectID: itoa(id), Outcome: audit.Success, Detail: "replies=" + itoa(int64(len(l.Replies)))})
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}
