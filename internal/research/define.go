package research

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// DefaultK is the smallest group of people an extract may describe unless
// the definer asks for more.
const DefaultK = 5

// Bounds of k.
const (
	MinK = 2
	MaxK = 50
)

// NewExtract is what a coordinator asks for.
type NewExtract struct {
	UnitID       int64    // the subtree the records come from, within the definer's scope
	Kinds        []string // record kinds
	Fields       []string // "kind.field" codes from the whitelist
	From, To     time.Time
	K            int // 0: DefaultK
	ResearcherID int64
	Basis        string // agreement, law
	Purpose      string
}

// Extract is a defined extract as its definer or its researcher sees it.
type Extract struct {
	ID             int64
	UnitID         int64
	UnitName       string
	UnitNameEn     string
	DefinerName    string
	ResearcherID   int64
	ResearcherName string
	ResearcherUnit int64
	Kinds          []string
	Fields         []string
	From, To       time.Time // To is exclusive
	K              int
	Basis          string
	Purpose        string
	State          string // pending, building, ready, failed
	Progress       int
	Failure        string
	Persons        int
	Suppressed     int
	Records        int
	Generalisation string
	DisclosureID   int64
	CreatedAt      time.Time
	BuiltAt        time.Time
	Downloads      int
}

// Unit returns the extract's unit's name in locale l.
func (e Extract) Unit(l string) string {
	if l == "en" && e.UnitNameEn != "" {
		return e.UnitNameEn
	}
	return e.UnitName
}

// LastDay is the last day of the period (To is exclusive).
func (e Extract) LastDay() time.Time { return e.To.Add(-time.Nanosecond) }

// Option is a unit or a researcher the form offers.
type Option struct {
	ID     int64
	Name   string
	NameEn string
	Path   string
	UnitID int64 // a researcher's unit
}

// Display is the option's name in locale l.
func (o Option) Display(l string) string {
	if l == "en" && o.NameEn != "" {
		return o.NameEn
	}
	return o.Name
}

// Units lists the units where the caller may define extracts: units of
// the kinds that hold or group schools, inside the caller's
// research.define subtrees.
func (s *Service) Units(ctx context.Context, p access.Principal) ([]Option, error) {
	if !p.Can(access.ResearchDefine) {
		return nil, apperr.Forbidden()
	}
	scope, args := p.Scope(access.ResearchDefine, "o.path")
	var out []Option
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.name_en, o.path FROM org_units o
			WHERE `+scope+` AND o.active = 1 AND o.kind IN ('city', 'district', 'guidance_centre', 'school') ORDER BY o.path LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o Option
			if err := rows.Scan(&o.ID, &o.Name, &o.NameEn, &o.Path); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, apperr.Internal(err)
}

// extractRoles are the roles that hold research.extract.
func extractRoles() []any {
	var out []any
	for _, r := range access.RoleNames() {
		if access.Has(r, access.ResearchExtract) {
			out = append(out, r)
		}
	}
	return out
}

// Researchers lists the active accounts an extract may be addressed to:
// holders of research.extract, with the unit where they hold it.
func (s *Service) Researchers(ctx context.Context, p access.Principal) ([]Option, error) {
	if !p.Can(access.ResearchDefine) {
		return nil, apperr.Forbidden()
	}
	roles := extractRoles()
	if len(roles) == 0 {
		return nil, nil
	}
	var out []Option
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT u.id, u.display_name, MIN(m.org_unit_id) FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE u.active = 1 AND m.role IN (?`+strings.Repeat(", ?", len(roles)-1)+`) GROUP BY u.id, u.display_name ORDER BY u.display_name, u.id LIMIT 500`, roles...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o Option
			if err := rows.Scan(&o.ID, &o.Name, &o.UnitID); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, apperr.Internal(err)
}

// researcherUnit returns the unit where user id holds research.extract,
// or 0 if they do not (or are inactive).
func researcherUnit(ctx context.Context, tx *db.Tx, id int64) (int64, error) {
	roles := extractRoles()
	if id == 0 || len(roles) == 0 {
		return 0, nil
	}
	var unit int64
	err := tx.QueryRow(ctx, `SELECT COALESCE(MIN(m.org_unit_id), 0) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.user_id = ? AND u.active = 1 AND m.role IN (?`+strings.Repeat(", ?", len(roles)-1)+`)`, append([]any{id}, roles...)...).Scan(&unit)
	return unit, err
}

// Define records a new extract and schedules its building. The caller
// needs research.define over the unit; the definition is audited.
func (s *Service) Define(ctx context.Context, p access.Principal, n NewExtract) (int64, error) {
	if !p.Can(access.ResearchDefine) {
		return 0, apperr.Forbidden()
	}
	if n.K == 0 {
		n.K = DefaultK
	}
	n.Purpose = strings.TrimSpace(n.Purpose)
	fields := map[string]string{}
	kinds := []string{}
	for _, k := range Kinds { // the whitelist's order, without repeats
		if slices.Contains(n.Kinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 || len(kinds) != len(slices.Compact(slices.Sorted(slices.Values(n.Kinds)))) {
		fields["kinds"] = "research.err_kinds"
	}
	var chosen []string
	for _, k := range kinds {
		for _, f := range Fields[k] {
			if slices.Contains(n.Fields, k+"."+f) {
				chosen = append(chosen, k+"."+f)
			}
		}
	}
	for _, f := range n.Fields {
		kind, field, _ := strings.Cut(f, ".")
		if !validField(kind, field) {
			fields["fields"] = "research.err_field"
		} else if !slices.Contains(kinds, kind) && fields["fields"] == "" {
			fields["fields"] = "research.err_field_kind"
		}
	}
	if fields["fields"] == "" {
		for _, k := range kinds {
			if !slices.ContainsFunc(chosen, func(c string) bool { return strings.HasPrefix(c, k+".") }) {
				fields["fields"] = "research.err_fields"
			}
		}
	}
	if n.From.IsZero() {
		fields["from"] = "research.err_date"
	}
	if n.To.IsZero() {
		fields["to"] = "research.err_date"
	} else if !n.From.IsZero() && !n.To.After(n.From) {
		fields["to"] = "research.err_period"
	}
	if n.K < MinK || n.K > MaxK {
		fields["k"] = "research.err_k"
	}
	if !slices.Contains(Bases, n.Basis) {
		fields["basis"] = "research.err_basis"
	}
	if l := utf8.RuneCountInString(n.Purpose); l < 3 || l > 300 {
		fields["purpose"] = "research.err_purpose"
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, n.UnitID).Scan(&path)
		if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
			return err
		}
		m, ok := p.At(access.ResearchDefine, path)
		if !ok {
			fields["unit"] = "research.err_unit"
		}
		runit, err := researcherUnit(ctx, tx, n.ResearcherID)
		if err != nil {
			return err
		}
		if runit == 0 {
			fields["researcher"] = "research.err_researcher"
		}
		if len(fields) > 0 {
			return apperr.Invalid("form.invalid", fields)
		}
		now := s.now()
		id, err = tx.InsertID(ctx, `INSERT INTO research_extracts (unit_id, definer_id, researcher_id, researcher_unit, kinds, fields,
			period_from, period_to, k, basis, purpose, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.UnitID, p.UserID, n.ResearcherID, runit, strings.Join(kinds, " "), strings.Join(chosen, " "),
			db.Micro(n.From), db.Micro(n.To), n.K, n.Basis, n.Purpose, db.Micro(now))
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, p, m, "research.define", id, "unit="+itoa(n.UnitID)+" kinds="+strings.Join(kinds, ",")+
			" k="+itoa(int64(n.K))+" researcher="+itoa(n.ResearcherID)); err != nil {
			return err
		}
		if s.Jobs != nil {
			return s.Jobs.At(ctx, tx, BuildArgs{Extract: id}, now)
		}
		return nil
	})
	return id, err
}

const extractColumns = `e.id, e.unit_id, o.name, o.name_en, du.display_name, e.researcher_id, ru.display_name, e.researcher_unit,
	e.kinds, e.fields, e.period_from, e.period_to, e.k, e.basis, e.purpose, e.state, e.progress, e.failure, e.persons, e.suppressed,
	e.record_count, e.generalisation, e.disclosure_id, e.created_at, e.built_at, e.downloads`

const extractFrom = ` FROM research_extracts e JOIN org_units o ON o.id = e.unit_id JOIN users du ON du.id = e.definer_id
	JOIN users ru ON ru.id = e.researcher_id`

func (s *Service) extracts(ctx context.Context, where string, args ...any) ([]Extract, error) {
	var out []Extract
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+extractColumns+extractFrom+` WHERE `+where+` ORDER BY e.id DESC LIMIT 200`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Extract
			var kinds, fields string
			var from, to, created, built int64
			if err := rows.Scan(&e.ID, &e.UnitID, &e.UnitName, &e.UnitNameEn, &e.DefinerName, &e.ResearcherID, &e.ResearcherName,
				&e.ResearcherUnit, &kinds, &fields, &from, &to, &e.K, &e.Basis, &e.Purpose, &e.State, &e.Progress, &e.Failure,
				&e.Persons, &e.Suppressed, &e.Records, &e.Generalisation, &e.DisclosureID, &created, &built, &e.Downloads); err != nil {
				return err
			}
			e.Kinds, e.Fields = strings.Fields(kinds), strings.Fields(fields)
			e.From, e.To, e.CreatedAt = db.FromMicro(from), db.FromMicro(to), db.FromMicro(created)
			if built != 0 {
				e.BuiltAt = db.FromMicro(built)
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, apperr.Internal(err)
}

// Extracts lists the extracts defined over units in the caller's
// research.define subtrees, newest first (the definer's page).
func (s *Service) Extracts(ctx context.Context, p access.Principal) ([]Extract, error) {
	if !p.Can(access.ResearchDefine) {
		return nil, apperr.Forbidden()
	}
	scope, args := p.Scope(access.ResearchDefine, "o.path")
	return s.extracts(ctx, scope, args...)
}

// Addressed lists the ready extracts addressed to the caller, who needs
// research.extract (the researcher's page).
func (s *Service) Addressed(ctx context.Context, p access.Principal) ([]Extract, error) {
	if !p.Can(access.ResearchExtract) {
		return nil, apperr.Forbidden()
	}
	return s.extracts(ctx, `e.researcher_id = ? AND e.state = 'ready'`, p.UserID)
}

// Counts are the people, the people suppressed and the records of a built
// extract, as arguments of a message.
func (e Extract) Counts() []any { return []any{e.Persons, e.Suppressed, e.Records} }

// DownloadCount is the downloads so far, as the argument of a message.
func (e Extract) DownloadCount() []any { return []any{e.Downloads} }
