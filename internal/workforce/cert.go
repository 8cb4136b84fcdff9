package workforce

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Level is a certification level (senior, intermediate, and those added).
type Level struct {
	Code      string
	Name      string
	NameEn    string
	Seniority int
}

// Display is the level's name in locale l.
func (lv Level) Display(l string) string {
	if l == "en" && lv.NameEn != "" {
		return lv.NameEn
	}
	return lv.Name
}

// The states of a certification.
const (
	StatusValid    = "valid"
	StatusExpiring = "expiring" // valid, expires within the warning window
	StatusLapsed   = "lapsed"   // past its expiry day
	StatusEnded    = "ended"    // withdrawn early
	StatusPending  = "pending"  // issued on a day still to come
)

// Cert is one certification of a person.
type Cert struct {
	ID       int64
	PersonID int64
	Level    Level
	Body     string    // the issuing body
	Issued   time.Time // a day (00:00 China Standard Time)
	Expires  time.Time // the last day it is valid
	EndedAt  time.Time // zero unless withdrawn
	Status   string
}

// validUntil is the instant the certification stops being valid: the end
// of its expiry day.
func (c Cert) validUntil() time.Time { return c.Expires.Add(day) }

func (c Cert) status(now time.Time, warnDays int) string {
	switch {
	case !c.EndedAt.IsZero():
		return StatusEnded
	case now.Before(c.Issued):
		return StatusPending
	case !now.Before(c.validUntil()):
		return StatusLapsed
	case c.validUntil().Sub(now) <= time.Duration(warnDays)*day:
		return StatusExpiring
	}
	return StatusValid
}

// NewCert is a certification as a manager enters it.
type NewCert struct {
	Level   string
	Body    string
	Issued  time.Time
	Expires time.Time
}

// Levels lists the certification levels, most senior first.
func (s *Service) Levels(ctx context.Context) ([]Level, error) {
	var out []Level
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT code, name, name_en, seniority FROM cert_levels ORDER BY seniority DESC, code`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var lv Level
			if err := rows.Scan(&lv.Code, &lv.Name, &lv.NameEn, &lv.Seniority); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, lv)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

var levelCode = regexp.MustCompile(`^[a-z][a-z0-9_]{1,29}$`)

// AddLevel adds a certification level. The caller needs workforce.manage
// at the root of the network (the levels are the whole network's).
func (s *Service) AddLevel(ctx context.Context, p access.Principal, lv Level) error {
	lv.Code, lv.Name, lv.NameEn = strings.TrimSpace(lv.Code), strings.TrimSpace(lv.Name), strings.TrimSpace(lv.NameEn)
	bad := map[string]string{}
	if !levelCode.MatchString(lv.Code) {
		bad["code"] = "workforce.bad_level_code"
	}
	if lv.Name == "" || utf8.RuneCountInString(lv.Name) > 50 || utf8.RuneCountInString(lv.NameEn) > 50 {
		bad["level_name"] = "workforce.name_required"
	}
	if lv.Seniority < 0 || lv.Seniority > 1000 {
		bad["seniority"] = "workforce.bad_value"
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var m access.Membership
		ok := false
		for _, mb := range p.Memberships {
			if strings.Count(mb.OrgPath, "/") == 2 { // "/1/": a root
				if m, ok = p.At(access.WorkforceManage, mb.OrgPath); ok {
					break
				}
			}
		}
		if !ok {
			return apperr.Forbidden()
		}
		if len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM cert_levels WHERE code = ?`, lv.Code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.Invalid("form.invalid", map[string]string{"code": "workforce.level_taken"})
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cert_levels (code, name, name_en, seniority, created_at) VALUES (?, ?, ?, ?, ?)`,
			lv.Code, lv.Name, lv.NameEn, lv.Seniority, db.Micro(s.now())); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "workforce.level_add", "cert_level", 0, "code="+lv.Code)
	})
}

// AddCert records a certification of a person. The caller needs
// workforce.manage over the person's unit.
func (s *Service) AddCert(ctx context.Context, p access.Principal, personID int64, n NewCert) (int64, error) {
	n.Body = strings.TrimSpace(n.Body)
	bad := map[string]string{}
	switch {
	case n.Body == "":
		bad["body"] = "workforce.body_required"
	case utf8.RuneCountInString(n.Body) > 100:
		bad["body"] = "workforce.too_long"
	}
	if n.Issued.IsZero() {
		bad["issued"] = "workforce.bad_date"
	}
	if n.Expires.IsZero() {
		bad["expires"] = "workforce.bad_date"
	} else if !n.Issued.IsZero() && Day(n.Expires).Before(Day(n.Issued)) {
		bad["expires"] = "workforce.bad_period"
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, _, err := s.manageable(ctx, tx, p, personID)
		if err != nil {
			return err
		}
		var k int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM cert_levels WHERE code = ?`, n.Level).Scan(&k); err != nil {
			return err
		}
		if k == 0 {
			bad["level"] = "workforce.bad_value"
		}
		if len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		id, err = tx.InsertID(ctx, `INSERT INTO workforce_certs (person_id, level, body, issued_on, expires_on, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, personID, n.Level, n.Body, db.Micro(Day(n.Issued)), db.Micro(Day(n.Expires)), p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "workforce.cert_add", "workforce_person", personID, "cert="+itoa(id)+" level="+n.Level)
	})
	return id, err
}

// EndCert withdraws a certification from now. The caller needs
// workforce.manage over its person's unit; ending an ended one changes
// nothing.
func (s *Service) EndCert(ctx context.Context, p access.Principal, certID int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var person, ended int64
		if err := tx.QueryRow(ctx, `SELECT person_id, ended_at FROM workforce_certs WHERE id = ?`, certID).Scan(&person, &ended); err != nil {
			if apperr.CodeOf(err) == apperr.ENotFound {
				return apperr.NotFound()
			}
			return err
		}
		m, _, err := s.manageable(ctx, tx, p, person)
		if err != nil {
			return err
		}
		if ended != 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE workforce_certs SET ended_at = ?, ended_by = ? WHERE id = ?`, db.Micro(s.now()), p.UserID, certID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "workforce.cert_end", "workforce_person", person, "cert="+itoa(certID))
	})
}

// certsOf returns a person's certifications, latest expiry first.
func certsOf(ctx context.Context, tx *db.Tx, personID int64) ([]Cert, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.level, l.name, l.name_en, l.seniority, c.body, c.issued_on, c.expires_on, c.ended_at
		FROM workforce_certs c JOIN cert_levels l ON l.code = c.level WHERE c.person_id = ? ORDER BY c.expires_on DESC, c.id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Cert
	for rows.Next() {
		c := Cert{PersonID: personID}
		var issued, expires, ended int64
		if err := rows.Scan(&c.ID, &c.Level.Code, &c.Level.Name, &c.Level.NameEn, &c.Level.Seniority, &c.Body, &issued, &expires, &ended); err != nil {
			return nil, apperr.Internal(err)
		}
		c.Issued, c.Expires = db.FromMicro(issued).In(cst), db.FromMicro(expires).In(cst)
		if ended != 0 {
			c.EndedAt = db.FromMicro(ended)
		}
		out = append(out, c)
	}
	return out, apperr.Internal(rows.Err())
}
