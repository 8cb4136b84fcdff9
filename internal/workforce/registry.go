package workforce

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Person is one entry of the counsellor registry.
type Person struct {
	ID             int64
	Unit           UnitName
	Name           string
	Kind           string
	Tier           string
	UserID         int64  // the linked staff account, or 0
	Username       string // its username
	Qualifications []string
	Active         bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Certs          []Cert
	WarnDays       int  // the warning window at the person's unit
	Expiring       bool // a certification expires within the window
	Lapsed         bool // had certifications, none is valid now
	Manage         bool // the caller keeps this entry (workforce.manage over its unit)
	path           string
}

// Entry is a registry entry as a manager enters or edits it.
type Entry struct {
	UnitID         int64
	Name           string
	Kind           string
	Tier           string
	Username       string // the staff account to link, or ""
	Qualifications []string
	Active         bool
}

// ParseQualifications splits a text box into qualifications, one a line.
func ParseQualifications(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (e *Entry) check() map[string]string {
	bad := map[string]string{}
	e.Name, e.Username = strings.TrimSpace(e.Name), strings.TrimSpace(e.Username)
	if e.Tier == "" {
		e.Tier = "none"
	}
	switch {
	case e.Name == "":
		bad["name"] = "workforce.name_required"
	case utf8.RuneCountInString(e.Name) > 100:
		bad["name"] = "workforce.too_long"
	}
	if !slices.Contains(Kinds, e.Kind) {
		bad["kind"] = "workforce.bad_value"
	}
	if !slices.Contains(Tiers, e.Tier) {
		bad["tier"] = "workforce.bad_value"
	}
	var qs []string
	for _, q := range e.Qualifications {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
		if utf8.RuneCountInString(q) > 100 {
			bad["qualifications"] = "workforce.too_long"
		}
	}
	if len(qs) > 20 {
		bad["qualifications"] = "workforce.too_many"
	}
	e.Qualifications = qs
	if e.UnitID == 0 {
		bad["unit"] = "workforce.bad_unit"
	}
	return bad
}

// place checks the entry's unit, kind and account against the caller's
// scope in tx: the unit must be active and under workforce.manage; a
// psychology teacher works at a school; the account must be active, hold a
// role in the caller's scope and be linked to no other entry.
func (s *Service) place(ctx context.Context, tx *db.Tx, p access.Principal, e Entry, self int64) (access.Membership, sql.NullInt64, map[string]string, error) {
	bad := map[string]string{}
	var user sql.NullInt64
	var path, kind string
	err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ? AND active = 1`, e.UnitID).Scan(&path, &kind)
	if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
		return access.Membership{}, user, nil, err
	}
	m, ok := p.At(access.WorkforceManage, path)
	if err != nil || !ok {
		bad["unit"] = "workforce.bad_unit"
	} else if (e.Kind == KindTeacherFull || e.Kind == KindTeacherPart) && kind != "school" {
		bad["kind"] = "workforce.teacher_at_school"
	}
	if e.Username != "" {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = ? AND active = 1`, e.Username).Scan(&id)
		if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
			return m, user, nil, err
		}
		if err == nil {
			inScope, err := s.userInScope(ctx, tx, p, id)
			if err != nil {
				return m, user, nil, err
			}
			if !inScope {
				id = 0
			}
		}
		if id == 0 {
			bad["username"] = "workforce.bad_account"
		} else {
			var other int64
			err := tx.QueryRow(ctx, `SELECT id FROM workforce_people WHERE user_id = ? AND id <> ?`, id, self).Scan(&other)
			switch {
			case err == nil:
				bad["username"] = "workforce.account_taken"
			case apperr.CodeOf(err) != apperr.ENotFound:
				return m, user, nil, err
			}
			user = sql.NullInt64{Int64: id, Valid: true}
		}
	}
	return m, user, bad, nil
}

// userInScope reports whether the account holds a role at a unit where
// the caller holds workforce.manage.
func (s *Service) userInScope(ctx context.Context, tx *db.Tx, p access.Principal, userID int64) (bool, error) {
	cond, args := p.Scope(access.WorkforceManage, "o.path")
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM memberships mb JOIN org_units o ON o.id = mb.org_unit_id WHERE mb.user_id = ? AND `+cond,
		append([]any{userID}, args...)...).Scan(&n)
	return n > 0, err
}

// AddPerson files a new registry entry. The caller needs workforce.manage
// at the entry's unit; a linked account must hold a role in the caller's
// scope and be linked to no other entry.
func (s *Service) AddPerson(ctx context.Context, p access.Principal, e Entry) (int64, error) {
	bad := e.check()
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, user, more, err := s.place(ctx, tx, p, e, 0)
		if err != nil {
			return err
		}
		for k, v := range more {
			if bad[k] == "" {
				bad[k] = v
			}
		}
		if len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		now := db.Micro(s.now())
		id, err = tx.InsertID(ctx, `INSERT INTO workforce_people (org_unit_id, name, kind, tier, user_id, qualifications, active, created_by,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`, e.UnitID, e.Name, e.Kind, e.Tier, user, strings.Join(e.Qualifications, "\n"),
			p.UserID, now, now)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "workforce.add", "workforce_person", id, "unit="+itoa(e.UnitID)+" kind="+e.Kind+" tier="+e.Tier+
			" linked="+boolText(user.Valid))
	})
	return id, err
}

// UpdatePerson changes an entry: its unit, name, kind, tier, linked
// account, qualifications and active flag. The caller needs
// workforce.manage at its present unit (else: not found) and at the new.
func (s *Service) UpdatePerson(ctx context.Context, p access.Principal, id int64, e Entry) error {
	bad := e.check()
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, _, err := s.manageable(ctx, tx, p, id); err != nil {
			return err
		}
		m, user, more, err := s.place(ctx, tx, p, e, id)
		if err != nil {
			return err
		}
		for k, v := range more {
			if bad[k] == "" {
				bad[k] = v
			}
		}
		if len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		if _, err := tx.Exec(ctx, `UPDATE workforce_people SET org_unit_id = ?, name = ?, kind = ?, tier = ?, user_id = ?, qualifications = ?,
			active = ?, updated_at = ? WHERE id = ?`, e.UnitID, e.Name, e.Kind, e.Tier, user, strings.Join(e.Qualifications, "\n"), boolInt(e.Active),
			db.Micro(s.now()), id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "workforce.update", "workforce_person", id, "unit="+itoa(e.UnitID)+" kind="+e.Kind+" tier="+e.Tier+
			" active="+boolText(e.Active)+" linked="+boolText(user.Valid))
	})
}

// manageable returns the membership through which the caller keeps entry
// id and the entry's unit path; an entry out of reach is not found.
func (s *Service) manageable(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (access.Membership, string, error) {
	var path string
	if err := tx.QueryRow(ctx, `SELECT o.path FROM workforce_people wp JOIN org_units o ON o.id = wp.org_unit_id WHERE wp.id = ?`, id).Scan(&path); err != nil {
		if apperr.CodeOf(err) == apperr.ENotFound {
			return access.Membership{}, "", apperr.NotFound()
		}
		return access.Membership{}, "", err
	}
	m, ok := p.At(access.WorkforceManage, path)
	if !ok {
		return m, "", apperr.NotFound()
	}
	return m, path, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

const personColumns = `wp.id, wp.org_unit_id, o.name, o.name_en, o.path, wp.name, wp.kind, wp.tier, COALESCE(wp.user_id, 0), COALESCE(u.username, ''),
	wp.qualifications, wp.active, wp.created_at, wp.updated_at
	FROM workforce_people wp JOIN org_units o ON o.id = wp.org_unit_id LEFT JOIN users u ON u.id = wp.user_id`

func scanPerson(sc func(...any) error) (Person, error) {
	var pr Person
	var quals string
	var active int
	var created, updated int64
	if err := sc(&pr.ID, &pr.Unit.ID, &pr.Unit.Name, &pr.Unit.NameEn, &pr.path, &pr.Name, &pr.Kind, &pr.Tier, &pr.UserID, &pr.Username,
		&quals, &active, &created, &updated); err != nil {
		return pr, err
	}
	pr.Qualifications = ParseQualifications(quals)
	pr.Active = active == 1
	pr.CreatedAt, pr.UpdatedAt = db.FromMicro(created), db.FromMicro(updated)
	return pr, nil
}

// Filter narrows the registry list.
type Filter struct {
	UnitID   int64  // the unit and its subtree; 0: the whole scope
	Kind     string // "" for any
	Tier     string // "" for any
	Mark     string // "", expiring, lapsed
	Inactive bool   // include inactive entries
}

// People lists the registry entries of the units where the caller holds
// workforce.manage, with their certifications and marks, by unit and
// name. The read is audited.
func (s *Service) People(ctx context.Context, p access.Principal, f Filter) ([]Person, error) {
	m, ok := p.Grant(access.WorkforceManage)
	if !ok {
		return nil, apperr.Forbidden()
	}
	cond, args := p.Scope(access.WorkforceManage, "o.path")
	var out []Person
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		q := `SELECT ` + personColumns + ` WHERE ` + cond
		if f.UnitID != 0 {
			var path string
			if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, f.UnitID).Scan(&path); err != nil {
				if apperr.CodeOf(err) == apperr.ENotFound {
					return apperr.Invalid("form.invalid", map[string]string{"unit": "workforce.bad_unit"})
				}
				return err
			}
			q += ` AND o.path >= ? AND o.path < ?`
			args = append(args, path, access.SubtreeEnd(path))
		}
		if f.Kind != "" {
			q += ` AND wp.kind = ?`
			args = append(args, f.Kind)
		}
		if f.Tier != "" {
			q += ` AND wp.tier = ?`
			args = append(args, f.Tier)
		}
		if !f.Inactive {
			q += ` AND wp.active = 1`
		}
		rows, err := tx.Query(ctx, q+` ORDER BY o.path, wp.name, wp.id LIMIT 2000`, args...)
		if err != nil {
			return err
		}
		var list []Person
		for rows.Next() {
			pr, err := scanPerson(rows.Scan)
			if err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			list = append(list, pr)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		if err := s.fill(ctx, tx, p, list); err != nil {
			return err
		}
		for _, pr := range list {
			if f.Mark == "expiring" && !pr.Expiring || f.Mark == "lapsed" && !pr.Lapsed {
				continue
			}
			out = append(out, pr)
		}
		return s.record(ctx, tx, p, m, "workforce.list", "workforce_person", 0, "count="+itoa(int64(len(out))))
	})
	return out, err
}

// fill loads the certifications of list and works out its marks.
func (s *Service) fill(ctx context.Context, tx *db.Tx, p access.Principal, list []Person) error {
	if len(list) == 0 {
		return nil
	}
	set, err := loadSettings(ctx, tx)
	if err != nil {
		return err
	}
	now := s.now()
	for i := range list {
		pr := &list[i]
		pr.WarnDays = set.warnDays(pr.path)
		_, pr.Manage = p.At(access.WorkforceManage, pr.path)
		if pr.Certs, err = certsOf(ctx, tx, pr.ID); err != nil {
			return err
		}
		valid := false
		for j := range pr.Certs {
			c := &pr.Certs[j]
			c.Status = c.status(now, pr.WarnDays)
			valid = valid || c.Status == StatusValid || c.Status == StatusExpiring
			pr.Expiring = pr.Expiring || c.Status == StatusExpiring
		}
		pr.Lapsed = len(pr.Certs) > 0 && !valid
	}
	return nil
}

// FindPerson returns an entry to a caller who keeps it, or to the person
// themself (the linked account, in an interactive session); anyone else
// gets not found. The read is audited.
func (s *Service) FindPerson(ctx context.Context, p access.Principal, id int64) (*Person, error) {
	return s.findPerson(ctx, p, `wp.id = ?`, id)
}

// Mine returns the caller's own entry (the one linked to their account),
// or not found.
func (s *Service) Mine(ctx context.Context, p access.Principal) (*Person, error) {
	if p.UserID == 0 || p.Limit != nil {
		return nil, apperr.NotFound()
	}
	return s.findPerson(ctx, p, `wp.user_id = ?`, p.UserID)
}

func (s *Service) findPerson(ctx context.Context, p access.Principal, where string, arg int64) (*Person, error) {
	var out Person
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = scanPerson(tx.QueryRow(ctx, `SELECT `+personColumns+` WHERE `+where, arg).Scan)
		if err != nil {
			if apperr.CodeOf(err) == apperr.ENotFound {
				return apperr.NotFound()
			}
			return err
		}
		m, ok := p.At(access.WorkforceManage, out.path)
		self := p.UserID != 0 && p.Limit == nil && out.UserID == p.UserID
		if !ok && !self {
			return apperr.NotFound()
		}
		if !ok && len(p.Memberships) > 0 {
			m = p.Memberships[0]
		}
		list := []Person{out}
		if err := s.fill(ctx, tx, p, list); err != nil {
			return err
		}
		out = list[0]
		detail := ""
		if self {
			detail = "self"
		}
		return s.record(ctx, tx, p, m, "workforce.read", "workforce_person", out.ID, detail)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ManagedUnits lists the active units where the caller holds
// workforce.manage, by path, for a form's unit picker.
func (s *Service) ManagedUnits(ctx context.Context, p access.Principal) ([]UnitName, error) {
	cond, args := p.Scope(access.WorkforceManage, "path")
	var out []UnitName
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, name_en FROM org_units WHERE active = 1 AND `+cond+` ORDER BY path LIMIT 2000`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u UnitName
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, u)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}
