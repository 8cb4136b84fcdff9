package warning

import (
	"context"
	_ "embed"
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

//go:embed defaults.json
var defaultsJSON []byte

// DefaultRules returns the rule set careloop ships, with the clinical
// source of each (docs/warning-rules.md lists them).
func DefaultRules() ([]Rule, error) {
	var raw []struct {
		Name, Level, Expression, Source string
		TitleZH                         string `json:"title_zh"`
		TitleEN                         string `json:"title_en"`
	}
	if err := json.Unmarshal(defaultsJSON, &raw); err != nil {
		return nil, err
	}
	out := make([]Rule, len(raw))
	for i, r := range raw {
		out[i] = Rule{Name: r.Name, Level: r.Level, Expression: r.Expression, Source: r.Source, TitleZH: r.TitleZH, TitleEN: r.TitleEN, Active: true}
	}
	return out, nil
}

// InstallDefaults gives the top unit the default rules it does not have
// yet. It is idempotent and changes no rule a person has edited.
func (s *Service) InstallDefaults(ctx context.Context, rootID int64) error {
	rules, err := DefaultRules()
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, r := range rules {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM warning_rules WHERE org_unit_id = ? AND name = ?`, rootID, r.Name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			r.OrgUnitID = rootID
			if err := s.insertVersion(ctx, tx, &r, 0); err != nil {
				return err
			}
		}
		return nil
	})
}

var ruleName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,48}$`)

// SaveRule compiles and saves a rule of a unit as its next version (a new
// rule is version 1). The caller needs rule.manage at that unit. A rule
// can only add alerts for the unit's students: a parent's rules always
// apply and cannot be changed from below.
func (s *Service) SaveRule(ctx context.Context, p access.Principal, r Rule) (*Rule, error) {
	r.Name = strings.TrimSpace(r.Name)
	r.TitleZH, r.TitleEN = strings.TrimSpace(r.TitleZH), strings.TrimSpace(r.TitleEN)
	fields := map[string]string{}
	if !ruleName.MatchString(r.Name) {
		fields["name"] = "rule.err.name"
	}
	if levelRank[r.Level] == 0 {
		fields["level"] = "rule.err.level"
	}
	if r.TitleZH == "" && r.TitleEN == "" {
		fields["title_zh"] = "form.required"
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("form.invalid", fields)
	}
	prg, err := Compile(r.Expression)
	if err != nil {
		return nil, err
	}
	// A rule that cannot run on an ordinary screening (a misspelt
	// instrument id) would fire for everyone: refuse it now.
	for _, src := range []string{"screening", "concern"} {
		if _, err := evalBool(prg, s.vars(Signal{Source: src}, &subject{})); err != nil {
			return nil, apperr.Invalid("rule.err.runtime", map[string]string{"expression": "rule.err.runtime"})
		}
	}
	if r.TitleZH == "" {
		r.TitleZH = r.TitleEN
	}
	if r.TitleEN == "" {
		r.TitleEN = r.TitleZH
	}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, r.OrgUnitID).Scan(&path); err != nil {
			return notFound(err)
		}
		m, ok := p.At(access.RuleManage, path)
		if !ok {
			return apperr.Forbidden()
		}
		if err := s.insertVersion(ctx, tx, &r, p.UserID); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
			Action: "warning.rule.save", ObjectType: "warning_rule", ObjectID: itoa(r.ID), Outcome: audit.Success,
			Detail: "name=" + r.Name + " version=" + itoa(int64(r.Version)) + " level=" + r.Level})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// activeRulesKey memoizes the active rules in a group commit (see db.Tx.Memo).
const activeRulesKey = "warning.active_rules"

func (s *Service) insertVersion(ctx context.Context, tx *db.Tx, r *Rule, author int64) error {
	tx.Forget(activeRulesKey)
	err := tx.QueryRow(ctx, `SELECT id, version FROM warning_rules WHERE org_unit_id = ? AND name = ?`, r.OrgUnitID, r.Name).Scan(&r.ID, &r.Version)
	switch apperr.CodeOf(err) {
	case "":
		r.Version++
		if _, err := tx.Exec(ctx, `UPDATE warning_rules SET version = ?, active = ? WHERE id = ?`, r.Version, db.Bool(r.Active), r.ID); err != nil {
			return err
		}
	case apperr.ENotFound:
		r.Version = 1
		if r.ID, err = tx.InsertID(ctx, `INSERT INTO warning_rules (org_unit_id, name, version, active) VALUES (?, ?, 1, ?)`,
			r.OrgUnitID, r.Name, db.Bool(r.Active)); err != nil {
			return err
		}
	default:
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO warning_rule_versions (rule_id, version, expression, level, title_zh, title_en, source, author_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Version, strings.TrimSpace(r.Expression), r.Level, r.TitleZH, r.TitleEN, r.Source, author, db.Micro(s.now()))
	return err
}

const ruleColumns = `r.id, r.org_unit_id, o.path, o.name, r.name, r.version, r.active, v.expression, v.level, v.title_zh, v.title_en, v.source
	FROM warning_rules r JOIN warning_rule_versions v ON v.rule_id = r.id AND v.version = r.version JOIN org_units o ON o.id = r.org_unit_id`

func scanRules(ctx context.Context, tx *db.Tx, q string, args ...any) ([]Rule, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		var active int
		if err := rows.Scan(&r.ID, &r.OrgUnitID, &r.OrgPath, &r.OrgName, &r.Name, &r.Version, &active, &r.Expression, &r.Level,
			&r.TitleZH, &r.TitleEN, &r.Source); err != nil {
			return nil, err
		}
		r.Active = active != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

// RulesFor returns the active rules that apply to a student of the unit at
// path: the rules of the unit and of every unit above it.
func RulesFor(ctx context.Context, tx *db.Tx, path string) ([]Rule, error) {
	v, err := tx.Memo(activeRulesKey, func() (any, error) {
		return scanRules(ctx, tx, `SELECT `+ruleColumns+` WHERE r.active = 1 ORDER BY r.id`)
	})
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, r := range v.([]Rule) {
		if strings.HasPrefix(path, r.OrgPath) {
			out = append(out, r)
		}
	}
	return out, nil
}

// FindRules lists the rules a caller may see: those of units above and
// inside the caller's rule.manage or alert.handle scope, city first.
func (s *Service) FindRules(ctx context.Context, p access.Principal) ([]Rule, error) {
	var out []Rule
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		all, err := scanRules(ctx, tx, `SELECT `+ruleColumns+` ORDER BY o.path, r.name`)
		if err != nil {
			return err
		}
		for _, r := range all {
			if visible(p, r.OrgPath) {
				out = append(out, r)
			}
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].OrgPath) < len(out[j].OrgPath) })
	return out, err
}

// visible: a rule of a unit above one's scope applies to one's students;
// a rule inside it is one's own or a sub-unit's.
func visible(p access.Principal, path string) bool {
	for _, m := range p.Memberships {
		if !access.Has(m.Role, access.RuleManage) && !access.Has(m.Role, access.AlertHandle) {
			continue
		}
		if strings.HasPrefix(path, m.OrgPath) || strings.HasPrefix(m.OrgPath, path) {
			return true
		}
	}
	return false
}

// RuleHistory returns every version of a rule, newest first.
func (s *Service) RuleHistory(ctx context.Context, p access.Principal, id int64) ([]Rule, error) {
	var out []Rule
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = scanRules(ctx, tx, `SELECT r.id, r.org_unit_id, o.path, o.name, r.name, v.version, r.active, v.expression, v.level,
			v.title_zh, v.title_en, v.source FROM warning_rules r JOIN warning_rule_versions v ON v.rule_id = r.id
			JOIN org_units o ON o.id = r.org_unit_id WHERE r.id = ? ORDER BY v.version DESC`, id)
		if err == nil && (len(out) == 0 || !visible(p, out[0].OrgPath)) {
			return apperr.NotFound()
		}
		return err
	})
	return out, err
}
