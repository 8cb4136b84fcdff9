package stats

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

//go:embed briefing.json
var briefingJSON []byte

// SectionTemplate is one section of the default briefing: its title and
// narrative in Chinese and English, and the figures tabled under it.
type SectionTemplate struct {
	Key     string    `json:"key"`
	Title   [2]string `json:"title"`
	Text    [2]string `json:"text"`
	Figures []string  `json:"figures"`
}

// BriefingSections reads the default briefing's sections.
func BriefingSections() ([]SectionTemplate, error) {
	var doc struct {
		Sections []SectionTemplate `json:"sections"`
	}
	if err := json.Unmarshal(briefingJSON, &doc); err != nil {
		return nil, fmt.Errorf("briefing.json: %w", err)
	}
	return doc.Sections, nil
}

// Section is one section of a briefing: its title, its narrative (with
// {indicator} placeholders) and the figures tabled under it.
type Section struct {
	Key     string   `json:"key"`
	Title   string   `json:"title"`
	Text    string   `json:"text"`
	Figures []string `json:"figures"`
}

// Briefing is a drafted work briefing (简报) of a unit and period.
type Briefing struct {
	ID         int64
	Unit       org.Unit
	Period     Period
	Locale     string
	Title      string
	Sections   []Section
	Raw        map[string]int64 // the rollups when drafted or last refreshed: exact
	Figures    map[string]Figure
	Exact      bool // the reader reads exact counts
	Records    bool // the reader may follow figures to their records
	AuthorID   int64
	AuthorName string
	TakenAt    time.Time // when the figures were taken from the rollups
	UpdatedAt  time.Time
	Mine       bool
}

// placeholder is {indicator_id}, {unit} or {period} in a narrative.
var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Piece is a run of a rendered narrative: text, or a figure.
type Piece struct {
	Text     string
	IsFigure bool
	Figure   Figure
}

// Render splits a section's narrative into text and figures as the reader
// reads them.
func (b *Briefing) Render(text string) []Piece {
	var out []Piece
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		out = append(out, Piece{Text: text[last:m[0]]})
		id := text[m[2]:m[3]]
		switch id {
		case "unit":
			out = append(out, Piece{Text: b.Unit.DisplayName(b.Locale)})
		case "period":
			out = append(out, Piece{Text: b.Period.Label(b.Locale)})
		default:
			if f, ok := b.Figures[id]; ok {
				out = append(out, Piece{IsFigure: true, Figure: f})
			} else {
				out = append(out, Piece{Text: text[m[0]:m[1]]})
			}
		}
		last = m[1]
	}
	return append(out, Piece{Text: text[last:]})
}

// Label is the period as a briefing names it.
func (p Period) Label(locale string) string {
	en := locale == "en"
	switch p.Kind {
	case "month":
		if en {
			return p.Start.Format("January 2006")
		}
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	case "quarter":
		if en {
			return fmt.Sprintf("Q%d %d", p.N, p.Year)
		}
		return fmt.Sprintf("%d年第%d季度", p.Year, p.N)
	}
	if en {
		return fmt.Sprint(p.Year)
	}
	return fmt.Sprintf("%d年", p.Year)
}

// DraftBriefing drafts a briefing of unitID for period in locale: the
// default sections and narrative, and the unit's figures from the
// rollups. The caller needs report.read over the unit. Audited.
func (s *Service) DraftBriefing(ctx context.Context, p access.Principal, reg *Registry, unitID int64, period Period, locale string) (int64, error) {
	if locale != "en" {
		locale = "zh-CN"
	}
	tmpl, err := BriefingSections()
	if err != nil {
		return 0, apperr.Internal(err)
	}
	lang := 0
	if locale == "en" {
		lang = 1
	}
	var sections []Section
	for _, t := range tmpl {
		sections = append(sections, Section{Key: t.Key, Title: t.Title[lang], Text: t.Text[lang], Figures: t.Figures})
	}
	var id int64
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		u, err := unit(ctx, tx, unitID)
		if err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"unit": "stats.bad_unit"})
		}
		m, ok := p.At(access.ReportRead, u.Path)
		if !ok {
			return apperr.Invalid("form.invalid", map[string]string{"unit": "stats.bad_unit"})
		}
		figs, held, err := takeFigures(ctx, tx, period, u.ID)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(sections)
		title := u.DisplayName(locale) + " " + period.Label(locale)
		if locale == "en" {
			title += " work briefing"
		} else {
			title += "未成年人心理健康工作简报"
		}
		now := db.Micro(s.now())
		if id, err = tx.InsertID(ctx, `INSERT INTO briefings (unit_id, period, locale, title, body, figures, withheld, author_id, taken_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, period.String(), locale, title, string(body), figs, held, p.UserID, now, now, now); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "briefing.draft", "briefing", id, "unit="+itoa(u.ID)+" period="+period.String())
	})
	return id, err
}

// loadBriefing reads a briefing for p, who needs report.read over its
// unit; the figures are shown as p may read them.
func (s *Service) loadBriefing(ctx context.Context, tx *db.Tx, p access.Principal, reg *Registry, id int64) (*Briefing, access.Membership, error) {
	b := &Briefing{ID: id}
	var unitID, taken, updated int64
	var period, body, figs string
	var held string
	err := tx.QueryRow(ctx, `SELECT b.unit_id, b.period, b.locale, b.title, b.body, b.figures, b.withheld, b.author_id, u.display_name, b.taken_at, b.updated_at
		FROM briefings b JOIN users u ON u.id = b.author_id WHERE b.id = ?`, id).Scan(&unitID, &period, &b.Locale, &b.Title, &body, &figs, &held,
		&b.AuthorID, &b.AuthorName, &taken, &updated)
	if err != nil {
		return nil, access.Membership{}, err
	}
	u, err := unit(ctx, tx, unitID)
	if err != nil {
		return nil, access.Membership{}, err
	}
	m, ok := p.At(access.ReportRead, u.Path)
	if !ok {
		return nil, access.Membership{}, apperr.NotFound()
	}
	b.Unit, b.TakenAt, b.UpdatedAt, b.Mine = *u, db.FromMicro(taken), db.FromMicro(updated), b.AuthorID == p.UserID
	if b.Period, err = ParsePeriod(period); err != nil {
		return nil, access.Membership{}, apperr.Internal(err)
	}
	if err := json.Unmarshal([]byte(body), &b.Sections); err != nil {
		return nil, access.Membership{}, apperr.Internal(err)
	}
	if err := json.Unmarshal([]byte(figs), &b.Raw); err != nil {
		return nil, access.Membership{}, apperr.Internal(err)
	}
	if b.Exact, err = readerOf(p, reg, u); err != nil {
		return nil, access.Membership{}, err
	}
	b.Records = b.Exact
	var w withheldSet
	if !b.Exact {
		// What was withheld when the figures were taken, and what is now:
		// the briefing reveals no figure the dashboard withholds.
		g, err := loadGuard(ctx, tx, b.Period.String(), []int64{u.ID}, "")
		if err != nil {
			return nil, access.Membership{}, err
		}
		w = g.of(key{unit: u.ID})
		w.all = w.all || held == "*"
		ids := map[string]bool{}
		for id := range w.ids {
			ids[id] = true
		}
		for _, id := range strings.Split(held, ",") {
			ids[id] = true
		}
		w.ids = ids
	}
	b.Figures = figures(reg, b.Raw, b.Exact, w)
	return b, m, nil
}

// takeFigures reads a unit's figures for a briefing (JSON) and what
// rounded readers read of them as withheld then ("*": every figure).
func takeFigures(ctx context.Context, tx *db.Tx, period Period, unitID int64) (string, string, error) {
	raw, err := values(ctx, tx, period.String(), []int64{unitID}, "")
	if err != nil {
		return "", "", err
	}
	g, err := loadGuard(ctx, tx, period.String(), []int64{unitID}, "")
	if err != nil {
		return "", "", err
	}
	figs, _ := json.Marshal(raw[key{unit: unitID}])
	if g.all {
		return string(figs), "*", nil
	}
	var held []string
	for id := range g.cells[key{unit: unitID}] {
		held = append(held, id)
	}
	slices.Sort(held)
	return string(figs), strings.Join(held, ","), nil
}

// Briefing reads one briefing. Audited.
func (s *Service) Briefing(ctx context.Context, p access.Principal, reg *Registry, id int64) (*Briefing, error) {
	var b *Briefing
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var m access.Membership
		var err error
		if b, m, err = s.loadBriefing(ctx, tx, p, reg, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "briefing.read", "briefing", id, "")
	})
	return b, err
}

// BriefingEdit is the author's narrative: a title and, per section in
// order, its title and text.
type BriefingEdit struct {
	Title    string
	Sections []Section
}

// EditBriefing saves the narrative. Only the author edits; a placeholder
// must name an indicator, {unit} or {period}.
func (s *Service) EditBriefing(ctx context.Context, p access.Principal, reg *Registry, id int64, e BriefingEdit) error {
	e.Title = strings.TrimSpace(e.Title)
	bad := map[string]string{}
	if e.Title == "" || utf8.RuneCountInString(e.Title) > 200 {
		bad["title"] = "stats.briefing_title_required"
	}
	for i, sec := range e.Sections {
		if utf8.RuneCountInString(sec.Title) > 200 || utf8.RuneCountInString(sec.Text) > 8000 {
			bad[fmt.Sprintf("section_%d", i)] = "form.too_long"
		}
		for _, m := range placeholder.FindAllStringSubmatch(sec.Text, -1) {
			if _, ok := reg.Get(m[1]); !ok && m[1] != "unit" && m[1] != "period" {
				bad[fmt.Sprintf("section_%d", i)] = "stats.unknown_figure"
			}
		}
	}
	if len(bad) > 0 {
		return apperr.Invalid("form.invalid", bad)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		b, m, err := s.loadBriefing(ctx, tx, p, reg, id)
		if err != nil {
			return err
		}
		if !b.Mine {
			return apperr.Forbidden()
		}
		if len(e.Sections) != len(b.Sections) {
			return apperr.Invalid("form.invalid", map[string]string{"title": "stats.briefing_stale"})
		}
		for i := range e.Sections {
			e.Sections[i].Key, e.Sections[i].Figures = b.Sections[i].Key, b.Sections[i].Figures
		}
		body, _ := json.Marshal(e.Sections)
		if _, err := tx.Exec(ctx, `UPDATE briefings SET title = ?, body = ?, updated_at = ? WHERE id = ?`, e.Title, string(body), db.Micro(s.now()), id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "briefing.edit", "briefing", id, "")
	})
}

// RetakeFigures replaces the briefing's figures with the rollups now. The
// author only.
func (s *Service) RetakeFigures(ctx context.Context, p access.Principal, reg *Registry, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		b, m, err := s.loadBriefing(ctx, tx, p, reg, id)
		if err != nil {
			return err
		}
		if !b.Mine {
			return apperr.Forbidden()
		}
		figs, held, err := takeFigures(ctx, tx, b.Period, b.Unit.ID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE briefings SET figures = ?, withheld = ?, taken_at = ?, updated_at = ? WHERE id = ?`, figs, held, now, now, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "briefing.retake", "briefing", id, "")
	})
}

// BriefingSummary is a briefing in a list.
type BriefingSummary struct {
	ID         int64
	Title      string
	Period     string
	AuthorName string
	UpdatedAt  time.Time
}

// Briefings lists the briefings of units in the caller's report.read
// scope, latest first.
func (s *Service) Briefings(ctx context.Context, p access.Principal) ([]BriefingSummary, error) {
	scope, args := p.Scope(access.ReportRead, "o.path")
	var out []BriefingSummary
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT b.id, b.title, b.period, u.display_name, b.updated_at FROM briefings b
			JOIN org_units o ON o.id = b.unit_id JOIN users u ON u.id = b.author_id WHERE `+scope+` ORDER BY b.updated_at DESC LIMIT 100`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b BriefingSummary
			var at int64
			if err := rows.Scan(&b.ID, &b.Title, &b.Period, &b.AuthorName, &at); err != nil {
				return err
			}
			b.UpdatedAt = db.FromMicro(at)
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}
